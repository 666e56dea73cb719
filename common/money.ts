/**
 * Money is integer fen (分). Amounts arrive from HIS as decimal yuan (JSON numbers or strings,
 * at most 2 decimal places); they are converted by their decimal text, never by float maths.
 */
export type Fen = number;

const YUAN = /^-?\d{1,13}(\.\d{1,2})?$/;

/** Parses a yuan amount into fen; returns undefined when it is not a decimal with <= 2 places. */
export function parseYuan(v: unknown): Fen | undefined {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    // JSON numbers like 12.3 print back as "12.3": their shortest decimal text is what HIS sent.
    s = String(v);
    if (/e/i.test(s)) return undefined;
  } else if (typeof v === 'string') {
    s = v.trim();
  } else {
    return undefined;
  }
  if (!YUAN.test(s)) return undefined;
  const neg = s.startsWith('-');
  const [intPart, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const fen = Number(intPart) * 100 + Number((frac + '00').slice(0, 2));
  return neg ? -fen : fen;
}

/** Formats fen as yuan with exactly two decimals, e.g. 1234 -> "12.34". */
export function formatYuan(fen: Fen): string {
  const neg = fen < 0;
  const abs = Math.abs(fen);
  const s = `${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** Chinese upper-case amount as printed on bills, e.g. 1234.50 -> 壹仟贰佰叁拾肆元伍角. */
export function yuanInChinese(fen: Fen): string {
  const digits = '零壹贰叁肆伍陆柒捌玖';
  const units = ['', '拾', '佰', '仟'];
  const big = ['', '万', '亿', '万亿'];
  const neg = fen < 0;
  let abs = Math.abs(fen);
  const jiao = Math.trunc(abs / 10) % 10;
  const fenD = abs % 10;
  let yuan = Math.trunc(abs / 100);
  let out = '';
  if (yuan === 0) out = '零';
  let group = 0;
  let needZero = false;
  while (yuan > 0) {
    const g = yuan % 10000;
    let gs = '';
    let zero = false;
    for (let i = 0; i < 4; i++) {
      const d = Math.trunc(g / 10 ** i) % 10;
      if (d === 0) {
        if (gs) zero = true;
      } else {
        gs = digits[d] + units[i] + (zero ? '零' : '') + gs;
        zero = false;
      }
    }
    if (g > 0) {
      out = gs + big[group] + (needZero ? '零' : '') + out;
      needZero = g < 1000;
    } else if (out) {
      needZero = true;
    }
    yuan = Math.trunc(yuan / 10000);
    group++;
  }
  out += '元';
  if (jiao === 0 && fenD === 0) out += '整';
  else {
    if (jiao > 0) out += digits[jiao] + '角';
    else if (out !== '零元') out += '零';
    if (fenD > 0) out += digits[fenD] + '分';
  }
  return (neg ? '负' : '') + out.replace(/^零元(零)?/, '');
}
