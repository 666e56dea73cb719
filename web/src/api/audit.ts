import type { DecryptedExchange, ExchangeKeys, ExchangeView, LogPage, OperationKeys, OperationView, VerifyResult } from '@domain/audit';
import { http } from './http';

/** The answers are the server's own types (domain/audit.ts). */
export type { DecryptedExchange, VerifyResult } from '@domain/audit';
/** One row of the operation log (操作日志): who did what, when, from where, with the object before and after. */
export type OperationRow = OperationView;
/** One exchange with an outside system (交互日志): the searchable keys in clear; the bodies only by decryption. */
export type ExchangeRow = ExchangeView;

/** The open to-do of the daily check: the chain was found broken. */
export type ChainAlarm = { title?: string; detail?: string | null; createdAt?: string } | null;

/** The date range and page of a log search (the keys are each log's own). */
interface LogQuery {
  dateFrom?: string;
  dateTo?: string;
  page?: number;
  pageSize?: number;
}

export interface OperationQuery extends LogQuery, OperationKeys {}

export interface OperationPage extends LogPage<OperationRow> {
  /** Action codes and their Chinese names (for the filter). */
  actions: Record<string, string>;
  results: Record<string, string>;
  chainAlarm: ChainAlarm;
}

const clean = (q: LogQuery) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string | number>;

export const fetchOperations = (q: OperationQuery, signal?: AbortSignal) => http.get<OperationPage>('/audit/operations', clean(q), { signal });
/** Walks the whole chain (HMAC-SM3): an edited, deleted or reordered row is named. The run is itself logged. */
export const verifyOperations = () => http.post<VerifyResult>('/audit/operations/verify', {});

export interface ExchangeQuery extends LogQuery, ExchangeKeys {}

export interface ExchangePage extends LogPage<ExchangeRow> {
  systems: Record<string, string>;
  directions: Record<string, string>;
  chainAlarm: ChainAlarm;
}

export const fetchExchanges = (q: ExchangeQuery, signal?: AbortSignal) => http.get<ExchangePage>('/audit/exchanges', clean(q), { signal });
/** Decrypts one entry's request and answer; the decryption is itself an operation-log entry. */
export const decryptExchange = (id: number) => http.post<DecryptedExchange>(`/audit/exchanges/${id}/decrypt`, {});
export const verifyExchanges = () => http.post<VerifyResult>('/audit/exchanges/verify', {});
