/**
 * The operation log (操作日志, issue 14 point 4): who did what, when, from where, with the object's
 * state before and after, in an append-only table whose rows are chained with HMAC-SM3:
 * - row n's `mac` = HMAC-SM3(key, prev_mac | canonical(row n without id and mac)); `prev_mac` is
 *   row n-1's mac (64 zeros before row 1, the last archived row's mac after an archive); `seq` runs
 *   1..n without gaps. An edited row fails its MAC, a deleted row leaves a gap (or a head that runs
 *   past the last row), a moved row verifies only at its original seq: verifyOperationLog names the
 *   first such seq;
 * - the key is HMAC-SM3(master key, "medbill/operation-log/v1"), never stored: a person with the
 *   database alone cannot write a row that verifies;
 * - an append takes the chain's head row (log_chain_head) inside the caller's transaction, so a
 *   business change and its log row commit together and concurrent appenders (several API
 *   processes) queue on the head: the chain stays linear and gap-free;
 * - before / after are passed through redactSecrets: no password, hash, TOTP secret or token;
 * - rows older than the retention (cfg.audit.retentionDays, at least 180 days) are written to a
 *   JSON-lines file under the data folder, the file synced, its SM3 and first / last seq and mac
 *   recorded in operation_log_archive (the new anchor, with its own MAC), and only then deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hmacSm3Hex, sm3Hex } from '../common/gm';
import { redactSecrets } from '../common/redact';
import { brokenResult, chainKey, chainMac, openChainTodo, raiseChainTodo, seqText, walkChain, ZERO_MAC, type ChainSpec, type VerifyResult } from './log-chain';
import { OPERATION_ACTIONS, OPERATION_RESULTS, SYSTEM_ACTOR } from '../domain/operation-log';
import type { LogPage, OperationView } from '../domain/audit';
import { MIN_OPLOG_RETENTION_DAYS } from '../config/audit';
import { retryTransaction, type SqlEm, type SqlOrm } from '../orm/sql';
import {
  advanceChainHead, anchorArchive, archivesOf, chainHead, firstSeqSince, insertOperationRow, lastSeq, operationRowsAfter, searchOperationRows,
  seqsOfMac, setChainHead, type ArchiveRow, type OperationFilter, type OperationRow,
} from '../orm/repositories/operation-log';

export const OPERATION_CHAIN = 'operation';
export { ZERO_MAC } from './log-chain';
export type { ChainBreak, VerifyResult } from './log-chain';
export { isSecretKey, redactSecrets } from '../common/redact';
/** The folder under the data directory the archive files go to. */
export const ARCHIVE_DIR = 'operation-log-archive';

// ---------------------------------------------------------------------------------------------
// The key

type HasPlatform = { getPlatform(): object };
const keys = new WeakMap<object, Uint8Array>();

/** The chain's HMAC key: derived from the master key, never stored. */
export function operationLogKey(masterKeyHex: string): Uint8Array {
  return chainKey(masterKeyHex, 'medbill/operation-log/v1');
}

/** Makes the operation log of this ORM writable and verifiable (the key of its master key); idempotent. */
export function useOperationLog(deps: { orm: SqlOrm; masterKey: string }): void {
  const platform = deps.orm.em.getPlatform();
  if (!keys.has(platform)) keys.set(platform, operationLogKey(deps.masterKey));
}

function keyOf(em: HasPlatform): Uint8Array {
  const k = keys.get(em.getPlatform());
  if (!k) throw new Error('the operation log has no key for this ORM: call useOperationLog(deps) when the process starts');
  return k;
}

// ---------------------------------------------------------------------------------------------
// Rows and their MACs

export interface OperationEntry {
  /** Default: now. */
  at?: Date;
  username: string;
  displayName?: string | null;
  /** The client's address (ctx.ip). */
  address?: string | null;
  /** domain/operation-log.ts OPERATION_ACTIONS (e.g. `login`, `user-create`, `bill-pdf`). */
  action: string;
  objectType?: string | null;
  objectId?: string | null;
  /** `ok` (default), `refused`, `failed`, `broken`. */
  result?: string;
  /** What a person reads, in Chinese. */
  detail: string;
  before?: unknown;
  after?: unknown;
}

const MAX_JSON = 100_000;

/** Text as every database stores and returns it: well-formed UTF-16, no NUL, at most `max` characters. */
export function clean(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  const t = String(s)
    .replace(/\u0000/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return Array.from(t).slice(0, max).join('');
}

function jsonOf(v: unknown): string | null {
  if (v === undefined) return null;
  const text = JSON.stringify(redactSecrets(v)) ?? null;
  if (text === null) return null;
  const c = clean(text, Number.MAX_SAFE_INTEGER)!;
  return c.length <= MAX_JSON ? c : JSON.stringify({ truncated: true, length: c.length, preview: c.slice(0, 4000) });
}

type Content = Omit<OperationRow, 'id' | 'mac' | 'prevMac'>;

/** The canonical text of a row's columns (all but id, prev_mac and mac), in a fixed order. */
export const canonicalColumns = (r: Content): unknown[] => [r.seq, r.at.toISOString(), r.username, r.displayName, r.address, r.action, r.objectType, r.objectId, r.result, r.detail, r.beforeJson, r.afterJson];

export function canonicalText(r: Content): string {
  return JSON.stringify(canonicalColumns(r));
}

export function rowMac(key: Uint8Array, prevMac: string, r: Content): string {
  return chainMac(key, prevMac, canonicalColumns(r));
}

function archiveMac(key: Uint8Array, a: Omit<ArchiveRow, 'id' | 'mac'>): string {
  return hmacSm3Hex(key, `archive|${JSON.stringify([a.chain, a.firstSeq, a.lastSeq, a.firstPrevMac, a.lastMac, a.rowCount, a.file, a.fileSm3, a.cutoffAt.toISOString(), a.archivedAt.toISOString()])}`);
}

function contentOf(e: OperationEntry, seq: number): Content {
  const at = e.at ?? new Date();
  return {
    seq,
    at: new Date(Math.floor(at.getTime())),
    username: clean(e.username, 64) || '-',
    displayName: clean(e.displayName, 64),
    address: clean(e.address, 64),
    action: clean(e.action, 48)!,
    objectType: clean(e.objectType, 32),
    objectId: clean(e.objectId, 128),
    result: clean(e.result ?? 'ok', 16)!,
    detail: clean(e.detail, 2000),
    beforeJson: jsonOf(e.before),
    afterJson: jsonOf(e.after),
  };
}

/**
 * Appends one entry. Inside the caller's transaction when `em` is one (the change and its log row
 * commit together, or neither), else in a transaction of its own. Returns the row's seq.
 */
export async function recordOperation(em: SqlEm, e: OperationEntry): Promise<number> {
  const key = keyOf(em);
  const write = async (tx: SqlEm) => {
    const { seq, prevMac } = await advanceChainHead(tx, OPERATION_CHAIN);
    const content = contentOf(e, seq);
    const mac = rowMac(key, prevMac, content);
    await insertOperationRow(tx, { ...content, prevMac, mac });
    await setChainHead(tx, OPERATION_CHAIN, seq, mac);
    return seq;
  };
  if (em.isInTransaction()) return write(em);
  return retryTransaction(() => em.fork().transactional(write));
}

/** For routes: appends an entry in a transaction of its own on the deps' ORM. */
export async function logOperation(deps: { orm: SqlOrm; masterKey: string }, e: OperationEntry): Promise<number> {
  useOperationLog(deps);
  return recordOperation(deps.orm.em.fork(), e);
}

// ---------------------------------------------------------------------------------------------
// Search

export interface OperationSearch extends OperationFilter {
  page?: number;
  pageSize?: number;
}

export type { OperationView } from '../domain/audit';

export const MAX_PAGE = 10_000;
export const MAX_PAGE_SIZE = 100;

const parsed = (s: string | null): unknown => {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

export const operationView = (r: OperationRow): OperationView => ({
  seq: r.seq,
  at: r.at.toISOString(),
  username: r.username,
  displayName: r.displayName,
  address: r.address,
  action: r.action,
  actionName: OPERATION_ACTIONS[r.action] ?? r.action,
  objectType: r.objectType,
  objectId: r.objectId,
  result: r.result,
  resultName: OPERATION_RESULTS[r.result] ?? r.result,
  detail: r.detail,
  before: parsed(r.beforeJson),
  after: parsed(r.afterJson),
});

/** One page of the log (newest first) matching the filters; page and page size are clamped to their bounds. */
export async function searchOperations(em: SqlEm, f: OperationSearch): Promise<LogPage<OperationView>> {
  const page = Math.min(Math.max(1, Math.floor(f.page ?? 1)), MAX_PAGE);
  const pageSize = Math.min(Math.max(1, Math.floor(f.pageSize ?? 20)), MAX_PAGE_SIZE);
  const filter: OperationFilter = { from: f.from, to: f.to, username: f.username, action: f.action, objectType: f.objectType, objectId: f.objectId };
  const r = await searchOperationRows(em, filter, { offset: (page - 1) * pageSize, limit: pageSize });
  return { total: r.total, page, pageSize, rows: r.rows.map(operationView) };
}

// ---------------------------------------------------------------------------------------------
// Verification

const PAGE = 1000;

const operationSpec = (key: Uint8Array): ChainSpec<OperationRow> => ({
  name: '操作日志',
  key,
  canonical: canonicalColumns,
  rowsAfter: operationRowsAfter,
  seqsOfMac,
});

/**
 * Walks the chain from the latest archive anchor to the head read at the start (rows appended
 * meanwhile wait for the next run) and names the first break (services/log-chain.ts walkChain);
 * the archive anchors are checked first: each continues the previous one and carries a MAC of the key.
 */
export async function verifyOperationLog(em: SqlEm): Promise<VerifyResult> {
  const key = keyOf(em);
  const head = await chainHead(em, OPERATION_CHAIN);
  if (!head) throw new Error('operation log chain head missing (migration not run?)');
  const archives = await archivesOf(em, OPERATION_CHAIN);
  const broken = (fromSeq: number, b: Parameters<typeof brokenResult>[2]) => brokenResult('操作日志', { checked: 0, fromSeq, toSeq: head.seq, archives: archives.length }, b);
  let anchor = { seq: 0, mac: ZERO_MAC };
  for (const a of archives) {
    if (archiveMac(key, a) !== a.mac) return broken(a.firstSeq, { seq: a.firstSeq, kind: 'edited', detail: `归档记录（${seqText(a.firstSeq, a.lastSeq)}，文件 ${a.file}）被修改` });
    if (a.firstSeq !== anchor.seq + 1 || a.firstPrevMac !== anchor.mac) {
      return broken(anchor.seq + 1, { seq: anchor.seq + 1, kind: 'deleted', detail: `归档记录不连续：${seqText(anchor.seq + 1, a.firstSeq - 1)}的归档缺失` });
    }
    anchor = { seq: a.lastSeq, mac: a.lastMac };
  }
  return walkChain(em, operationSpec(key), anchor, head, archives.length);
}

/** Who ran a verification (or read a log). */
export interface LogActor {
  username: string;
  displayName?: string | null;
  address?: string | null;
}

/** Appends a chain verification to the operation log as `action` on `objectType`: who ran it, the outcome. */
export async function recordVerification(em: SqlEm, actor: LogActor, what: { action: string; objectType: string }, v: VerifyResult): Promise<void> {
  await recordOperation(em, {
    username: actor.username, displayName: actor.displayName, address: actor.address, action: what.action, objectType: what.objectType,
    objectId: v.firstBreak ? String(v.firstBreak.seq) : null, result: v.ok ? 'ok' : 'broken', detail: v.detail,
    after: { ok: v.ok, checked: v.checked, fromSeq: v.fromSeq, toSeq: v.toSeq, firstBreak: v.firstBreak ?? null },
  });
}

/** Verifies and records the verification itself (who ran it, the outcome). */
export async function verifyAndRecord(em: SqlEm, actor: LogActor): Promise<VerifyResult> {
  const v = await verifyOperationLog(em);
  await recordVerification(em, actor, { action: 'log-verify', objectType: 'operation-log' }, v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Archive

export interface ArchiveResult {
  archived: number;
  files: string[];
  /** Why nothing was archived although rows were due (a broken chain), if so. */
  refused?: string;
  detail: string;
}

const FILE_ROWS = 20_000;

/** Writes `text` to `file` durably: a temporary file synced, renamed into place, the folder synced. */
function writeDurably(file: string, text: Buffer): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const d = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    /* a platform without directory fsync (Windows): the rename is what it offers */
  }
}

const archiveLine = (r: OperationRow) =>
  JSON.stringify({
    id: r.id, seq: r.seq, at: r.at.toISOString(), username: r.username, displayName: r.displayName, address: r.address, action: r.action,
    objectType: r.objectType, objectId: r.objectId, result: r.result, detail: r.detail, beforeJson: r.beforeJson, afterJson: r.afterJson,
    prevMac: r.prevMac, mac: r.mac,
  });

/**
 * Archives the rows older than the retention (at least 180 days): a JSON-lines file per up to
 * 20 000 rows under `<dataDir>/operation-log-archive/`, written and synced, its SM3 recorded as the
 * chain's new anchor; only then, in the anchor's transaction, are the rows deleted. A broken chain
 * is not archived (the evidence stays in the table). Returns what went where.
 */
export async function archiveOperationLog(em: SqlEm, opts: { now: Date; retentionDays: number; dataDir: string }): Promise<ArchiveResult> {
  const key = keyOf(em);
  const days = Math.max(MIN_OPLOG_RETENTION_DAYS, Math.floor(opts.retentionDays));
  const cutoff = new Date(opts.now.getTime() - days * 86_400_000);
  const v = await verifyOperationLog(em);
  if (!v.ok) return { archived: 0, files: [], refused: v.detail, detail: `未归档：${v.detail}` };
  const files: string[] = [];
  let archived = 0;
  for (;;) {
    const archives = await archivesOf(em, OPERATION_CHAIN);
    const last = archives[archives.length - 1];
    const anchor = last ? { seq: last.lastSeq, mac: last.lastMac } : { seq: 0, mac: ZERO_MAC };
    const keep = await firstSeqSince(em, anchor.seq, cutoff);
    const end = Math.min(keep !== undefined ? keep - 1 : ((await lastSeq(em)) ?? anchor.seq), anchor.seq + FILE_ROWS);
    if (end <= anchor.seq) break;

    const lines: string[] = [];
    let prevMac = anchor.mac;
    for (let after = anchor.seq; after < end; ) {
      const rows = await operationRowsAfter(em, after, PAGE, end);
      if (!rows.length) break;
      for (const r of rows) {
        if (r.seq !== after + 1 || r.prevMac !== prevMac || rowMac(key, r.prevMac, r) !== r.mac) throw new Error(`operation log row ${after + 1} changed while being archived`);
        lines.push(archiveLine(r));
        prevMac = r.mac;
        after = r.seq;
      }
    }
    if (lines.length !== end - anchor.seq) throw new Error('operation log rows to archive are not contiguous');
    const rel = path.join(ARCHIVE_DIR, `operation-log-${String(anchor.seq + 1).padStart(10, '0')}-${String(end).padStart(10, '0')}.jsonl`);
    const body = Buffer.from(lines.join('\n') + '\n', 'utf8');
    writeDurably(path.join(opts.dataDir, rel), body);
    const a = {
      chain: OPERATION_CHAIN, firstSeq: anchor.seq + 1, lastSeq: end, firstPrevMac: anchor.mac, lastMac: prevMac, rowCount: lines.length,
      file: rel.split(path.sep).join('/'), fileSm3: sm3Hex(new Uint8Array(body)), cutoffAt: cutoff, archivedAt: opts.now,
    };
    await em.fork().transactional(async (tx) => {
      const deleted = await anchorArchive(tx, { ...a, mac: archiveMac(key, a) });
      if (deleted !== a.rowCount) throw new Error(`operation log archive ${a.file}: ${deleted} rows deleted, ${a.rowCount} archived`);
      await recordOperation(tx, {
        username: SYSTEM_ACTOR, displayName: '系统', action: 'log-archive', objectType: 'operation-log', objectId: a.file, at: opts.now,
        detail: `归档${seqText(a.firstSeq, a.lastSeq)}操作日志（${a.rowCount} 条，${days} 天前的记录）至 ${a.file}，SM3 ${a.fileSm3}`,
        after: { firstSeq: a.firstSeq, lastSeq: a.lastSeq, rowCount: a.rowCount, file: a.file, fileSm3: a.fileSm3 },
      });
    });
    files.push(a.file);
    archived += a.rowCount;
  }
  return { archived, files, detail: archived ? `已归档 ${archived} 条操作日志（${files.length} 个文件）` : `无超过 ${days} 天的操作日志需要归档` };
}

// ---------------------------------------------------------------------------------------------
// The daily check's to-do

/** The to-do a broken chain opens (one, reopened by each later break: the issuance to-do list, keyed by this appid and busNo). */
export const CHAIN_TODO = {
  appid: 'medbill', busNo: 'operation-log-chain', name: '操作日志', page: '操作日志',
  advice: '请审计管理员在「操作日志」中核查该记录前后的操作，并保全数据库备份与归档文件。',
} as const;

/** Opens (or reopens) the to-do of a broken chain, for the audit administrator. */
export async function raiseChainBreakTodo(em: SqlEm, v: VerifyResult, opts: { workflowId: string; now: Date }): Promise<void> {
  await raiseChainTodo(em, CHAIN_TODO, v, opts);
}

/** The open to-do of a broken chain, if any (for the audit administrator's operation-log page). */
export const openChainBreakTodo = (em: SqlEm) => openChainTodo(em, CHAIN_TODO);
