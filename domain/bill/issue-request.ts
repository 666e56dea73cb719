/**
 * Validates an HIS issuance request (INTERFACES.md §1) into an IssueDraft: pure, no I/O, used by
 * the API (answer bad input at once) and again by the issuing activity (on the stored payload).
 * Every error names the field at fault.
 */
import { DomainError, fieldError } from '../../common/errors';
import { type Fen, formatYuan, parseYuan } from '../../common/money';
import { sm3Hex } from '../../common/gm';

export const ISSUE_METHODS = {
  invEBillRegistration: 'registration',
  invoiceEBillOutpatient: 'outpatient',
  invEBillHospitalized: 'inpatient',
  invEBillCheckUp: 'checkup',
} as const;
export type IssueMethod = keyof typeof ISSUE_METHODS;
export const isIssueMethod = (m: string): m is IssueMethod => Object.prototype.hasOwnProperty.call(ISSUE_METHODS, m);

export const BUS_TYPES: Record<string, string> = {
  '01': '住院',
  '02': '门诊',
  '03': '急诊',
  '04': '门诊特殊病',
  '05': '体检中心',
  '06': '挂号',
  '07': '住院预交金',
  '08': '体检预交金',
};

export interface DraftCharge {
  sortNo: number;
  chargeCode: string;
  chargeName: string;
  unit?: string;
  std?: string;
  number?: string;
  amt: Fen;
  selfAmt: Fen;
  remark?: string;
}

export interface DraftNotice {
  noticeType: '1201' | '1202';
  noticeValue: string;
}

export interface IssueDraft {
  method: IssueMethod;
  busNo: string;
  busType: string;
  payer: string;
  busDateTime: string;
  placeCode: string;
  payee: string;
  author: string;
  checker?: string;
  totalAmt: Fen;
  patientNo: string;
  patientId?: string;
  idCardNo?: string;
  tel?: string;
  email?: string;
  openId?: string;
  remark?: string;
  payments: Array<{ channelCode: string; amount: Fen }>;
  charges: DraftCharge[];
  listDetail?: unknown[];
  noticeList: DraftNotice[];
  /** Visit, insurance and money-split fields kept as sent (printed on the bill, shown in the console). */
  extra: Record<string, unknown>;
}

export const EXTRA_FIELDS = [
  'payerType', 'cardType', 'cardNo', 'alipayCode', 'weChatOrderNo', 'weChatMedTransNo', 'sex', 'age', 'caseNumber',
  'patientCategory', 'patientCategoryCode', 'consultationDate', 'medicalInstitution', 'medCareInstitution',
  'medCareTypeCode', 'medicalCareType', 'medicalInsuranceID', 'hospitalNo', 'visitNo', 'hospitalArea', 'bedNo',
  'inHospitalDate', 'outHospitalDate', 'hospitalDays', 'leaveCategory', 'checkUpNo', 'accountPay', 'fundPay',
  'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'cashPay', 'chequePay',
  'transferAccountPay', 'cashRecharge', 'cashRefund', 'reimbursementAmt', 'balancedNumber', 'ownAcBalance',
  'eBillRelateNo', 'isArrears', 'arrearsReason', 'otherInfo', 'otherMedicalList',
];

const str = (o: Record<string, unknown>, f: string, path = f, max = 128): string | undefined => {
  const v = o[f];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') throw fieldError(path, 'must be a string');
  if (v.length > max) throw fieldError(path, `must be at most ${max} characters`);
  return v.trim();
};
const req = (o: Record<string, unknown>, f: string, path = f, max = 128): string => {
  const v = str(o, f, path, max);
  if (v === undefined || v === '') throw fieldError(path, 'is required');
  return v;
};
const yuan = (o: Record<string, unknown>, f: string, path = f, required = true): Fen | undefined => {
  const v = o[f];
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(path, 'is required');
    return undefined;
  }
  const fen = parseYuan(v);
  if (fen === undefined) throw fieldError(path, `must be an amount in yuan with at most 2 decimal places, got ${JSON.stringify(v)}`);
  return fen;
};

const BUS_DATE_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/;
export const TEL = /^1\d{10}$|^0\d{2,3}-?\d{7,8}$/;
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validBusDateTime(s: string): boolean {
  const m = BUS_DATE_TIME.exec(s);
  if (!m) return false;
  const [, y, mo, d, h, mi, se] = m.map(Number);
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d && h < 24 && mi < 60 && se < 60;
}

export function parseIssueDraft(method: string, o: Record<string, unknown>): IssueDraft {
  if (!isIssueMethod(method)) throw new DomainError('E0040', `method: unknown issuance method "${method}"`, 'method');
  const busNo = req(o, 'busNo', 'busNo', 64);
  if (!/^[\x21-\x7e]+$/.test(busNo)) throw fieldError('busNo', 'must be printable ASCII without spaces');
  const busType = req(o, 'busType');
  if (!BUS_TYPES[busType]) throw fieldError('busType', `unknown business type "${busType}" (01-08)`);
  if (busType === '07' || busType === '08') {
    throw fieldError('busType', `${busType} is a deposit (预交金): issue a payment voucher with invoicePayMentVoucher, not a bill`);
  }
  const busDateTime = req(o, 'busDateTime');
  if (!validBusDateTime(busDateTime)) throw fieldError('busDateTime', 'must be a valid time as yyyyMMddHHmmssSSS');
  const totalAmt = yuan(o, 'totalAmt')!;
  if (totalAmt <= 0) throw fieldError('totalAmt', 'must be greater than 0', 'E0011');

  const tel = str(o, 'tel', 'tel', 32);
  if (tel && !TEL.test(tel)) throw fieldError('tel', 'must be a mobile number (11 digits) or a landline');
  const email = str(o, 'email', 'email', 128);
  if (email && !EMAIL.test(email)) throw fieldError('email', 'must be an e-mail address');

  const pcd = o.payChannelDetail;
  if (!Array.isArray(pcd) || pcd.length === 0) throw fieldError('payChannelDetail', 'is required: a non-empty list of {payChannelCode, payChannelValue}');
  const payments = pcd.map((p, i) => {
    const path = `payChannelDetail[${i}]`;
    if (!p || typeof p !== 'object') throw fieldError(path, 'must be an object');
    const r = p as Record<string, unknown>;
    return { channelCode: req(r, 'payChannelCode', `${path}.payChannelCode`, 8), amount: yuan(r, 'payChannelValue', `${path}.payChannelValue`)! };
  });
  const paySum = payments.reduce((s, p) => s + p.amount, 0);
  if (paySum !== totalAmt) {
    throw fieldError('payChannelDetail', `payChannelValue adds up to ${formatYuan(paySum)} but totalAmt is ${formatYuan(totalAmt)}`, 'E0011');
  }

  const cd = o.chargeDetail;
  if (!Array.isArray(cd) || cd.length === 0) throw fieldError('chargeDetail', 'is required: a non-empty list of charge categories');
  if (cd.length > 500) throw fieldError('chargeDetail', 'at most 500 entries');
  const charges: DraftCharge[] = cd.map((c, i) => {
    const path = `chargeDetail[${i}]`;
    if (!c || typeof c !== 'object') throw fieldError(path, 'must be an object');
    const r = c as Record<string, unknown>;
    const sortNo = r.sortNo === undefined ? i + 1 : Number(r.sortNo);
    if (!Number.isInteger(sortNo)) throw fieldError(`${path}.sortNo`, 'must be an integer');
    return {
      sortNo,
      chargeCode: req(r, 'chargeCode', `${path}.chargeCode`, 32),
      chargeName: req(r, 'chargeName', `${path}.chargeName`, 128),
      unit: str(r, 'unit', `${path}.unit`, 16),
      std: str(r, 'std', `${path}.std`, 24),
      number: str(r, 'number', `${path}.number`, 24),
      amt: yuan(r, 'amt', `${path}.amt`)!,
      selfAmt: yuan(r, 'selfAmt', `${path}.selfAmt`, false) ?? 0,
      remark: str(r, 'remark', `${path}.remark`, 255),
    };
  });
  const chargeSum = charges.reduce((s, c) => s + c.amt, 0);
  if (chargeSum !== totalAmt) {
    throw fieldError('chargeDetail', `amt adds up to ${formatYuan(chargeSum)} but totalAmt is ${formatYuan(totalAmt)}`, 'E0011');
  }

  let listDetail: unknown[] | undefined;
  if (o.listDetail !== undefined && o.listDetail !== null) {
    if (!Array.isArray(o.listDetail)) throw fieldError('listDetail', 'must be a list');
    if (o.listDetail.length > 5000) throw fieldError('listDetail', 'at most 5000 entries');
    o.listDetail.forEach((l, i) => {
      if (!l || typeof l !== 'object') throw fieldError(`listDetail[${i}]`, 'must be an object');
      yuan(l as Record<string, unknown>, 'amt', `listDetail[${i}].amt`);
    });
    listDetail = o.listDetail;
  }

  const noticeList: DraftNotice[] = [];
  if (o.noticeList !== undefined && o.noticeList !== null) {
    if (!Array.isArray(o.noticeList)) throw fieldError('noticeList', 'must be a list of {noticeType, noticeValue}');
    o.noticeList.forEach((n, i) => {
      const r = (n ?? {}) as Record<string, unknown>;
      const t = req(r, 'noticeType', `noticeList[${i}].noticeType`);
      const v = req(r, 'noticeValue', `noticeList[${i}].noticeValue`);
      if (t === '1201' && !TEL.test(v)) throw fieldError(`noticeList[${i}].noticeValue`, 'must be a mobile number for noticeType 1201 (SMS)');
      else if (t === '1202' && !EMAIL.test(v)) throw fieldError(`noticeList[${i}].noticeValue`, 'must be an e-mail address for noticeType 1202');
      else if (t !== '1201' && t !== '1202') throw fieldError(`noticeList[${i}].noticeType`, 'must be 1201 (SMS) or 1202 (e-mail)');
      noticeList.push({ noticeType: t, noticeValue: v });
    });
  }

  if (method === 'invEBillHospitalized') req(o, 'hospitalNo');
  if (method === 'invEBillCheckUp') req(o, 'checkUpNo');

  const extra: Record<string, unknown> = {};
  for (const f of EXTRA_FIELDS) if (o[f] !== undefined && o[f] !== null && o[f] !== '') extra[f] = o[f];

  return {
    method,
    busNo,
    busType,
    payer: req(o, 'payer'),
    busDateTime,
    placeCode: req(o, 'placeCode', 'placeCode', 32),
    payee: req(o, 'payee', 'payee', 64),
    author: req(o, 'author', 'author', 64),
    checker: str(o, 'checker', 'checker', 64),
    totalAmt,
    patientNo: req(o, 'patientNo', 'patientNo', 64),
    patientId: str(o, 'patientId', 'patientId', 64),
    idCardNo: str(o, 'idCardNo', 'idCardNo', 32),
    tel,
    email,
    openId: str(o, 'openID', 'openID', 64),
    remark: str(o, 'remark', 'remark', 500),
    payments,
    charges,
    listDetail,
    noticeList,
    extra,
  };
}

/** Canonical JSON (sorted keys) so that the same content always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export const payloadHash = (business: Record<string, unknown>) => sm3Hex(canonicalJson(business));
