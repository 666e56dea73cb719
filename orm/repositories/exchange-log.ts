/**
 * The exchange log's rows (交互日志): clear search keys, the SM4 ciphertext of the bodies, and the
 * HMAC-SM3 chain (`exchange` in log_chain_head, orm/repositories/log-chain.ts).
 * services/exchange-log.ts encrypts, computes the MACs and decides; this file only reads and writes rows.
 */
import { dbNow, type Sql } from '../sql';
import { dbDate } from '../sql-values';
import type { ExchangeFields, ExchangeKeys } from '../../domain/audit';
import type { Db } from './db';
import { chainRowsAfter, chainSeqsOfMac, logWhere, searchLogRows } from './log-chain';

/** A row as stored: the clear columns (domain/audit.ts), the key id and ciphertext of the bodies, the chain's macs. */
export interface ExchangeRow extends ExchangeFields<Date> {
  id?: number;
  seq: number;
  keyId: string;
  /** The SM4 ciphertext (`iv:ciphertext` hex) of the request and answer JSON. */
  body: string;
  prevMac: string;
  mac: string;
}

type Raw = {
  id: number;
  seq: number;
  at: string | number | Date;
  system: string;
  method: string;
  direction: string;
  bus_no: string | null;
  bill_no: string | null;
  refund_no: string | null;
  order_no: string | null;
  result_code: string;
  duration_ms: number;
  key_id: string;
  body?: string;
  prev_mac: string;
  mac: string;
};

const CLEAR = 'id, seq, at, system, method, direction, bus_no, bill_no, refund_no, order_no, result_code, duration_ms, key_id, prev_mac, mac';
const ALL = `${CLEAR}, body`;
const INSERT_COLUMNS = 'seq, at, system, method, direction, bus_no, bill_no, refund_no, order_no, result_code, duration_ms, key_id, body, prev_mac, mac';
/** Rows per insert statement (15 parameters each, under SQLite's older 999-parameter limit). */
const ROWS_PER_INSERT = 50;

const toRow = (r: Raw): ExchangeRow => ({
  id: Number(r.id),
  seq: Number(r.seq),
  at: dbDate(r.at),
  system: r.system,
  method: r.method,
  direction: r.direction,
  busNo: r.bus_no ?? null,
  billNo: r.bill_no ?? null,
  refundNo: r.refund_no ?? null,
  orderNo: r.order_no ?? null,
  resultCode: r.result_code,
  durationMs: Number(r.duration_ms),
  keyId: r.key_id,
  body: r.body ?? '',
  prevMac: r.prev_mac,
  mac: r.mac,
});

/** Inserts a batch of chained rows inside the caller's transaction (after advanceChainHead). */
export async function insertExchangeRows(sql: Sql, rows: readonly ExchangeRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const part = rows.slice(i, i + ROWS_PER_INSERT);
    const params = part.flatMap((r) => [
      r.seq, dbNow(sql, r.at), r.system, r.method, r.direction, r.busNo, r.billNo, r.refundNo, r.orderNo, r.resultCode, r.durationMs, r.keyId, r.body, r.prevMac, r.mac,
    ]);
    await sql.execute(`insert into exchange_log (${INSERT_COLUMNS}) values ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, params, 'run');
  }
}

/** Rows with seq > afterSeq (and <= toSeq when given), in seq order, at most `limit`, bodies included. */
export async function exchangeRowsAfter(db: Db, afterSeq: number, limit: number, toSeq?: number): Promise<ExchangeRow[]> {
  return (await chainRowsAfter<Raw>(db, 'exchange_log', ALL, afterSeq, limit, toSeq)).map(toRow);
}

/** The seqs of the rows carrying this mac (one, unless a row was copied). */
export const exchangeSeqsOfMac = (db: Db, mac: string): Promise<number[]> => chainSeqsOfMac(db, 'exchange_log', mac);

/** The row of this id, body included, if any (inside the caller's transaction when `sql` is one). */
export async function exchangeRowById(sql: Sql, id: number): Promise<ExchangeRow | undefined> {
  const [r] = await sql.execute<Raw[]>(`select ${ALL} from exchange_log where id = ?`, [id]);
  return r && toRow(r);
}

export interface ExchangeFilter extends ExchangeKeys {
  from?: Date;
  to?: Date;
}

const whereOf = (db: Db, f: ExchangeFilter) =>
  logWhere(db, f, [
    ['system', f.system], ['method', f.method], ['direction', f.direction], ['bus_no', f.busNo], ['bill_no', f.billNo],
    ['refund_no', f.refundNo], ['order_no', f.orderNo], ['result_code', f.resultCode],
  ]);

/** One page of the rows matching the filter (clear columns only, no body), newest first, and how many match in all. */
export async function searchExchangeRows(db: Db, f: ExchangeFilter, page: { offset: number; limit: number }): Promise<{ total: number; rows: ExchangeRow[] }> {
  const r = await searchLogRows<Raw>(db, 'exchange_log', CLEAR, whereOf(db, f), page);
  return { total: r.total, rows: r.rows.map(toRow) };
}

/** The rows matching the filter with seq > afterSeq, bodies included, oldest first, at most `limit` (for the command-line export; inside the caller's transaction). */
export async function exchangeRowsMatching(sql: Sql, f: ExchangeFilter, afterSeq: number, limit: number): Promise<ExchangeRow[]> {
  const { w, params } = whereOf(sql, f);
  const rows = await sql.execute<Raw[]>(
    `select ${ALL} from exchange_log${w ? `${w} and` : ' where'} seq > ? order by seq limit ${Math.max(1, Math.min(Math.floor(limit), 1000))}`,
    [...params, afterSeq],
  );
  return rows.map(toRow);
}
