/**
 * Validates an HIS issuance request (INTERFACES.md §1) into an IssueDraft: pure, no I/O, used by
 * the API (answer bad input at once) and again by the issuing activity (on the stored payload).
 * Every error names the field at fault.
 */
import { DomainError, fieldError } from '../../common/errors';
import { type Fen, formatYuan, parseYuan } from '../../common/money';
import { sm3Hex } from '../../common/gm';
import { checkHisText, checkIdCardNo, HIS_LIMIT_DEFAULTS, type HisLimits } from '../his-input';
import { BUS_TYPES, isMedicalBusType } from './codes';

export const ISSUE_METHODS = {
  invEBillRegistration: 'registration',
  invoiceEBillOutpatient: 'outpatient',
  invEBillHospitalized: 'inpatient',
  invEBillCheckUp: 'checkup',
} as const;
export type IssueMethod = keyof typeof ISSUE_METHODS;
export const isIssueMethod = (m: string): m is IssueMethod => Object.prototype.hasOwnProperty.call(ISSUE_METHODS, m);

/** Business types and their names (domain/bill/codes.ts). */
export { BUS_TYPES } from './codes';

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
  if (typeof v !== 'string') throw fieldError(path, '须为文本');
  if (v.length > max) throw fieldError(path, `至多 ${max} 个字符`);
  return v.trim();
};
const req = (o: Record<string, unknown>, f: string, path = f, max = 128): string => {
  const v = str(o, f, path, max);
  if (v === undefined || v === '') throw fieldError(path, '必填');
  return v;
};
const yuan = (o: Record<string, unknown>, f: string, path = f, required = true): Fen | undefined => {
  const v = o[f];
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(path, '必填');
    return undefined;
  }
  const fen = parseYuan(v);
  if (fen === undefined) throw fieldError(path, `须为金额（元，至多 2 位小数），收到 ${JSON.stringify(v)}`);
  return fen;
};

/** Integer fen summed in BigInt: exact whatever the count and size (the bounds keep it a safe Number). */
function exactSum(fens: Fen[]): Fen {
  const total = fens.reduce((s, f) => s + BigInt(f), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  return Number(total);
}

/** Extra fields that are amounts in yuan (money splits of the settlement). */
const MONEY_EXTRA = new Set([
  'accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'cashPay', 'chequePay',
  'transferAccountPay', 'cashRecharge', 'cashRefund', 'reimbursementAmt', 'ownAcBalance',
]);
/** Extra fields that carry structured data (bounded in size; nesting bounded by the request's). */
const STRUCTURED_EXTRA: Record<string, number> = { otherInfo: 4096, otherMedicalList: 16384 };

/**
 * An extra field, typed and bounded before it is stored: money as yuan (at most the bill bound),
 * text (string, number or boolean) at most 128 characters, `otherInfo` (text or JSON) at most 4 KiB
 * and `otherMedicalList` (a list) at most 16 KiB of JSON. Anything else is refused naming the field.
 */
function checkExtra(f: string, v: unknown, limits: HisLimits): unknown {
  if (MONEY_EXTRA.has(f)) {
    const fen = parseYuan(v);
    if (fen === undefined) throw fieldError(f, `须为金额（元，至多 2 位小数），收到 ${JSON.stringify(v).slice(0, 40)}`);
    if (Math.abs(fen) > limits.maxBillFen) throw fieldError(f, `金额超过上限 ${formatYuan(limits.maxBillFen)} 元`, 'E0011');
    return v;
  }
  const max = STRUCTURED_EXTRA[f];
  if (max !== undefined) {
    if (f === 'otherMedicalList' && !Array.isArray(v)) throw fieldError(f, '须为列表');
    const size = typeof v === 'string' ? v.length : JSON.stringify(v).length;
    if (size > max) throw fieldError(f, `至多 ${max} 个字符（JSON）`);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw fieldError(f, '须为有限数字');
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') throw fieldError(f, '须为文本');
  if (v.length > 128) throw fieldError(f, '至多 128 个字符');
  return v;
}

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

export function parseIssueDraft(method: string, o: Record<string, unknown>, limits: HisLimits = HIS_LIMIT_DEFAULTS): IssueDraft {
  if (!isIssueMethod(method)) throw new DomainError('E0040', `method: 未知的开票接口 ${method}`, 'method');
  // The same text rules as every HIS method (the API ran them already; the stored payload and a reissue's get them here).
  checkHisText(o);
  const bounded = (path: string, fen: Fen, max: number, what: string) => {
    if (fen > max) throw fieldError(path, `${what}超过上限 ${formatYuan(max)} 元`, 'E0011');
    return fen;
  };
  const busNo = req(o, 'busNo', 'busNo', 64);
  if (!/^[\x21-\x7e]+$/.test(busNo)) throw fieldError('busNo', '须为不含空格的可打印 ASCII 字符');
  const busType = req(o, 'busType');
  if (!BUS_TYPES[busType]) throw fieldError('busType', `未知的业务类型 ${busType}（01-08、91 往来结算、92 捐赠）`);
  if (busType === '07' || busType === '08') {
    throw fieldError('busType', `${busType} 是预交金，请用 invoicePayMentVoucher 开具预交金收据，不开具票据`);
  }
  const busDateTime = req(o, 'busDateTime');
  if (!validBusDateTime(busDateTime)) throw fieldError('busDateTime', '须为有效时间，格式 yyyyMMddHHmmssSSS');
  const totalAmt = yuan(o, 'totalAmt')!;
  if (totalAmt <= 0) throw fieldError('totalAmt', '须大于 0', 'E0011');
  bounded('totalAmt', totalAmt, limits.maxBillFen, '票据金额');

  const tel = str(o, 'tel', 'tel', 32);
  if (tel && !TEL.test(tel)) throw fieldError('tel', '须为手机号码（11 位）或固定电话');
  const email = str(o, 'email', 'email', 128);
  if (email && !EMAIL.test(email)) throw fieldError('email', '须为邮箱地址');

  const pcd = o.payChannelDetail;
  if (!Array.isArray(pcd) || pcd.length === 0) throw fieldError('payChannelDetail', '必填：非空的 {payChannelCode, payChannelValue} 列表');
  if (pcd.length > 20) throw fieldError('payChannelDetail', '至多 20 个支付渠道');
  const payments = pcd.map((p, i) => {
    const path = `payChannelDetail[${i}]`;
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw fieldError(path, '须为对象');
    const r = p as Record<string, unknown>;
    const channelCode = req(r, 'payChannelCode', `${path}.payChannelCode`, 8);
    if (!limits.payChannelCodes.includes(channelCode)) {
      throw fieldError(`${path}.payChannelCode`, `未配置的支付渠道编码 "${channelCode}"（可用：${limits.payChannelCodes.join('、')}）`);
    }
    const amount = yuan(r, 'payChannelValue', `${path}.payChannelValue`)!;
    if (amount <= 0) throw fieldError(`${path}.payChannelValue`, '须大于 0', 'E0011');
    return { channelCode, amount: bounded(`${path}.payChannelValue`, amount, limits.maxLineFen, '单个支付渠道金额') };
  });
  const paySum = exactSum(payments.map((p) => p.amount));
  if (paySum !== totalAmt) {
    throw fieldError('payChannelDetail', `payChannelValue 合计 ${formatYuan(paySum)} 元，与 totalAmt ${formatYuan(totalAmt)} 元不符`, 'E0011');
  }

  const cd = o.chargeDetail;
  if (!Array.isArray(cd) || cd.length === 0) throw fieldError('chargeDetail', '必填：非空的收费项目列表');
  if (cd.length > 500) throw fieldError('chargeDetail', '至多 500 条');
  const sortNos = new Map<number, number>();
  const charges: DraftCharge[] = cd.map((c, i) => {
    const path = `chargeDetail[${i}]`;
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw fieldError(path, '须为对象');
    const r = c as Record<string, unknown>;
    const rawSort = r.sortNo;
    if (rawSort !== undefined && typeof rawSort !== 'number' && !(typeof rawSort === 'string' && /^\d{1,4}$/.test(rawSort.trim()))) {
      throw fieldError(`${path}.sortNo`, '须为 1-9999 的整数');
    }
    const sortNo = rawSort === undefined ? i + 1 : Number(rawSort);
    if (!Number.isInteger(sortNo)) throw fieldError(`${path}.sortNo`, '须为整数');
    if (sortNo < 1 || sortNo > 9999) throw fieldError(`${path}.sortNo`, '须为 1-9999 的整数');
    if (sortNos.has(sortNo)) throw fieldError(`${path}.sortNo`, `与 chargeDetail[${sortNos.get(sortNo)}] 重复（${sortNo}）`);
    sortNos.set(sortNo, i);
    const amt = yuan(r, 'amt', `${path}.amt`)!;
    if (amt <= 0) throw fieldError(`${path}.amt`, '须大于 0', 'E0011');
    bounded(`${path}.amt`, amt, limits.maxLineFen, '单条收费金额');
    const selfAmt = yuan(r, 'selfAmt', `${path}.selfAmt`, false) ?? 0;
    if (selfAmt < 0) throw fieldError(`${path}.selfAmt`, '不能为负数', 'E0011');
    bounded(`${path}.selfAmt`, selfAmt, limits.maxLineFen, '自费金额');
    return {
      sortNo,
      chargeCode: req(r, 'chargeCode', `${path}.chargeCode`, 32),
      chargeName: req(r, 'chargeName', `${path}.chargeName`, 128),
      unit: str(r, 'unit', `${path}.unit`, 16),
      std: str(r, 'std', `${path}.std`, 24),
      number: str(r, 'number', `${path}.number`, 24),
      amt,
      selfAmt,
      remark: str(r, 'remark', `${path}.remark`, 255),
    };
  });
  const chargeSum = exactSum(charges.map((c) => c.amt));
  if (chargeSum !== totalAmt) {
    throw fieldError('chargeDetail', `amt 合计 ${formatYuan(chargeSum)} 元，与 totalAmt ${formatYuan(totalAmt)} 元不符`, 'E0011');
  }

  let listDetail: unknown[] | undefined;
  if (o.listDetail !== undefined && o.listDetail !== null) {
    if (!Array.isArray(o.listDetail)) throw fieldError('listDetail', '须为列表');
    if (o.listDetail.length > 5000) throw fieldError('listDetail', '至多 5000 条');
    o.listDetail.forEach((l, i) => {
      if (!l || typeof l !== 'object' || Array.isArray(l)) throw fieldError(`listDetail[${i}]`, '须为对象');
      const entries = Object.entries(l as Record<string, unknown>);
      if (entries.length > 40) throw fieldError(`listDetail[${i}]`, '至多 40 个字段');
      for (const [k, v] of entries) {
        if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw fieldError(`listDetail[${i}].${k}`, '须为文本或数字');
        if (typeof v === 'string' && v.length > 256) throw fieldError(`listDetail[${i}].${k}`, '至多 256 个字符');
        if (typeof v === 'number' && !Number.isFinite(v)) throw fieldError(`listDetail[${i}].${k}`, '须为有限数字');
      }
      const amt = yuan(l as Record<string, unknown>, 'amt', `listDetail[${i}].amt`)!;
      if (amt < 0) throw fieldError(`listDetail[${i}].amt`, '不能为负数', 'E0011');
      bounded(`listDetail[${i}].amt`, amt, limits.maxLineFen, '明细金额');
    });
    listDetail = o.listDetail;
  }

  const noticeList: DraftNotice[] = [];
  if (o.noticeList !== undefined && o.noticeList !== null) {
    if (!Array.isArray(o.noticeList)) throw fieldError('noticeList', '须为 {noticeType, noticeValue} 列表');
    if (o.noticeList.length > 10) throw fieldError('noticeList', '至多 10 个通知');
    o.noticeList.forEach((n, i) => {
      const r = (n ?? {}) as Record<string, unknown>;
      const t = req(r, 'noticeType', `noticeList[${i}].noticeType`);
      const v = req(r, 'noticeValue', `noticeList[${i}].noticeValue`);
      if (t === '1201' && !TEL.test(v)) throw fieldError(`noticeList[${i}].noticeValue`, 'noticeType 为 1201（短信）时须为手机号码');
      else if (t === '1202' && !EMAIL.test(v)) throw fieldError(`noticeList[${i}].noticeValue`, 'noticeType 为 1202（邮件）时须为邮箱地址');
      else if (t !== '1201' && t !== '1202') throw fieldError(`noticeList[${i}].noticeType`, '须为 1201（短信）或 1202（邮件）');
      noticeList.push({ noticeType: t, noticeValue: v });
    });
  }

  if (!isMedicalBusType(busType) && method !== 'invoiceEBillOutpatient') {
    throw fieldError('busType', `${busType}（${BUS_TYPES[busType]}）是非医疗票据，请用 invoiceEBillOutpatient 开具`);
  }
  if (method === 'invEBillHospitalized') req(o, 'hospitalNo');
  if (method === 'invEBillCheckUp') req(o, 'checkUpNo');

  const extra: Record<string, unknown> = {};
  for (const f of EXTRA_FIELDS) if (o[f] !== undefined && o[f] !== null && o[f] !== '') extra[f] = checkExtra(f, o[f], limits);
  const rawIdCard = str(o, 'idCardNo', 'idCardNo', 32);
  const cardType = typeof extra.cardType === 'string' ? extra.cardType.trim() : typeof extra.cardType === 'number' ? String(extra.cardType) : undefined;
  const idCardNo = rawIdCard === undefined ? undefined : checkIdCardNo(rawIdCard, cardType);

  return {
    method,
    busNo,
    busType,
    payer: req(o, 'payer', 'payer', 128),
    busDateTime,
    placeCode: req(o, 'placeCode', 'placeCode', 32),
    payee: req(o, 'payee', 'payee', 64),
    author: req(o, 'author', 'author', 64),
    checker: str(o, 'checker', 'checker', 64),
    totalAmt,
    // A non-medical bill (往来结算, 捐赠) has a payer and no patient: its patient number is optional.
    patientNo: isMedicalBusType(busType) ? req(o, 'patientNo', 'patientNo', 64) : (str(o, 'patientNo', 'patientNo', 64) ?? ''),
    patientId: str(o, 'patientId', 'patientId', 64),
    idCardNo,
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
