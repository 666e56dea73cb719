/**
 * What an issuance request says on the bill, so that a HIS retry is judged by its content and not
 * by its bytes (issue 12): pure, no I/O. A HIS that rebuilds its request for a retry stamps a new
 * `busDateTime` and `consultationDate`, orders fields differently, sends 36.3 for "36.30" and a
 * new envelope noise; all of that is the same bill. A difference in what the bill says is not.
 *
 * The content (under the request's own field names, so a difference is named by its request path):
 * - the bill's kind and place: `method`, `busType`, `placeCode`;
 * - who pays and the patient: `payer`, `patientNo`, `patientId`, `idCardNo`;
 * - the money: `totalAmt`, `payChannelDetail` (code, amount), `chargeDetail` (sortNo, code, name,
 *   unit, std, number, amt, selfAmt, remark), `listDetail` (every field of every line);
 * - the people and text printed and signed on the bill: `payee`, `author`, `checker`, `remark`;
 * - the visit, insurance and money-split fields stored with the bill (EXTRA_FIELDS: sex, age,
 *   medicalCareType, hospitalNo, accountPay, fundPay, ownPay, selfPayAmt, weChatOrderNo...).
 * Not content: `busNo` (the key the retry is found by), `busDateTime` and `consultationDate` (time
 * stamps a rebuilt request renews; the bill keeps the first request's), the notice contacts `tel`,
 * `email`, `openID`, `noticeList` (they address the patient notices and are not printed; notices go
 * to the first request's contacts), fields the interface does not define, field order and the
 * envelope (noise, sign).
 * Amounts are integer fen (so 36.3 and "36.30" agree); other numbers compare by their decimal
 * text with trailing zeros dropped (std 45.5 = "45.50", number 1 = "1"), and empty strings and
 * nulls count as absent. Line order is content (the bill lists lines in the order sent).
 */
import { sm3Hex } from '../../common/gm';
import { canonicalJson, EXTRA_FIELDS, type IssueDraft } from './issue-request';

export type BillContent = Record<string, unknown>;

/** Request fields that are deliberately not part of the content (see above). */
export const NOT_CONTENT = ['busNo', 'busDateTime', 'consultationDate', 'tel', 'email', 'openID', 'noticeList'] as const;

const CONTENT_EXTRA = EXTRA_FIELDS.filter((f) => !(NOT_CONTENT as readonly string[]).includes(f));

/** Top-level fields in the order a difference is looked for: the bill's kind, place and payer first. */
const ORDER = [
  'method', 'busType', 'placeCode', 'payer', 'patientNo', 'patientId', 'idCardNo', 'totalAmt',
  'payChannelDetail', 'chargeDetail', 'listDetail', 'payee', 'author', 'checker', 'remark', ...CONTENT_EXTRA,
];

/** Line fields in reading order; other fields of a line (listDetail) come after, alphabetically. */
const LINE_ORDER = [
  'payChannelCode', 'payChannelValue', 'sortNo', 'listDetailNo', 'chargeCode', 'chargeName', 'code', 'name',
  'specification', 'unit', 'std', 'number', 'amt', 'selfAmt', 'remark',
];

const DECIMAL = /^([+-]?\d+)\.(\d+)$/;

/** "45.50" -> "45.5", "10.00" -> "10"; any other text as it is (codes like "01" keep their zeros). */
function decimalText(s: string): string {
  const m = DECIMAL.exec(s);
  if (!m) return s;
  const frac = m[2].replace(/0+$/, '');
  const int = m[1].replace(/^-0+$/, '0');
  return frac ? `${int}.${frac}` : int;
}

/** A value as the HIS may send it (string or number, nested lists and objects) in one canonical form. */
function normalize(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    return s === '' ? undefined : decimalText(s);
  }
  if (typeof v === 'number') return Number.isFinite(v) ? decimalText(String(v)) : String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return String(v);
}

/** The bill's content derived from a parsed request (amounts already in fen). */
export function billContent(d: IssueDraft): BillContent {
  const c: BillContent = {
    method: d.method,
    busType: d.busType,
    placeCode: d.placeCode,
    payer: d.payer,
    patientNo: d.patientNo,
    patientId: d.patientId,
    idCardNo: d.idCardNo,
    totalAmt: d.totalAmt,
    payChannelDetail: d.payments.map((p) => ({ payChannelCode: p.channelCode, payChannelValue: p.amount })),
    chargeDetail: d.charges.map((l) => ({
      sortNo: l.sortNo,
      chargeCode: l.chargeCode,
      chargeName: l.chargeName,
      unit: normalize(l.unit),
      std: normalize(l.std),
      number: normalize(l.number),
      amt: l.amt,
      selfAmt: l.selfAmt,
      remark: normalize(l.remark),
    })),
    listDetail: d.listDetail ? normalize(d.listDetail) : undefined,
    payee: d.payee,
    author: d.author,
    checker: d.checker,
    remark: normalize(d.remark),
  };
  for (const f of CONTENT_EXTRA) c[f] = normalize(d.extra[f]);
  return c;
}

/** SM3 of the canonical content: what issue_request.payload_hash holds for HIS requests. */
export const contentHash = (c: BillContent): string => sm3Hex(`bill-content/1\n${canonicalJson(c)}`);

const rank = (k: string) => {
  const i = LINE_ORDER.indexOf(k);
  return i < 0 ? LINE_ORDER.length : i;
};
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function difference(a: unknown, b: unknown, path: string): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const d = difference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return a.length === b.length ? undefined : `${path}[${n}]`;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
    for (const k of keys) {
      const d = difference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : path;
}

/**
 * The request path of the first field where two contents differ (`payer`, `chargeDetail[1].amt`,
 * `payChannelDetail[0].payChannelCode`, `chargeDetail[3]` for a line only one of them has), or
 * undefined when they say the same.
 */
export function firstDifference(a: BillContent, b: BillContent): string | undefined {
  for (const k of ORDER) {
    const d = difference(a[k], b[k], k);
    if (d) return d;
  }
  return undefined;
}
