/**
 * The head rows of the HMAC-SM3 chained logs (`log_chain_head`, one row per chain: `operation`
 * for the operation log, `exchange` for the exchange log): the last seq and its mac. Every append
 * takes the head row inside its transaction, so appenders in several processes queue on it and
 * each chain stays linear and gap-free. services/log-chain.ts computes the MACs.
 */
import { forUpdate, type Sql } from '../sql';
import { connectionNow, onConnection, type Db } from './db';

/**
 * Takes the chain's next `count` positions inside the caller's transaction: the head row is
 * updated first (a row lock on MariaDB / PostgreSQL, the database's write lock on SQLite, so a
 * second appender waits here until this transaction ends), then read back with a locking read.
 * Returns the first new row's seq and the mac it chains to; setChainHead stores the last new
 * row's mac before commit.
 */
export async function advanceChainHead(sql: Sql, chain: string, count = 1): Promise<{ seq: number; prevMac: string }> {
  const n = Math.max(1, Math.floor(count));
  const r = await sql.execute<{ affectedRows: number }>('update log_chain_head set seq = seq + ? where chain = ?', [n, chain], 'run');
  if (r.affectedRows !== 1) throw new Error(`log chain ${chain} has no head row`);
  const [head] = await sql.execute<Array<{ seq: number; mac: string }>>(`select seq, mac from log_chain_head where chain = ?${forUpdate(sql)}`, [chain]);
  return { seq: Number(head.seq) - n + 1, prevMac: head.mac };
}

export async function setChainHead(sql: Sql, chain: string, seq: number, mac: string): Promise<void> {
  await sql.execute('update log_chain_head set mac = ? where chain = ? and seq = ?', [mac, chain, seq], 'run');
}

/** The chain's head as committed (the last seq and its mac), if the chain exists. */
export async function chainHead(db: Db, chain: string): Promise<{ seq: number; mac: string } | undefined> {
  const [h] = await onConnection<Array<{ seq: number; mac: string }>>(db, 'select seq, mac from log_chain_head where chain = ?', [chain]);
  return h && { seq: Number(h.seq), mac: h.mac };
}

/** The chained tables: each has a gap-free `seq` and the row's `mac`. */
export type ChainTable = 'operation_log' | 'exchange_log';

/** `columns` of the rows with seq > afterSeq (and <= toSeq when given), in seq order, at most `limit` (1-10,000). */
export async function chainRowsAfter<T>(db: Db, table: ChainTable, columns: string, afterSeq: number, limit: number, toSeq?: number): Promise<T[]> {
  return onConnection<T[]>(
    db,
    `select ${columns} from ${table} where seq > ?${toSeq === undefined ? '' : ' and seq <= ?'} order by seq limit ${Math.max(1, Math.min(Math.floor(limit), 10_000))}`,
    toSeq === undefined ? [afterSeq] : [afterSeq, toSeq],
  );
}

/** The seqs of the rows carrying this mac (one, unless a row was copied). */
export async function chainSeqsOfMac(db: Db, table: ChainTable, mac: string): Promise<number[]> {
  const rows = await onConnection<Array<{ seq: number }>>(db, `select seq from ${table} where mac = ? order by seq`, [mac]);
  return rows.map((r) => Number(r.seq));
}

/** A log search's where clause (` where …`, or empty) and its parameters. */
export interface LogWhere {
  w: string;
  params: unknown[];
}

/** The where clause of a log search: `at` in [from, to), then each given column equal to its value. */
export function logWhere(db: Db, range: { from?: Date; to?: Date }, eq: ReadonlyArray<readonly [column: string, value: string | undefined]>): LogWhere {
  const where: string[] = [];
  const params: unknown[] = [];
  if (range.from) {
    where.push('at >= ?');
    params.push(connectionNow(db, range.from));
  }
  if (range.to) {
    where.push('at < ?');
    params.push(connectionNow(db, range.to));
  }
  for (const [col, v] of eq) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  return { w: where.length ? ` where ${where.join(' and ')}` : '', params };
}

/** One page of `columns` of the rows matching `where` (1-500 rows), newest first, and how many match in all. */
export async function searchLogRows<T>(db: Db, table: ChainTable, columns: string, where: LogWhere, page: { offset: number; limit: number }): Promise<{ total: number; rows: T[] }> {
  const { w, params } = where;
  const [c] = await onConnection<Array<{ n: number | string }>>(db, `select count(*) as n from ${table}${w}`, params);
  const limit = Math.max(1, Math.min(Math.floor(page.limit), 500));
  const offset = Math.max(0, Math.floor(page.offset));
  const rows = await onConnection<T[]>(db, `select ${columns} from ${table}${w} order by seq desc limit ${limit} offset ${offset}`, params);
  return { total: Number(c?.n ?? 0), rows };
}
