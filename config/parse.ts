/**
 * The small parsers every config group shares. Each takes the variable's name (for the message of
 * a refused value), its text from the environment, and the default used when it is unset or empty.
 * Pure: no Node built-ins, so a group file that only imports this one stays bundle-safe.
 */

/** `1`, `true`, `yes`, `on` (any case) are true; anything else set is false. */
export function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** A duration as `500ms`, `30s`, `15m`, `4h`, `1d`, or plain milliseconds; zero is refused. */
export function duration(name: string, v: string | undefined, dfltMs: number): number {
  if (v === undefined || v === '') return dfltMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`${name} must be a duration such as 30m, 4h or 1d, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

/** As duration(), but a plain `0` is allowed and means "none". */
export function durationOrZero(name: string, v: string | undefined, dfltMs: number): number {
  return v === '0' ? 0 : duration(name, v, dfltMs);
}

/** A whole number, zero or more. */
export function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/** A number greater than zero (fractions allowed). */
export function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

/** A number from 0 to 1 (a probability). */
export function fraction(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${name} must be a number from 0 to 1, got "${v}"`);
  return n;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(name: string, v: string | undefined, choices: readonly T[], dflt: T): T {
  if (v === undefined || v === '') return dflt;
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${name} must be ${choices.join('|')}, got "${v}"`);
  return v as T;
}

/** A base URL without its trailing slash (paths are appended to it). */
export function baseUrl(v: string): string {
  return v.replace(/\/$/, '');
}

/** The text, or undefined when unset or empty. */
export function optional(v: string | undefined): string | undefined {
  return v || undefined;
}
