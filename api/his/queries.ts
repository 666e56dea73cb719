/** HIS queries: getEBillByBusNo, getEBillStatesByBillInfo, getBillByBusDate, checkTotalData. */
import { DomainError, fieldError } from '../../common/errors';
import { formatYuan } from '../../common/money';
import { Bill, BillingPoint, IssueRequest } from '../../orm/entities';
import { pointTotals } from '../../orm/repositories/bills';
import { toIssued } from '../../services/issuance';
import { validBusDateTime } from '../../domain/bill/issue-request';
import type { ApiContext } from '../context';
import { issueAnswer } from './issue';

const reqStr = (o: Record<string, unknown>, f: string): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, '必填');
  return v.trim();
};
const optStr = (o: Record<string, unknown>, f: string): string | undefined => (o[f] === undefined || o[f] === null || o[f] === '' ? undefined : reqStr(o, f));

function paging(o: Record<string, unknown>): { pageNo: number; pageSize: number } {
  const pageNo = o.pageNo === undefined ? 1 : Number(o.pageNo);
  const pageSize = o.pageSize === undefined ? 100 : Number(o.pageSize);
  if (!Number.isInteger(pageNo) || pageNo < 1) throw fieldError('pageNo', '须为不小于 1 的整数');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw fieldError('pageSize', '须为 1-1000 的整数');
  return { pageNo, pageSize };
}

async function hospitalOf(api: ApiContext, appid: string): Promise<number> {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  return app.hospitalId;
}

export async function getEBillByBusNo(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const busNo = reqStr(o, 'busNo');
  const em = api.deps.orm.em.fork();
  const bill = await em.findOne(Bill, { appid, busNo }, { populate: ['place'] });
  if (!bill) {
    const req = await em.findOne(IssueRequest, { appid, busNo });
    if (req?.status === 'rejected') throw new DomainError('E0030', `busNo: 业务流水号 ${busNo} 开票被拒绝：${req.errorMessage}`, 'busNo');
    if (req) throw new DomainError('E0050', `busNo: 业务流水号 ${busNo} 正在开票，请稍后再查询`, 'busNo');
    throw new DomainError('E0030', `busNo: 业务流水号 ${busNo} 没有票据`, 'busNo');
  }
  return issueAnswer(api, toIssued(api.deps, bill, bill.place.code));
}

export async function getEBillStatesByBillInfo(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const billBatchCode = reqStr(o, 'billBatchCode');
  const billNo = reqStr(o, 'billNo');
  const hospitalId = await hospitalOf(api, appid);
  const em = api.deps.orm.em.fork();
  const bill = await em.findOne(Bill, { billBatchCode, billNo, hospital: hospitalId });
  if (!bill) throw new DomainError('E0030', `billNo: 本医院没有票据 ${billBatchCode}-${billNo}`, 'billNo');
  const red = bill.scarletBillId ? await em.findOne(Bill, bill.scarletBillId) : null;
  return {
    billBatchCode,
    billNo,
    random: bill.random,
    state: '1', // 1 normal (issued); 2 voided applies to paper forms
    isScarlet: bill.state === 'reversed' ? '1' : '0',
    isPrtPaper: bill.paperState === 'exchanged' ? '1' : '0',
    pBillBatchCode: bill.paperState === 'exchanged' ? (bill.paperBillBatchCode ?? '') : '',
    pBillNo: bill.paperState === 'exchanged' ? (bill.paperBillNo ?? '') : '',
    uploadState: bill.uploadState,
    createTime: bill.issuedAt.toISOString(),
    ...(red ? { eScarletBillBatchCode: red.billBatchCode, eScarletBillNo: red.billNo, eScarletRandom: red.random, scarletTime: red.issuedAt.toISOString() } : {}),
  };
}

/** Bills by business time range: busBgnDate / busEndDate as yyyyMMddHHmmssSSS (or yyyyMMdd). */
export async function getBillByBusDate(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const norm = (f: string, end: boolean) => {
    const v = reqStr(o, f);
    const full = /^\d{8}$/.test(v) ? v + (end ? '235959999' : '000000000') : v;
    if (!validBusDateTime(full)) throw fieldError(f, '须为 yyyyMMdd 或 yyyyMMddHHmmssSSS');
    return full;
  };
  const from = norm('busBgnDate', false);
  const to = norm('busEndDate', true);
  const placeCode = optStr(o, 'placeCode');
  const { pageNo, pageSize } = paging(o);
  const hospitalId = await hospitalOf(api, appid);
  const where: Record<string, unknown> = { hospital: hospitalId, busDateTime: { $gte: from, $lte: to } };
  if (placeCode) where.place = { code: placeCode };
  const [bills, total] = await api.deps.orm.em.fork().findAndCount(Bill, where, {
    populate: ['place'],
    orderBy: { busDateTime: 'asc', id: 'asc' },
    limit: pageSize,
    offset: (pageNo - 1) * pageSize,
  });
  return {
    total,
    pageNo,
    pageSize,
    billList: bills.map((b) => ({
      busNo: b.busNo,
      busType: b.busType,
      busDateTime: b.busDateTime,
      placeCode: b.place.code,
      billBatchCode: b.billBatchCode,
      billNo: b.billNo,
      random: b.random,
      totalAmt: formatYuan(b.totalAmt),
      payer: b.payer,
      isScarlet: b.state === 'reversed' ? '1' : '0',
    })),
  };
}

/** Daily reconciliation with HIS: count and amount of bills at a point on a business date. */
export async function checkTotalData(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const placeCode = reqStr(o, 'placeCode');
  const busDate = reqStr(o, 'busDate');
  if (!/^\d{8}$/.test(busDate) || !validBusDateTime(busDate + '000000000')) throw fieldError('busDate', '须为日期，格式 yyyyMMdd');
  const { pageNo, pageSize } = paging(o);
  const hospitalId = await hospitalOf(api, appid);
  const em = api.deps.orm.em.fork();
  const place = await em.findOne(BillingPoint, { hospital: hospitalId, code: placeCode });
  if (!place) throw fieldError('placeCode', `开票点 ${placeCode} 不存在`, 'E0020');
  const where = { hospital: hospitalId, place: place.id, busDateTime: { $gte: busDate + '000000000', $lte: busDate + '235959999' } };
  const agg = await pointTotals(em, hospitalId, place.id, busDate + '000000000', busDate + '235959999');
  const page = await em.find(Bill, where, { orderBy: { busDateTime: 'asc', id: 'asc' }, limit: pageSize, offset: (pageNo - 1) * pageSize });
  return {
    placeCode,
    busDate,
    allTotalNum: Number(agg.n),
    allTotalAmt: formatYuan(Number(agg.amt ?? 0)),
    pageNo,
    pageSize,
    billList: page.map((b) => ({ busNo: b.busNo, billBatchCode: b.billBatchCode, billNo: b.billNo, totalAmt: formatYuan(b.totalAmt), busDateTime: b.busDateTime })),
  };
}
