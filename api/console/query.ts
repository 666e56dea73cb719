/**
 * The console's query strings, checked once for every GET under /api/ before any route reads
 * them: each parameter given once (a repeated one is refused, not silently turned into a list),
 * at most 200 characters, no control, bidi or zero-width characters, and a date parameter
 * (`dateFrom`, `dateTo`, `date`) a real calendar day. A refusal is HTTP 400 E0010 naming the
 * parameter in Chinese; no query reaches a route (and so the database) that would make it fail.
 */
import type { Context, Next } from 'koa';
import { forbiddenCharIn } from '../../domain/his-input';
import { HttpError, sendError } from '../http';

export const MAX_QUERY_VALUE = 200;
const DATE_PARAMS = new Set(['dateFrom', 'dateTo', 'date']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` (YYYY-MM-DD) is a day of the calendar: 2026-02-30 and 2026-13-45 are not. */
export function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1900 && y <= 9999 && t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** Throws the refusal of the first bad parameter of a query, if any. */
export function checkQuery(query: Record<string, string | string[] | undefined>): void {
  for (const [name, raw] of Object.entries(query)) {
    const field = forbiddenCharIn(name) || name.length > 64 ? 'query' : name;
    if (field === 'query') throw new HttpError(400, 'E0010', 'query: 查询参数名不合法', 'query');
    if (Array.isArray(raw)) throw new HttpError(400, 'E0010', `${name}: 查询参数只能出现一次`, name);
    const v = raw ?? '';
    if (v.length > MAX_QUERY_VALUE) throw new HttpError(400, 'E0010', `${name}: 不超过${MAX_QUERY_VALUE}个字符`, name);
    const bad = forbiddenCharIn(v);
    if (bad) throw new HttpError(400, 'E0010', `${name}: 含有不允许的控制字符（${bad}）`, name);
    if (DATE_PARAMS.has(name) && v !== '' && !isCalendarDate(v)) throw new HttpError(400, 'E0010', `${name}: 日期应为有效的 YYYY-MM-DD（如 2026-12-03）`, name);
  }
}

/** Koa middleware: every GET under /api/ has its query checked (the HIS and payment endpoints are POSTs with their own rules). */
export async function consoleQueryGuard(ctx: Context, next: Next): Promise<void> {
  if (ctx.method === 'GET' && ctx.path.startsWith('/api/')) {
    try {
      checkQuery(ctx.query as Record<string, string | string[] | undefined>);
    } catch (e) {
      return sendError(ctx, e);
    }
  }
  await next();
}
