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

/** One exchange with an outside system (交互日志): the searchable keys in clear; the bodies only by decryption. */
export interface ExchangeRow {
  id: number;
  seq: number;
  at: string;
  system: string;
  systemName: string;
  method: string;
  direction: string;
  directionName: string;
  busNo: string | null;
  billNo: string | null;
  refundNo: string | null;
  orderNo: string | null;
  resultCode: string;
  durationMs: number;
}

export interface ExchangeQuery {
  dateFrom?: string;
  dateTo?: string;
  system?: string;
  method?: string;
  direction?: string;
  busNo?: string;
  billNo?: string;
  refundNo?: string;
  orderNo?: string;
  resultCode?: string;
  page?: number;
  pageSize?: number;
}

export interface ExchangePage {
  total: number;
  page: number;
  pageSize: number;
  rows: ExchangeRow[];
  systems: Record<string, string>;
  directions: Record<string, string>;
  chainAlarm: { title?: string; detail?: string | null; createdAt?: string } | null;
}

export interface DecryptedExchange extends ExchangeRow {
  request: unknown;
  response: unknown;
  /** The row's own MAC holds (its content is as written). */
  macOk: boolean;
}

export const fetchExchanges = (q: ExchangeQuery, signal?: AbortSignal) => http.get<ExchangePage>('/audit/exchanges', clean(q as OperationQuery), { signal });
/** Decrypts one entry's request and answer; the decryption is itself an operation-log entry. */
export const decryptExchange = (id: number) => http.post<DecryptedExchange>(`/audit/exchanges/${id}/decrypt`, {});
export const verifyExchanges = () => http.post<VerifyResult>('/audit/exchanges/verify', {});
