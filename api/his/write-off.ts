/**
 * writeOffEBill: reverses a whole bill with a red bill (INTERFACES.md §1). The HIS and the
 * console both come here; the write-off workflow does the work, so concurrent or repeated calls
 * for one bill make one red bill.
 */
import { DomainError, fieldError } from '../../common/errors';
import { validBusDateTime } from '../../domain/bill/issue-request';
import { h5Url } from '../../domain/bill/facts';
import type { PartialRefundResult } from '../../temporal/messages';
import type { RefundSpec } from '../../domain/bill/reissue-plan';
import type { IssuedBill } from '../../services/issuance';
import { parseYuan } from '../../common/money';
import { billStateAttribute } from '../../temporal/search-attributes';
import type { ApiContext } from '../context';
import { partialRefund, writeOff, type WriteOffRequest } from '../../temporal/reversal-client';

export type { WriteOffRequest };

const str = (o: Record<string, unknown>, f: string, max: number): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, '必填');
  if (v.length > max) throw fieldError(f, `至多 ${max} 个字符`);
  return v.trim();
};

export async function scarletAnswer(api: ApiContext, red: IssuedBill) {
  return {
    eScarletBillBatchCode: red.billBatchCode,
    eScarletBillNo: red.billNo,
    eScarletRandom: red.random,
    createTime: red.createTime,
    billQRCode: await api.deps.layout.qrBase64(red.h5Url),
    pictureUrl: red.h5Url,
    pictureNetUrl: h5Url(api.deps.cfg.server.publicUrl, red),
  };
}

/** partialRefundEBill's answer: the red bill and the reissue (issued, or blocked with the reason). */
export async function partialRefundAnswer(api: ApiContext, r: PartialRefundResult) {
  const re = r.reissue;
  return {
    ...(await scarletAnswer(api, r.red)),
    reissueState: re.state,
    reissue: re.bill
      ? {
          busNo: re.plan?.busNo,
          billBatchCode: re.bill.billBatchCode,
          billNo: re.bill.billNo,
          random: re.bill.random,
          createTime: re.bill.createTime,
          totalAmt: re.plan?.totalAmt,
          billQRCode: await api.deps.layout.qrBase64(re.bill.h5Url),
          pictureUrl: re.bill.h5Url,
          pictureNetUrl: h5Url(api.deps.cfg.server.publicUrl, re.bill),
        }
      : { busNo: re.plan?.busNo, totalAmt: re.plan?.totalAmt, reason: re.error?.message },
  };
}

/** The console's and the HIS's whole reversal: the red bill as writeOffEBill answers it. */
export async function writeOffAnswer(api: ApiContext, req: WriteOffRequest) {
  return scarletAnswer(api, await writeOff(api, req));
}

/** The console's and the HIS's partial refund, answered as partialRefundEBill. */
export async function partialRefundEBillAnswer(api: ApiContext, req: WriteOffRequest, spec: RefundSpec) {
  return partialRefundAnswer(api, await partialRefund(api, req, spec));
}

/** writeOffEBill's business fields (shared by partialRefundEBill), checked and named on error. */
async function writeOffFields(api: ApiContext, appid: string, o: Record<string, unknown>): Promise<WriteOffRequest> {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  const busDateTime = str(o, 'busDateTime', 17);
  if (!validBusDateTime(busDateTime)) throw fieldError('busDateTime', '须为有效时间，格式 yyyyMMddHHmmssSSS');
  return {
    hospitalId: app.hospitalId,
    billBatchCode: str(o, 'billBatchCode', 8),
    billNo: str(o, 'billNo', 10),
    placeCode: str(o, 'placeCode', 32),
    reason: str(o, 'reason', 200),
    operator: str(o, 'operator', 64),
  };
}

export async function writeOffEBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  return writeOffAnswer(api, await writeOffFields(api, appid, o));
}

/** refundAmt (yuan) or refundDetail[{sortNo, amt}], and optionally refundChannelCode, as a RefundSpec. */
export function parseRefundSpec(o: Record<string, unknown>): RefundSpec {
  const spec: RefundSpec = {};
  const yuan = (v: unknown, field: string) => {
    const f = parseYuan(v);
    if (f === undefined || f <= 0) throw fieldError(field, `须为大于 0 的金额（元，至多 2 位小数），收到 ${JSON.stringify(v)}`);
    return f;
  };
  if (o.refundDetail !== undefined && o.refundDetail !== null) {
    if (!Array.isArray(o.refundDetail) || !o.refundDetail.length) throw fieldError('refundDetail', '须为非空的 {sortNo, amt} 列表');
    if (o.refundDetail.length > 500) throw fieldError('refundDetail', '至多 500 条');
    spec.items = o.refundDetail.map((r, i) => {
      const row = (r ?? {}) as Record<string, unknown>;
      const sortNo = Number(row.sortNo);
      if (!Number.isInteger(sortNo)) throw fieldError(`refundDetail[${i}].sortNo`, '须为票据中某条收费项目的 sortNo');
      return { sortNo, amt: yuan(row.amt, `refundDetail[${i}].amt`) };
    });
  } else if (o.refundAmt !== undefined && o.refundAmt !== null && o.refundAmt !== '') {
    spec.amount = yuan(o.refundAmt, 'refundAmt');
  } else {
    throw fieldError('refundAmt', '必填（或填写 refundDetail）：退费金额');
  }
  if (o.refundChannelCode !== undefined && o.refundChannelCode !== null && o.refundChannelCode !== '') spec.channelCode = str(o, 'refundChannelCode', 8);
  return spec;
}

/** partialRefundEBill (medbill extension): writeOffEBill's fields plus refundAmt / refundDetail / refundChannelCode. */
export async function partialRefundEBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const req = await writeOffFields(api, appid, o);
  return partialRefundEBillAnswer(api, req, parseRefundSpec(o));
}
