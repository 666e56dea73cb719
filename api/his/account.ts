/** HIS `getEBillAccountStatus`: whether the payer's unit has booked (入账) a bill, as last reported by the fiscal platform. */
import { DomainError, fieldError } from '../../common/errors';
import { Bill } from '../../orm/entities';
import type { ApiContext } from '../context';
import { chinaTime } from '../../common/china-time';

const reqStr = (o: Record<string, unknown>, f: string): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, '必填');
  return v.trim();
};

/** yyyyMMddHHmmssSSS in China time (UTC+8), as the HIS interface writes times. */
export function hisTime(d: Date): string {
  return chinaTime(d).his;
}

export async function getEBillAccountStatus(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const billBatchCode = reqStr(o, 'billBatchCode');
  const billNo = reqStr(o, 'billNo');
  if (!/^\d{8}$/.test(billBatchCode)) throw fieldError('billBatchCode', '须为 8 位数字');
  if (!/^\d{1,10}$/.test(billNo)) throw fieldError('billNo', '须为至多 10 位数字');
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  const bill = await api.deps.orm.em.fork().findOne(Bill, { billBatchCode, billNo: billNo.padStart(10, '0'), hospital: app.hospitalId });
  if (!bill) throw new DomainError('E0030', `billNo: 本医院没有票据 ${billBatchCode}-${billNo}`, 'billNo');
  return {
    billBatchCode: bill.billBatchCode,
    billNo: bill.billNo,
    /** "1" accounted (已入账), "0" not (yet) */
    accountStatus: bill.accounted ? '1' : '0',
    accountTime: bill.accountedAt ? hisTime(bill.accountedAt) : '',
    /** pending | uploaded | rejected: a bill not uploaded cannot be accounted yet */
    uploadState: bill.uploadState,
    uploadTime: bill.uploadedAt ? hisTime(bill.uploadedAt) : '',
    lastCheckTime: bill.accountCheckedAt ? hisTime(bill.accountCheckedAt) : '',
  };
}
