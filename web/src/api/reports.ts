import { API_BASE, buildQuery, http, type QueryValue } from './http';

export interface ReportColumn {
  key: string;
  header: string;
  width?: number;
  money?: boolean;
  /** a header above this column and its neighbours of the same group */
  group?: string;
  /** a key column kept at the left */
  fixed?: boolean;
}

export interface ReportParam {
  name: string;
  label: string;
  type: 'date' | 'place' | 'text' | 'select';
  required?: boolean;
  /** for `select`: the choices */
  options?: Array<{ value: string; label: string }>;
  /** for `select`: the choice picked at first (none: all) */
  default?: string;
}

export interface ReportInfo {
  id: string;
  title: string;
  description: string;
  params: ReportParam[];
  columns: ReportColumn[];
}

export type ReportRow = Record<string, string> & { _subtotal?: string };

export interface ReportPreview {
  id: string;
  title: string;
  columns: ReportColumn[];
  rows: ReportRow[];
  /** the preview stops at 200 rows; the export has them all, with the totals */
  truncated: boolean;
}

export const listReports = () => http.get<{ reports: ReportInfo[] }>('/reports');
export const previewReport = (id: string, query: Record<string, QueryValue>) => http.get<ReportPreview>(`/reports/${encodeURIComponent(id)}`, query, { silent: true });
/** The Excel export's URL (the session cookie authenticates the download). */
export const exportUrl = (id: string, query: Record<string, QueryValue>) => `${API_BASE}/reports/${encodeURIComponent(id)}/export${buildQuery(query)}`;
