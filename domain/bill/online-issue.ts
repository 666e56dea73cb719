/**
 * 在线开具 (issue 15 point 1): a bill a finance officer issues in the console, by hand or from an
 * Excel row group, turned into the HIS issuance request the interface takes (INTERFACES.md §1),
 * so that it runs the one issuing path: the stored request, the busNo rules (the same busNo with
 * the same content answers the same bill; with other content it is refused), the HIS checks of
 * parseIssueDraft (totals, pay channels, limits), numbering, signing, layout and delivery.
 *
 * Pure: the console route and the import both build with it.
 */
import { fieldError } from '../../common/errors';
import { formatYuan, parseYuan, type Fen } from '../../common/money';
import type { IssueMethod } from './issue-request';

export const ONLINE_BUSNO_PREFIX = 'ZX';
/** The most charge lines and pay channels of one bill issued in the console. */
export const ONLINE_MAX_ITEMS = 100;
export const ONLINE_MAX_PAYMENTS = 9;

export interface OnlineItem {
  chargeCode: string;
  chargeName: string;
  number?: string;
  /** Fen. */
  amt: Fen;
}

export interface OnlineBill {
  /** The key that makes a retry the same bill: the console's request key, or the import's 业务单号. */
  key: string;
  placeCode: string;
  busType: string;
  payer: string;
  patientNo: string;
  idCardNo?: string;
  tel?: string;
  email?: string;
  hospitalNo?: string;
  checkUpNo?: string;
  remark?: string;
  /**
   * 补开: the day of the business the bill is issued for afterwards (yyyy-MM-dd, China time), at
   * most ONLINE_LATE_DAYS back and not in the future; absent: the business is now.
   */
  busDate?: string;
  items: OnlineItem[];
  payments: Array<{ payChannelCode: string; amount: Fen }>;
}

/** How many days back a bill may be issued afterwards (补开). */
export const ONLINE_LATE_DAYS = 366;

/**
 * The business time of a console bill: now, or for 补开 the given day at 00:00 China time
 * (`now` is the China time text yyyyMMddHHmmssSSS).
 */
export function onlineBusDateTime(busDate: string | undefined, now: string): string {
  if (!busDate) return now;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(busDate);
  const day = m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  if (!m || !day || day.getUTCFullYear() !== +m[1] || day.getUTCMonth() !== +m[2] - 1 || day.getUTCDate() !== +m[3]) throw fieldError('busDate', '业务日期须为有效日期，格式 yyyy-MM-dd');
  const today = Date.UTC(+now.slice(0, 4), +now.slice(4, 6) - 1, +now.slice(6, 8));
  if (day.getTime() > today) throw fieldError('busDate', '业务日期不能晚于今天');
  if (today - day.getTime() > ONLINE_LATE_DAYS * 86_400_000) throw fieldError('busDate', `补开的业务日期至多 ${ONLINE_LATE_DAYS} 天前`);
  return `${m[1]}${m[2]}${m[3]}000000000`;
}

export const onlineBusNo = (key: string) => `${ONLINE_BUSNO_PREFIX}${key}`;

/** The issuance method of a business type (住院 needs hospitalNo, 体检 checkUpNo: the HIS rules). */
export function onlineMethod(busType: string): IssueMethod {
  if (busType === '01') return 'invEBillHospitalized';
  if (busType === '05') return 'invEBillCheckUp';
  if (busType === '06') return 'invEBillRegistration';
  return 'invoiceEBillOutpatient';
}

const KEY = /^[A-Za-z0-9_-]{1,40}$/;

/** The HIS request of a console bill; `operator` is the finance officer (收款人 / 开票人); `busDateTime` is now in China time. */
export function onlineRequest(b: OnlineBill, operator: string, busDateTime: string): { method: IssueMethod; business: Record<string, unknown> } {
  if (!KEY.test(b.key)) throw fieldError('key', '业务单号须为 1-40 位字母、数字、_ 或 -');
  if (!b.items.length) throw fieldError('items', '请至少添加一个收费项目');
  if (b.items.length > ONLINE_MAX_ITEMS) throw fieldError('items', `至多 ${ONLINE_MAX_ITEMS} 个收费项目`);
  if (!b.payments.length) throw fieldError('payments', '请填写支付方式');
  if (b.payments.length > ONLINE_MAX_PAYMENTS) throw fieldError('payments', `至多 ${ONLINE_MAX_PAYMENTS} 种支付方式`);
  const total = b.items.reduce((s, i) => s + i.amt, 0);
  const opt = (k: string, v: string | undefined) => (v ? { [k]: v } : {});
  return {
    method: onlineMethod(b.busType),
    business: {
      busNo: onlineBusNo(b.key),
      busType: b.busType,
      payer: b.payer,
      busDateTime: onlineBusDateTime(b.busDate, busDateTime),
      placeCode: b.placeCode,
      payee: operator,
      author: operator,
      totalAmt: formatYuan(total),
      remark: b.remark ?? '',
      ...opt('patientNo', b.patientNo),
      ...opt('patientId', b.patientNo),
      ...opt('idCardNo', b.idCardNo),
      ...opt('tel', b.tel),
      ...opt('email', b.email),
      ...opt('hospitalNo', b.hospitalNo),
      ...opt('checkUpNo', b.checkUpNo),
      payChannelDetail: b.payments.map((p) => ({ payChannelCode: p.payChannelCode, payChannelValue: formatYuan(p.amount) })),
      chargeDetail: b.items.map((i, n) => ({ sortNo: n + 1, chargeCode: i.chargeCode, chargeName: i.chargeName, ...(i.number ? { number: i.number } : {}), amt: formatYuan(i.amt), selfAmt: formatYuan(i.amt) })),
      listDetail: [],
    },
  };
}

/** A yuan amount a person typed (12.5, "12.50"), as fen, > 0; the error names the field. */
export function typedYuan(v: unknown, field: string): Fen {
  const fen = parseYuan(typeof v === 'string' ? v.replace(/[,，\s]/g, '') : v);
  if (fen === undefined) throw fieldError(field, '金额须为至多两位小数的数字');
  if (fen <= 0) throw fieldError(field, '金额须大于 0', 'E0011');
  return fen;
}
