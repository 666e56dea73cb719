/**
 * What the two audit logs answer (操作日志 and 交互日志): the rows as the console shows them, the
 * search keys, one page of a search, and a chain verification. Declared once here, for the services
 * (services/operation-log.ts, services/exchange-log.ts, services/log-chain.ts), the repositories
 * (orm/repositories/*-log.ts) and the console (web/src/api/audit.ts) alike. `Time` is a Date on the
 * server and the ISO string the JSON carries in the console.
 */
import type { ChainBreakKind } from './operation-log';

// ---- the operation log ----

/** The columns of an operation-log row a person reads (who, when, from where, what, the outcome). */
export interface OperationFields<Time = string> {
  at: Time;
  username: string;
  displayName: string | null;
  address: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  result: string;
  detail: string | null;
}

/** One row of the operation log as the console shows it, with the object before and after. */
export interface OperationView extends OperationFields {
  seq: number;
  actionName: string;
  resultName: string;
  before: unknown;
  after: unknown;
}

/** The operation log's search keys (each an exact match). */
export interface OperationKeys {
  username?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
}

// ---- the exchange log ----

/** The clear columns of an exchange-log row: when, which system, method and way, the business keys, the outcome. */
export interface ExchangeFields<Time = string> {
  at: Time;
  system: string;
  method: string;
  direction: string;
  busNo: string | null;
  billNo: string | null;
  refundNo: string | null;
  orderNo: string | null;
  resultCode: string;
  durationMs: number;
}

/** One exchange with an outside system as the console shows it: the clear columns, no body. */
export interface ExchangeView extends ExchangeFields {
  id: number;
  seq: number;
  systemName: string;
  directionName: string;
}

/** One exchange with its request and answer decrypted. */
export interface DecryptedExchange extends ExchangeView {
  request: unknown;
  response: unknown;
  /** Whether the row's own MAC holds (its content as written; the chain is the verification's). */
  macOk: boolean;
}

/** The exchange log's search keys (each an exact match). */
export interface ExchangeKeys {
  system?: string;
  method?: string;
  direction?: string;
  busNo?: string;
  billNo?: string;
  refundNo?: string;
  orderNo?: string;
  resultCode?: string;
}

// ---- both ----

/** One page of a log search, newest first. */
export interface LogPage<R> {
  total: number;
  page: number;
  pageSize: number;
  rows: R[];
}

/** The first break of a chain: where, how, in words. */
export interface ChainBreak {
  seq: number;
  kind: ChainBreakKind;
  detail: string;
}

/** The answer of a chain verification. */
export interface VerifyResult {
  ok: boolean;
  /** Rows verified before the first break (all of them when ok). */
  checked: number;
  /** The rows the walk covered: from the anchor's next seq to the head's seq. */
  fromSeq: number;
  toSeq: number;
  /** Archive files the chain starts after. */
  archives: number;
  firstBreak?: ChainBreak;
  /** A sentence for a person. */
  detail: string;
}
