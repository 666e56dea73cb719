/** Date helpers for display and for the yyyy-MM-dd query parameters (all in the browser's local time). */

const pad = (n: number) => String(n).padStart(2, '0');

export function formatDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * ISO timestamp → local "yyyy-MM-dd HH:mm:ss". Strings that are not timestamps are shown as they
 * came (HIS dates may already be formatted); empty → "-".
 */
export function formatDateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'string') {
    const compact = formatCompact(value);
    if (compact) return compact;
  }
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${formatDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * HIS local stamps without a zone: "yyyyMMdd" → "yyyy-MM-dd", "yyyyMMddHHmmss[SSS]" →
 * "yyyy-MM-dd HH:mm:ss" (shown as they are, no zone conversion). Anything else → null.
 */
export function formatCompact(value: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})(\d{3})?)?$/.exec(value.trim());
  if (!m) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return m[4] ? `${date} ${m[4]}:${m[5]}:${m[6]}` : date;
}

/** [from, to] as yyyy-MM-dd for "the last n days including today". */
export function lastDays(n: number, now = new Date()): [string, string] {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (n - 1));
  return [formatDate(from), formatDate(now)];
}

export function isIsoDate(s: unknown): s is string {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(new Date(`${s}T00:00:00`).getTime());
}
