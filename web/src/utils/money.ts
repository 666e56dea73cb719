/**
 * Money arrives from the API as strings of yuan ("12.34", "-5.00"). These helpers only ever
 * treat them as decimal strings or as BigInt of the smallest unit: never as floats.
 */

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

interface Parsed {
  negative: boolean;
  int: string;
  frac: string;
}

function parse(value: string): Parsed | null {
  const m = DECIMAL.exec(value.trim());
  if (!m) return null;
  const int = m[2]!.replace(/^0+(?=\d)/, '');
  return { negative: m[1] === '-', int, frac: m[3] ?? '' };
}

function groupThousands(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * "1234.5" → "¥1,234.50". At least two decimals are shown; extra decimals are kept (no rounding).
 * Anything that is not a decimal string is shown as it came. Empty → "-".
 */
export function formatYuan(value: string | number | null | undefined, options: { symbol?: boolean } = {}): string {
  if (value === null || value === undefined || value === '') return '-';
  const raw = String(value);
  const p = parse(raw);
  if (!p) return raw;
  const frac = p.frac.length >= 2 ? p.frac : p.frac.padEnd(2, '0');
  const isZero = /^0*$/.test(p.int + frac);
  const sign = p.negative && !isZero ? '-' : '';
  return `${sign}${options.symbol === false ? '' : '¥'}${groupThousands(p.int)}.${frac}`;
}

/** The scaled BigInt of a decimal string, or null when it is not one. */
function toScaled(value: string, scale: number): bigint | null {
  const p = parse(value);
  if (!p || p.frac.length > scale) return null;
  const digits = BigInt(p.int + p.frac.padEnd(scale, '0'));
  return p.negative ? -digits : digits;
}

function fromScaled(v: bigint, scale: number): string {
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${int}${scale ? `.${frac}` : ''}`;
}

/** Exact sum of yuan strings ("1.10" + "2.205" = "3.305"); null if any value is not a decimal string. */
export function sumYuan(values: ReadonlyArray<string | null | undefined>): string | null {
  const present = values.filter((v): v is string => v !== null && v !== undefined && v !== '');
  let scale = 2;
  for (const v of present) {
    const p = parse(v);
    if (!p) return null;
    scale = Math.max(scale, p.frac.length);
  }
  let total = 0n;
  for (const v of present) {
    const s = toScaled(v, scale);
    if (s === null) return null;
    total += s;
  }
  return fromScaled(total, scale);
}

/** Exact comparison of two yuan strings: -1, 0, 1, or null if either is not a decimal string. */
export function compareYuan(a: string, b: string): -1 | 0 | 1 | null {
  const diff = sumYuan([a, negate(b)]);
  if (diff === null) return null;
  const p = parse(diff)!;
  if (/^0*$/.test(p.int + p.frac)) return 0;
  return p.negative ? -1 : 1;
}

function negate(v: string): string {
  const t = v.trim();
  return t.startsWith('-') ? t.slice(1) : t.startsWith('+') ? `-${t.slice(1)}` : `-${t}`;
}

/** True for a negative amount ("-126.50", a red bill's), read from the string: never as a float. */
export function isNegativeYuan(value: string | number | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  const p = parse(String(value));
  return !!p && p.negative && !/^0*$/.test(p.int + p.frac);
}

/** Exact a − b of two yuan strings ("126.50" − "25.50" = "101.00"); null if either is not a decimal string. */
export function subtractYuan(a: string, b: string): string | null {
  if (parse(a) === null || parse(b) === null) return null;
  return sumYuan([a, negate(b)]);
}

/** A refund or payment amount typed by a user: greater than 0, at most 2 decimals ("12", "12.3", "12.34"). */
export function isPositiveYuanInput(value: string): boolean {
  const t = value.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return false;
  return !/^0*(\.0*)?$/.test(t);
}
