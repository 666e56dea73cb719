import { http } from './http';

/** One row of the operation log (操作日志): who did what, when, from where, with the object before and after. */
export interface OperationRow {
  seq: number;
  at: string;
  username: string;
  displayName: string | null;
  address: string | null;
  action: string;
  actionName: string;
  objectType: string | null;
  objectId: string | null;
  result: string;
  resultName: string;
  detail: string | null;
  before: unknown;
  after: unknown;
}

export interface OperationQuery {
  dateFrom?: string;
  dateTo?: string;
  username?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  page?: number;
  pageSize?: number;
}

export interface OperationPage {
  total: number;
  page: number;
  pageSize: number;
  rows: OperationRow[];
  /** Action codes and their Chinese names (for the filter). */
  actions: Record<string, string>;
  results: Record<string, string>;
  /** An open to-do of the daily check: the chain was found broken. */
  chainAlarm: { title?: string; detail?: string | null; createdAt?: string } | null;
}

/** The answer of a chain verification. */
export interface VerifyResult {
  ok: boolean;
  checked: number;
  fromSeq: number;
  toSeq: number;
  archives: number;
  firstBreak?: { seq: number; kind: string; detail: string };
  detail: string;
}

const clean = (q: OperationQuery) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string | number>;

export const fetchOperations = (q: OperationQuery, signal?: AbortSignal) => http.get<OperationPage>('/audit/operations', clean(q), { signal });
/** Walks the whole chain (HMAC-SM3): an edited, deleted or reordered row is named. The run is itself logged. */
export const verifyOperations = () => http.post<VerifyResult>('/audit/operations/verify', {});
