/**
 * The operation log's rows (操作日志): the chained rows, the chain's head and the archive anchors.
 * services/operation-log.ts computes the MACs and decides; this file only reads and writes rows.
 */
import { dbNow, type Sql } from '../sql';
import { dbDate } from '../sql-values';
import { connectionNow, onConnection, type Db } from './db';
import type { OperationFields, OperationKeys } from '../../domain/audit';
import { chainRowsAfter, chainSeqsOfMac, logWhere, searchLogRows } from './log-chain';

export { advanceChainHead, chainHead, setChainHead } from './log-chain';

/** A row as stored: the columns a person reads (domain/audit.ts), the object before and after as JSON, the chain's macs. */
export interface OperationRow extends OperationFields<Date> {
  id?: number;
  seq: number;
  beforeJson: string | null;
  afterJson: string | null;
  prevMac: string;
  mac: string;
}

type DbTime = string | number | Date;
type Raw = {
  id: number;
  seq: number;
  at: DbTime;
  username: string;
  display_name: string | null;
  address: string | null;
  action: string;
  object_type: string | null;
  object_id: string | null;
  result: string;
  detail: string | null;
  before_json: string | null;
  after_json: string | null;
  prev_mac: string;
  mac: string;
};

const COLUMNS = 'id, seq, at, username, display_name, address, action, object_type, object_id, result, detail, before_json, after_json, prev_mac, mac';

const toRow = (r: Raw): OperationRow => ({
  id: Number(r.id),
  seq: Number(r.seq),
  at: dbDate(r.at),
  username: r.username,
  displayName: r.display_name ?? null,
  address: r.address ?? null,
  action: r.action,
  objectType: r.object_type ?? null,
  objectId: r.object_id ?? null,
  result: r.result,
  detail: r.detail ?? null,
  beforeJson: r.before_json ?? null,
  afterJson: r.after_json ?? null,
  prevMac: r.prev_mac,
  mac: r.mac,
});

export async function insertOperationRow(sql: Sql, r: OperationRow): Promise<void> {
  await sql.execute(
    `insert into operation_log (seq, at, username, display_name, address, action, object_type, object_id, result, detail, before_json, after_json, prev_mac, mac)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [r.seq, dbNow(sql, r.at), r.username, r.displayName, r.address, r.action, r.objectType, r.objectId, r.result, r.detail, r.beforeJson, r.afterJson, r.prevMac, r.mac],
    'run',
  );
}

/** Rows with seq > afterSeq (and <= toSeq when given), in seq order, at most `limit`. */
export async function operationRowsAfter(db: Db, afterSeq: number, limit: number, toSeq?: number): Promise<OperationRow[]> {
  return (await chainRowsAfter<Raw>(db, 'operation_log', COLUMNS, afterSeq, limit, toSeq)).map(toRow);
}

/** The seqs of the rows carrying this mac (one, unless a row was copied). */
export const seqsOfMac = (db: Db, mac: string): Promise<number[]> => chainSeqsOfMac(db, 'operation_log', mac);

/** The row at this seq, if any. */
export async function operationRowAt(db: Db, seq: number): Promise<OperationRow | undefined> {
  const [r] = await onConnection<Raw[]>(db, `select ${COLUMNS} from operation_log where seq = ?`, [seq]);
  return r && toRow(r);
}

export interface OperationFilter extends OperationKeys {
  from?: Date;
  to?: Date;
}

/** One page of the rows matching the filter, newest first, and how many match in all. */
export async function searchOperationRows(db: Db, f: OperationFilter, page: { offset: number; limit: number }): Promise<{ total: number; rows: OperationRow[] }> {
  const where = logWhere(db, f, [['username', f.username], ['action', f.action], ['object_type', f.objectType], ['object_id', f.objectId]]);
  const r = await searchLogRows<Raw>(db, 'operation_log', COLUMNS, where, page);
  return { total: r.total, rows: r.rows.map(toRow) };
}

/** The first seq after `afterSeq` of a row written at or after `at` (the first row to keep), if any. */
export async function firstSeqSince(db: Db, afterSeq: number, at: Date): Promise<number | undefined> {
  const [r] = await onConnection<Array<{ s: number | null }>>(db, 'select min(seq) as s from operation_log where seq > ? and at >= ?', [afterSeq, connectionNow(db, at)]);
  return r?.s === null || r?.s === undefined ? undefined : Number(r.s);
}

/** The last seq in the table, if any row. */
export async function lastSeq(db: Db): Promise<number | undefined> {
  const [r] = await onConnection<Array<{ s: number | null }>>(db, 'select max(seq) as s from operation_log', []);
  return r?.s === null || r?.s === undefined ? undefined : Number(r.s);
}

export interface ArchiveRow {
  id?: number;
  chain: string;
  firstSeq: number;
  lastSeq: number;
  firstPrevMac: string;
  lastMac: string;
  rowCount: number;
  file: string;
  fileSm3: string;
  cutoffAt: Date;
  archivedAt: Date;
  mac: string;
}

type RawArchive = {
  id: number;
  chain: string;
  first_seq: number;
  last_seq: number;
  first_prev_mac: string;
  last_mac: string;
  row_count: number;
  file: string;
  file_sm3: string;
  cutoff_at: DbTime;
  archived_at: DbTime;
  mac: string;
};

/** The chain's archive anchors, oldest first. */
export async function archivesOf(db: Db, chain: string): Promise<ArchiveRow[]> {
  const rows = await onConnection<RawArchive[]>(
    db,
    'select id, chain, first_seq, last_seq, first_prev_mac, last_mac, row_count, file, file_sm3, cutoff_at, archived_at, mac from operation_log_archive where chain = ? order by last_seq',
    [chain],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    chain: r.chain,
    firstSeq: Number(r.first_seq),
    lastSeq: Number(r.last_seq),
    firstPrevMac: r.first_prev_mac,
    lastMac: r.last_mac,
    rowCount: Number(r.row_count),
    file: r.file,
    fileSm3: r.file_sm3,
    cutoffAt: dbDate(r.cutoff_at),
    archivedAt: dbDate(r.archived_at),
    mac: r.mac,
  }));
}

/**
 * Records an archive file as the chain's new anchor and deletes the rows it holds, inside the
 * caller's transaction (the file is written and synced before). Returns how many rows went.
 */
export async function anchorArchive(sql: Sql, a: ArchiveRow): Promise<number> {
  await sql.execute(
    `insert into operation_log_archive (chain, first_seq, last_seq, first_prev_mac, last_mac, row_count, file, file_sm3, cutoff_at, archived_at, mac)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.chain, a.firstSeq, a.lastSeq, a.firstPrevMac, a.lastMac, a.rowCount, a.file, a.fileSm3, dbNow(sql, a.cutoffAt), dbNow(sql, a.archivedAt), a.mac],
    'run',
  );
  const r = await sql.execute<{ affectedRows: number }>('delete from operation_log where seq >= ? and seq <= ?', [a.firstSeq, a.lastSeq], 'run');
  return r.affectedRows;
}
