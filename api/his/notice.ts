/**
 * sendEBillNotice: the HIS asks the platform to notify the patient of an issued bill (again):
 *   in:  billBatchCode, billNo, random (check code), noticeList[{noticeType, noticeValue}]
 *        (1201 SMS to a mobile number, 1202 e-mail), optional requestNo (the HIS's serial of this
 *        request: the same requestNo again sends nothing more)
 *   out: billBatchCode, billNo, requestNo, noticeList (as accepted), state "accepted"
 * The answer comes at once; the notices go out in the notice workflow, retried while a channel is
 * down. A red bill's notices use the red-bill wording.
 */
import { DomainError, fieldError } from '../../common/errors';
import { Bill } from '../../orm/entities';
import type { Channel } from '../../domain/bill/facts';
import type { ApiContext } from '../context';
import { checkTarget, noticeRequestStartedAt, REQUEST_KEY, startNoticeResend } from '../../temporal/notice-client';
import { sm3Hex } from '../../common/gm';

/** Without a requestNo, one notice request per bill and notice list in each window of this length. */
export const NOTICE_WINDOW_MS = 10 * 60_000;

const NOTICE_TYPES: Record<string, Channel> = { '1201': 'sms', '1202': 'email' };

const reqStr = (o: Record<string, unknown>, f: string): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, '必填');
  return v.trim();
};

export async function sendEBillNotice(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const billBatchCode = reqStr(o, 'billBatchCode');
  const billNo = reqStr(o, 'billNo');
  const random = reqStr(o, 'random');
  if (!/^\d{8}$/.test(billBatchCode)) throw fieldError('billBatchCode', '须为 8 位数字');
  if (!/^\d{10}$/.test(billNo)) throw fieldError('billNo', '须为 10 位数字');
  const list = o.noticeList;
  if (!Array.isArray(list) || list.length === 0) throw fieldError('noticeList', '必填：{noticeType, noticeValue} 列表（1201 短信，1202 邮件）');
  if (list.length > 10) throw fieldError('noticeList', '每个请求至多 10 个通知');
  const targets = list.map((n, i) => {
    const r = (n && typeof n === 'object' ? n : {}) as Record<string, unknown>;
    const type = typeof r.noticeType === 'number' ? String(r.noticeType) : typeof r.noticeType === 'string' ? r.noticeType.trim() : '';
    const channel = NOTICE_TYPES[type];
    if (!channel) throw fieldError(`noticeList[${i}].noticeType`, '须为 1201（短信）或 1202（邮件）');
    const value = typeof r.noticeValue === 'string' ? r.noticeValue : '';
    return { channel, target: checkTarget(channel, value, `noticeList[${i}].noticeValue`), noticeType: type };
  });
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    if (seen.has(t.channel)) throw fieldError(`noticeList[${i}].noticeType`, `${t.noticeType} 出现两次，每种通知方式只能有一个接收方`);
    seen.add(t.channel);
  });
  let requestNo: string;
  if (o.requestNo === undefined || o.requestNo === null || o.requestNo === '') {
    // Idempotent without a request number: the same bill and notice list within 10 minutes of the
    // first such request is the same request (a rebuilt retry sends nothing more); a later one sends
    // again. Keys are per 10-minute slot; a retry early in a slot reuses the previous slot's request
    // when that one started less than 10 minutes ago, so a retry across a slot boundary is no resend.
    const now = Date.now();
    const slot = Math.floor(now / NOTICE_WINDOW_MS);
    const list = targets.map((t) => `${t.channel}:${t.target}`).sort().join(',');
    const keyOf = (s: number) => `auto${sm3Hex(`sendEBillNotice|${appid}|${billBatchCode}|${billNo}|${list}|${s}`).slice(0, 32)}`;
    requestNo = keyOf(slot);
    const previous = keyOf(slot - 1);
    const startedAt = await noticeRequestStartedAt(api, { billBatchCode, billNo }, `his-${previous}`);
    if (startedAt !== undefined && now - startedAt < NOTICE_WINDOW_MS) requestNo = previous;
  } else {
    requestNo = String(o.requestNo).trim();
    if (!REQUEST_KEY.test(requestNo)) throw fieldError('requestNo', '须为 8-64 个字母、数字、_ 或 -');
  }

  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  const bill = await api.deps.orm.em.fork().findOne(Bill, { billBatchCode, billNo, hospital: app.hospitalId });
  if (!bill) throw new DomainError('E0030', `billNo: 本医院没有票据 ${billBatchCode}-${billNo}`, 'billNo');
  if (bill.random !== random) throw fieldError('random', `校验码与票据 ${billBatchCode}-${billNo} 不符`, 'E0033');

  await startNoticeResend(api, bill, {
    requestKey: `his-${requestNo}`.slice(0, 64),
    actor: `HIS:${appid}`,
    targets: targets.map(({ channel, target }) => ({ channel, target })),
  });
  return {
    billBatchCode,
    billNo,
    requestNo,
    state: 'accepted',
    noticeList: targets.map((t) => ({ noticeType: t.noticeType, noticeValue: t.target })),
  };
}
