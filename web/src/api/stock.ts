/** Bill stock (票据库存): requisitions, pool, distribution, returns, voids, points, thresholds, alarms, audit. */
import { http, request } from './http';

export interface RequisitionLine {
  billKindCode: string;
  billKindName?: string;
  quantity: number;
}
export interface RequisitionEvent {
  type: string;
  typeName: string;
  actor: string;
  /** Who did it as a person reads it (domain/actors.ts): 系统（财政申领）, 财务 王芳. */
  actorName?: string;
  revision: number;
  detail?: string | null;
  at: string;
}
export interface Requisition {
  id: number;
  requisitionNo: string;
  state: 'draft' | 'submitted' | 'returned' | 'received' | 'stocked' | string;
  stateName: string;
  revision: number;
  remark: string;
  createdBy: string;
  createdAt: string;
  submittedAt?: string | null;
  reviewer?: string | null;
  reviewComment?: string | null;
  reviewedAt?: string | null;
  stockedBy?: string | null;
  stockedAt?: string | null;
  workflowUrl?: string | null;
  lines: RequisitionLine[];
  events?: RequisitionEvent[];
  segments?: Array<{ billKindCode: string; billBatchCode: string; startNo: string; endNo: string; quantity: number; state: string }>;
}
export interface PoolRange {
  billKindCode: string;
  billKindName: string;
  billBatchCode: string;
  startNo: string;
  endNo: string;
  quantity: number;
}
export interface PointSegment extends PoolRange {
  placeCode: string;
  placeName: string;
  nextNo: string | null;
  used: number;
  remaining: number;
}
export interface PointBalance {
  billKindCode: string;
  billKindName: string;
  remaining: number;
  threshold: number;
  thresholdSet: boolean;
  alarm: boolean;
}
export interface BillingPointItem {
  code: string;
  name: string;
  parentCode: string | null;
  active: boolean;
  hasBills: boolean;
  balances: PointBalance[];
}
export interface StockAlarm {
  id: number;
  state: 'open' | 'closed';
  placeCode: string;
  placeName: string;
  billKindCode: string;
  billKindName: string;
  remaining: number;
  threshold: number;
  openedAt: string;
  closedAt?: string | null;
  closedReason?: string | null;
  message: string;
}
export interface StockOpResult {
  ranges: Array<{ billBatchCode: string; startNo: number; endNo: number; quantity: number }>;
  quantity: number;
  text: string;
}
export interface AuditReport {
  ok: boolean;
  checkedAt: string;
  received: number;
  counts: Record<string, number>;
  codes: Array<{ billBatchCode: string; received: number; counts: Record<string, number> }>;
  problems: Array<{ problem: string; billBatchCode: string; startNo: number; endNo: number; categories: string[] }>;
  truncated: boolean;
}

const silent = { silent: true };
export const fetchKinds = () => http.get<{ items: Array<{ code: string; name: string }> }>('/stock/kinds');
export const fetchRequisitions = () => http.get<{ items: Requisition[] }>('/stock/requisitions');
export const fetchRequisition = (id: number) => http.get<Requisition>(`/stock/requisitions/${id}`);
export const createRequisition = (body: { lines: RequisitionLine[]; remark?: string }) => http.post<Requisition>('/stock/requisitions', body, silent);
export const editRequisition = (id: number, body: { lines: RequisitionLine[]; remark?: string }) => request<Requisition>(`/stock/requisitions/${id}`, { method: 'PUT', body, silent: true });
export const submitRequisition = (id: number) => http.post<Requisition>(`/stock/requisitions/${id}/submit`, {}, silent);
export const stockInRequisition = (id: number) => http.post<Requisition & { stockedQuantity: number }>(`/stock/requisitions/${id}/stock-in`, {}, silent);

export const fetchPool = () => http.get<{ totals: Array<{ billKindCode: string; billKindName: string; quantity: number }>; ranges: PoolRange[] }>('/stock/pool');
export const fetchSegments = (placeCode?: string) => http.get<{ items: PointSegment[] }>('/stock/segments', { placeCode });
export const distribute = (body: Record<string, unknown>) => http.post<StockOpResult>('/stock/distributions', body, silent);
export const returnStock = (body: Record<string, unknown>) => http.post<StockOpResult>('/stock/returns', body, silent);
export const voidStock = (body: Record<string, unknown>) => http.post<StockOpResult>('/stock/voids', body, silent);
export const fetchVoids = () => http.get<{ items: Array<PoolRange & { placeCode: string | null; reason: string; voidedBy: string; voidedAt: string }> }>('/stock/voids');

export const fetchPoints = () => http.get<{ defaultThreshold: number; items: BillingPointItem[] }>('/stock/points');
export const createPoint = (body: { code: string; name: string; parentCode?: string | null }) => http.post('/stock/points', body, silent);
export const editPoint = (code: string, body: { name?: string; parentCode?: string | null; active?: boolean }) => request(`/stock/points/${encodeURIComponent(code)}`, { method: 'PUT', body, silent: true });
export const deletePoint = (code: string) => request(`/stock/points/${encodeURIComponent(code)}`, { method: 'DELETE', silent: true });
export const setThreshold = (body: { placeCode: string; billKindCode: string; minRemaining: number }) => request('/stock/thresholds', { method: 'PUT', body, silent: true });

export const fetchAlarms = (state: 'open' | 'all') => http.get<{ items: StockAlarm[] }>('/stock/alarms', { state });
export const fetchAlarmCount = () => http.get<{ open: number }>('/stock/alarms/count', undefined, silent);
export const checkAlarmsNow = () => http.post('/stock/alarms/check', {});
export const fetchAudit = () => http.get<AuditReport>('/stock/audit');
