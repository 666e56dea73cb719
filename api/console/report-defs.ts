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
  /** A header above this column and its neighbours of the same group (交费渠道, 开票, 冲红). */
  group?: string;
  /** A key column kept at the left (fixed in the preview, frozen in Excel); the fixed columns come first. */
  fixed?: boolean;
}

export type ReportRow = Record<string, string | number | null | undefined> & { _subtotal?: string };

export interface ReportParam {
  name: string;
  label: string;
  /** `select`: one of `options` (listed with the reports: collectors, business categories, or fixed choices). */
  type: 'date' | 'place' | 'text' | 'select';
  required?: boolean;
  /** For `select`: the choices, or the name of a list the API fills in (`collectors`, `busTypes`). */
  options?: Array<{ value: string; label: string }> | 'collectors' | 'busTypes';
  /** For `select` with fixed choices: the one picked at first. */
  default?: string;
}

export interface ReportDef<Q = Record<string, string | undefined>> {
  id: string;
  title: string;
  description: string;
  /** The permission that opens it (domain/permissions.ts). */
  permission: string;
  /** Not on the 报表 page: the export of another page (票据查询's 票据清单). */
  unlisted?: boolean;
  params: ReportParam[];
  parse(q: Record<string, string | undefined>, user: SessionUser, api: ApiContext): Q | Promise<Q>;
  columns: ReportColumn[];
  /** Columns that depend on the data (one per pay channel of the period); default `columns`. */
  columnsFor?(api: ApiContext, q: Q): Promise<ReportColumn[]>;
  rows(api: ApiContext, q: Q): AsyncIterable<ReportRow>;
  /** The grand total, read apart from the rows so the preview shows it even when it lists only the first rows. */
  total?(api: ApiContext, q: Q): Promise<ReportRow>;
  /** What the parameters chose, in words, for the export's heading (开票点：全部；开票员：…). */
  describe?(q: Q): string;
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
  const v: unknown = q.placeCode;
  if (v !== undefined && v !== '' && (typeof v !== 'string' || v.length > 32)) throw new HttpError(400, 'E0010', 'placeCode: 请选择一个开票点（编码不超过 32 个字符）', 'placeCode');
  return placeFilter(user, q.placeCode || undefined);
}

/** Every report (the bill reports of reports.ts, the stock reports of stock-reports.ts). */
export const REPORTS: ReportDef<any>[] = [];

/** Registers more reports (stock reports live beside the stock code). */
export function registerReport(def: ReportDef<any>): void {
  if (REPORTS.some((r) => r.id === def.id)) throw new Error(`report ${def.id} registered twice`);
  REPORTS.push(def);
}
