/**
 * The HIS interface's input rules that hold for every method (issue, write-off, partial refund,
 * paper, refund, notice, queries): pure, no I/O, bundle-safe. The API runs `checkHisText` on the
 * decoded business object before any handler sees it; the issuance parser applies the money and
 * identity rules (domain/bill/issue-request.ts) with the configured `HisLimits`.
 */
import { fieldError } from '../common/errors';

/** Configured bounds of an issuance request (config/his.ts). */
export interface HisLimits {
  /** The payChannelCode values a bill may carry. */
  payChannelCodes: string[];
  /** The largest amount of one charge line or one pay channel, in fen. */
  maxLineFen: number;
  /** The largest total of one bill, in fen. */
  maxBillFen: number;
}

export const HIS_LIMIT_DEFAULTS: HisLimits = {
  payChannelCodes: ['01', '02', '03', '04', '05', '06', '07', '08', '09'],
  maxLineFen: 100_000_000, // 1,000,000.00 yuan
  maxBillFen: 1_000_000_000, // 10,000,000.00 yuan
};

/** Field names whose text may hold line breaks and tabs (free text printed as a block). */
export const MULTILINE_FIELDS = new Set(['remark', 'arrearsReason']);

/**
 * Characters never accepted in HIS text: C0 controls (tab, CR and LF only in MULTILINE_FIELDS),
 * DEL and C1 controls, bidi embeddings / overrides / isolates (U+202A-202E, U+2066-2069), the
 * LRM / RLM / ALM marks, zero-width characters (U+200B-200D, U+2060, U+FEFF), the Unicode line
 * and paragraph separators (U+2028-2029), and unpaired surrogates (not UTF-8 encodable).
 */
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LINE_BREAKS = /[\t\n\r]/;

const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The first forbidden character of a text (as U+XXXX), or undefined; `multiline` allows tab, CR and LF. */
export function forbiddenCharIn(s: string, multiline = false): string | undefined {
  const m = FORBIDDEN.exec(s);
  if (m) return hex(m[0]);
  if (!multiline) {
    const b = LINE_BREAKS.exec(s);
    if (b) return hex(b[0]);
  }
  return undefined;
}

/** Refuses a text with a forbidden character: E0010 naming the field. */
export function checkText(path: string, s: string, multiline = false): void {
  const c = forbiddenCharIn(s, multiline);
  if (c) throw fieldError(path, `含有不允许的控制字符（${c}）`);
}

const SAFE_KEY = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Walks a decoded HIS request: every string (and every key) is checked for forbidden characters,
 * nesting is bounded by `maxDepth`. Throws E0010 naming the field (`chargeDetail[1].chargeName`).
 */
export function checkHisText(value: unknown, maxDepth = 32, path = '', depth = 0): void {
  if (typeof value === 'string') {
    const key = /([A-Za-z0-9_]+)(\[\d+\])*$/.exec(path)?.[1] ?? '';
    checkText(path || 'data', value, MULTILINE_FIELDS.has(key));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= maxDepth) throw fieldError(path || 'data', `嵌套超过 ${maxDepth} 层`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkHisText(v, maxDepth, `${path}[${i}]`, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const kp = path ? `${path}.${k}` : k;
    if (!SAFE_KEY.test(k)) {
      const c = forbiddenCharIn(k);
      throw fieldError(path || 'data', c ? `字段名含有不允许的控制字符（${c}）` : `字段名 ${JSON.stringify(k.slice(0, 64))} 须为 1-64 个字母、数字或下划线`);
    }
    checkHisText(v, maxDepth, kp, depth + 1);
  }
}

/** The envelope's noise: 16-64 characters of [0-9A-Za-z_-] with at least 16 letters or digits (a UUID qualifies). */
export const NOISE = /^[0-9A-Za-z_-]{16,64}$/;
export function checkNoise(noise: string): void {
  if (!NOISE.test(noise) || noise.replace(/[_-]/g, '').length < 16) {
    throw fieldError('noise', '须为 16-64 个字母、数字、_ 或 -，其中至少 16 个字母或数字（如 UUID），每个请求不同', 'E0001');
  }
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** Whether an 18-character resident ID (居民身份证号) is well-formed: digits, a real birth date, ISO 7064 MOD 11-2 check character. */
export function validResidentId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCFullYear() !== y || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ID_WEIGHTS[i] * Number(id[i]);
  return '10X98765432'[sum % 11] === id[17];
}

/** cardType values that mean the resident ID card (居民身份证); absent counts as one too. */
export const RESIDENT_ID_CARD_TYPES = new Set(['1', '01', '居民身份证']);

/**
 * `idCardNo` for its `cardType`: the resident ID (cardType absent, 1 or 01) must be 18 characters
 * with its check character (a lower-case x is read as X); other documents (passports, permits)
 * 5-32 characters of A-Z a-z 0-9 ( ) -.
 */
export function checkIdCardNo(idCardNo: string, cardType: string | undefined): string {
  if (cardType === undefined || RESIDENT_ID_CARD_TYPES.has(cardType)) {
    const id = idCardNo.toUpperCase();
    if (!validResidentId(id)) throw fieldError('idCardNo', '须为 18 位居民身份证号（出生日期有效，末位校验码按 GB 11643 / ISO 7064 MOD 11-2 正确）');
    return idCardNo;
  }
  if (!/^[A-Za-z0-9()-]{5,32}$/.test(idCardNo)) throw fieldError('idCardNo', `cardType ${cardType} 的证件号须为 5-32 个字母、数字、括号或 -`);
  return idCardNo;
}
