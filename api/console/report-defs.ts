/** What a console report is (definition, parameters, columns, rows) and the registry of them. */
import { HttpError } from '../http';
import type { ApiContext } from '../context';
import type { SessionUser } from './auth';
import { placeFilter } from '../../services/access';
import { chinaDayStart } from '../../common/china-time';

export interface ReportColumn {
  key: string;
  header: string;
  width?: number;
  /** amounts in fen: shown and exported as yuan with 2 places */
  money?: boolean;
}

export type ReportRow = Record<string, string | number | null | undefined> & { _subtotal?: string };

export interface ReportParam {
  name: string;
  label: string;
  type: 'date' | 'place' | 'text';
  required?: boolean;
}

export interface ReportDef<Q = Record<string, string | undefined>> {
  id: string;
  title: string;
  description: string;
  /** The permission that opens it (domain/permissions.ts). */
  permission: string;
  params: ReportParam[];
  parse(q: Record<string, string | undefined>, user: SessionUser): Q;
  columns: ReportColumn[];
  rows(api: ApiContext, q: Q): AsyncIterable<ReportRow>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
export { chinaDayStart };

/** Validates a date range (both required, from <= to, at most `maxDays`). */
export function dateRange(q: Record<string, string | undefined>, maxDays = 366): { from: Date; to: Date; dateFrom: string; dateTo: string } {
  for (const f of ['dateFrom', 'dateTo']) {
    if (!q[f]) throw new HttpError(400, 'E0010', `${f}: 请选择日期`, f);
    if (!DATE.test(q[f]!) || Number.isNaN(chinaDayStart(q[f]!).getTime())) throw new HttpError(400, 'E0010', `${f}: 日期格式应为 YYYY-MM-DD`, f);
  }
  const from = chinaDayStart(q.dateFrom!);
  const to = new Date(chinaDayStart(q.dateTo!).getTime() + 86_400_000);
  if (to <= from) throw new HttpError(400, 'E0010', 'dateTo: 结束日期不能早于开始日期', 'dateTo');
  if ((to.getTime() - from.getTime()) / 86_400_000 > maxDays) throw new HttpError(400, 'E0010', `dateTo: 查询跨度不超过${maxDays}天`, 'dateTo');
  return { from, to, dateFrom: q.dateFrom!, dateTo: q.dateTo! };
}

/** A report covers the billing point asked for if it is in the user's scope (services/access.ts), else the user's own point; finance, audit and admin the hospital. */
export function scopedPlace(q: Record<string, string | undefined>, user: SessionUser): string | undefined {
  return placeFilter(user, q.placeCode || undefined);
}

/** Every report (the bill reports of reports.ts, the stock reports of stock-reports.ts). */
export const REPORTS: ReportDef<any>[] = [];

/** Registers more reports (stock reports live beside the stock code). */
export function registerReport(def: ReportDef<any>): void {
  if (REPORTS.some((r) => r.id === def.id)) throw new Error(`report ${def.id} registered twice`);
  REPORTS.push(def);
}
