/**
 * The exchange log (交互日志, seed 002, issue 14 points 5 and 6): every data exchange with an
 * outside system (HIS in, fiscal platform, payment channels, notices, printers, the signer out)
 * leaves a row of `exchange_log`:
 * - when, which system and method, which way, the business / bill / refund / order numbers, the
 *   result code and the duration stay in clear for the audit search;
 * - the request and the answer (JSON, passed through redactSecrets: no key, secret, password or
 *   token is stored, even encrypted; each bounded to 32 K characters with a `truncated` marker)
 *   are SM4-encrypted with a key of their own, HMAC-SM3(master key, "medbill/exchange-log/sm4/<key id>")
 *   cut to 16 bytes; the row names its key id, so a rotation writes under a new id and still reads the old;
 * - the rows form the chain `exchange` (services/log-chain.ts, the operation log's chain code):
 *   mac = HMAC-SM3(HMAC-SM3(master key, "medbill/exchange-log/v1"), prev_mac | every other column,
 *   the ciphertext included), seq 1..n without gaps;
 * - the writer (createExchangeLog) never throws and never makes the caller wait: record() queues
 *   the entry, a flush every `flushMs` (or at `batchSize` entries) appends a batch in one
 *   transaction under the chain's head-row lock, so the API and worker processes keep one linear
 *   chain. With the database down it retries with backoff and keeps at most `maxQueue` entries;
 *   an entry beyond is dropped, counted and logged (never silently);
 * - reading a body (decryptExchange, exportExchanges) appends an operation-log entry in the same
 *   transaction; verifyExchangeLog names the first edited, deleted or reordered row.
 */
import type { ExchangeEntry, ExchangeSink } from '../common/exchange';
import { hmacSm3Hex, sm4Decrypt, sm4Encrypt } from '../common/gm';
import { DomainError } from '../common/errors';
import { redactError, redactSecrets } from '../common/redact';
import { EXCHANGE_DIRECTIONS, EXCHANGE_SYSTEMS } from '../domain/exchange-log';
import type { DecryptedExchange, ExchangeFields, ExchangeView, LogPage } from '../domain/audit';
import { retryTransaction, type SqlEm, type SqlOrm } from '../orm/sql';
import { advanceChainHead, chainHead, setChainHead } from '../orm/repositories/log-chain';
import {
  exchangeRowById, exchangeRowsAfter, exchangeRowsMatching, exchangeSeqsOfMac, insertExchangeRows, searchExchangeRows, type ExchangeFilter, type ExchangeRow,
} from '../orm/repositories/exchange-log';
import { chainKey, chainMac, openChainTodo, raiseChainTodo, walkChain, ZERO_MAC, type ChainSpec, type VerifyResult } from './log-chain';
import { clean, recordOperation, recordVerification, useOperationLog, type LogActor } from './operation-log';

export const EXCHANGE_CHAIN = 'exchange';
/** The body key id new rows are written under. */
export const EXCHANGE_KEY_ID = 'v1';
/** Characters of one body part (request or answer) kept; a longer one is cut with a marker. */
export const MAX_PART = 32 * 1024;

// ---------------------------------------------------------------------------------------------
// Keys

export const exchangeMacKey = (masterKeyHex: string): Uint8Array => chainKey(masterKeyHex, 'medbill/exchange-log/v1');
/** The SM4 key (32 hex) of the bodies written under `keyId`. */
export const exchangeBodyKey = (masterKeyHex: string, keyId: string): string => hmacSm3Hex(masterKeyHex, `medbill/exchange-log/sm4/${keyId}`).slice(0, 32);

type Keys = { mac: Uint8Array; master: string };
const keys = new WeakMap<object, Keys>();

/** Makes the exchange log of this ORM readable and verifiable (the keys of its master key); idempotent. */
export function useExchangeLog(deps: { orm: SqlOrm; masterKey: string }): void {
  useOperationLog(deps);
  const platform = deps.orm.em.getPlatform();
  if (!keys.has(platform)) keys.set(platform, { mac: exchangeMacKey(deps.masterKey), master: deps.masterKey });
}

function keysOf(em: SqlEm): Keys {
  const k = keys.get(em.getPlatform());
  if (!k) throw new Error('the exchange log has no key for this ORM: call useExchangeLog(deps) when the process starts');
  return k;
}

// ---------------------------------------------------------------------------------------------
// Rows

type Content = Omit<ExchangeRow, 'id' | 'prevMac' | 'mac'>;

/** The row's columns but id, prev_mac and mac, in the chain's fixed order (the ciphertext included). */
export const exchangeCanonical = (r: Content): unknown[] => [
  r.seq, r.at.toISOString(), r.system, r.method, r.direction, r.busNo, r.billNo, r.refundNo, r.orderNo, r.resultCode, r.durationMs, r.keyId, r.body,
];

/** One body part as stored: redacted JSON, at most MAX_PART characters (else a marker and a preview). */
function part(v: unknown): unknown {
  let text: string;
  try {
    text = JSON.stringify(redactSecrets(v)) ?? 'null';
  } catch (e) {
    return { unserialisable: String((e as Error).message).slice(0, 200) };
  }
  const c = clean(text, Number.MAX_SAFE_INTEGER)!;
  if (c.length <= MAX_PART) return JSON.parse(c);
  return { truncated: true, length: c.length, preview: c.slice(0, MAX_PART - 200) };
}

interface Pending extends ExchangeFields<Date> {
  plain: string;
  /** The ciphertext, once made (a retried batch keeps it). */
  body?: string;
}

function pendingOf(e: ExchangeEntry): Pending {
  return {
    at: new Date(Math.floor((e.at instanceof Date ? e.at : new Date()).getTime())),
    system: clean(e.system, 16) || '-',
    method: clean(e.method, 128) || '-',
    direction: e.direction === 'in' ? 'in' : 'out',
    busNo: clean(e.busNo, 64) || null,
    billNo: clean(e.billNo, 64) || null,
    refundNo: clean(e.refundNo, 64) || null,
    orderNo: clean(e.orderNo, 64) || null,
    resultCode: clean(String(e.resultCode ?? ''), 32) || '-',
    durationMs: Math.max(0, Math.min(2_000_000_000, Math.round(Number(e.durationMs) || 0))),
    plain: JSON.stringify({ request: part(e.request), response: part(e.response) }),
  };
}

/** Appends a batch in one transaction: the head row locked for the batch, every row chained, the head moved to the last. */
async function appendBatch(orm: SqlOrm, master: string, macKey: Uint8Array, batch: Pending[]): Promise<void> {
  const bodyKey = exchangeBodyKey(master, EXCHANGE_KEY_ID);
  for (const p of batch) p.body ??= sm4Encrypt(p.plain, bodyKey);
  await retryTransaction(() =>
    orm.em.fork().transactional(async (tx) => {
      const { seq, prevMac } = await advanceChainHead(tx, EXCHANGE_CHAIN, batch.length);
      let prev = prevMac;
      const rows: ExchangeRow[] = batch.map((p, i) => {
        const content: Content = {
          seq: seq + i, at: p.at, system: p.system, method: p.method, direction: p.direction, busNo: p.busNo, billNo: p.billNo, refundNo: p.refundNo,
          orderNo: p.orderNo, resultCode: p.resultCode, durationMs: p.durationMs, keyId: EXCHANGE_KEY_ID, body: p.body!,
        };
        const mac = chainMac(macKey, prev, exchangeCanonical(content));
        const row = { ...content, prevMac: prev, mac };
        prev = mac;
        return row;
      });
      await insertExchangeRows(tx, rows);
      await setChainHead(tx, EXCHANGE_CHAIN, seq + batch.length - 1, prev);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The writer

export interface ExchangeLogOptions {
  /** Entries per transaction (default 50). */
  batchSize?: number;
  /** How long an entry waits for its batch at most (default 200 ms). */
  flushMs?: number;
  /** Entries kept while the database is down (default 10 000); one more is dropped and counted. */
  maxQueue?: number;
  /** The longest wait between two retries of a failed batch (default 30 s). */
  maxBackoffMs?: number;
  /** How long close() keeps trying to write what is queued (default 10 s). */
  closeTimeoutMs?: number;
  /** Where the writer's log lines go (counts and redacted errors only; default console.warn). */
  log?: (line: string) => void;
}

export interface ExchangeLogStats {
  /** Entries handed to record(). */
  recorded: number;
  /** Entries committed to the table. */
  written: number;
  /** Entries given up (queue full, unserialisable, not written by close()). */
  dropped: number;
  /** Entries waiting. */
  queued: number;
  /** Batches that failed (each retried). */
  failedBatches: number;
}

export interface ExchangeLog extends ExchangeSink {
  /** Writes what is queued now (waits for a running flush first). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is queued (up to closeTimeoutMs); what stays is counted dropped. */
  close(): Promise<void>;
  stats(): ExchangeLogStats;
}

/** The platform's exchange log sink on `orm` (services/deps.ts): see the file's comment. */
export function createExchangeLog(orm: SqlOrm, masterKey: string, opts: ExchangeLogOptions = {}): ExchangeLog {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 50));
  const flushMs = Math.max(1, opts.flushMs ?? 200);
  const maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 10_000));
  const maxBackoffMs = Math.max(flushMs, opts.maxBackoffMs ?? 30_000);
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const log = opts.log ?? ((line: string) => console.warn(line));
  const macKey = exchangeMacKey(masterKey);
  useExchangeLog({ orm, masterKey });

  const queue: Pending[] = [];
  const st = { recorded: 0, written: 0, dropped: 0, failedBatches: 0 };
  let failures = 0;
  let droppedSinceReport = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closing = false;

  const drop = (n: number, why: string) => {
    st.dropped += n;
    droppedSinceReport += n;
    // The first drop of a run of them, then every 1000th: a count, never an entry's content.
    if (droppedSinceReport === n || Math.floor((droppedSinceReport - n) / 1000) !== Math.floor(droppedSinceReport / 1000)) {
      log(`交互日志：${why}，已丢弃 ${droppedSinceReport} 条（累计 ${st.dropped} 条，队列 ${queue.length}/${maxQueue}）`);
    }
  };
  const backoff = () => Math.min(maxBackoffMs, flushMs * 2 ** Math.min(failures, 16));

  /** One batch: written and taken off the queue, or left at its head for the retry. */
  const writeOnce = async (): Promise<void> => {
    const batch = queue.slice(0, batchSize);
    if (!batch.length) return;
    try {
      await appendBatch(orm, masterKey, macKey, batch);
      queue.splice(0, batch.length);
      st.written += batch.length;
      if (failures) log(`交互日志：数据库恢复，已补写积压记录（此前失败 ${failures} 次${droppedSinceReport ? `，期间丢弃 ${droppedSinceReport} 条` : ''}）`);
      failures = 0;
      droppedSinceReport = 0;
    } catch (e) {
      failures++;
      st.failedBatches++;
      if (failures === 1 || failures % 20 === 0) {
        const err = redactError(e);
        log(`交互日志：写入失败（第 ${failures} 次，${Math.round(backoff() / 1000)} 秒后重试，队列 ${queue.length} 条）：${err.code ?? err.name} ${err.message.slice(0, 300)}`);
      }
    }
  };

  const run = (): Promise<void> => {
    if (running) return running;
    running = writeOnce().finally(() => {
      running = undefined;
      if (queue.length && !closing) schedule();
    });
    return running;
  };

  function schedule(): void {
    if (timer || running || closing) return;
    const delay = failures ? backoff() : queue.length >= batchSize ? 0 : flushMs;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delay);
    timer.unref?.();
  }

  return {
    record(e: ExchangeEntry): void {
      try {
        st.recorded++;
        if (queue.length >= maxQueue) return drop(1, '队列已满（数据库不可用？）');
        queue.push(pendingOf(e));
        if (closing) return;
        if (queue.length >= batchSize && !failures && timer && !running) {
          clearTimeout(timer);
          timer = undefined;
        }
        schedule();
      } catch {
        try {
          drop(1, '记录无法整理');
        } catch {
          /* never throws */
        }
      }
    },
    async flush(): Promise<void> {
      if (running) await running;
      const before = failures;
      while (queue.length) {
        await run();
        if (failures > before) break;
      }
    },
    async close(): Promise<void> {
      closing = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const deadline = Date.now() + closeTimeoutMs;
      if (running) await running;
      while (queue.length && Date.now() < deadline) {
        const f = failures;
        await run();
        if (failures > f) await new Promise((r) => setTimeout(r, Math.min(backoff(), Math.max(0, deadline - Date.now()))));
      }
      if (queue.length) drop(queue.splice(0).length, '停止时数据库仍不可用');
    },
    stats: () => ({ ...st, queued: queue.length }),
  };
}

// ---------------------------------------------------------------------------------------------
// Search

export interface ExchangeSearch extends ExchangeFilter {
  page?: number;
  pageSize?: number;
}

export type { DecryptedExchange, ExchangeView } from '../domain/audit';

export const MAX_EXCHANGE_PAGE = 10_000;
export const MAX_EXCHANGE_PAGE_SIZE = 100;

export const exchangeView = (r: ExchangeRow): ExchangeView => ({
  id: r.id!,
  seq: r.seq,
  at: r.at.toISOString(),
  system: r.system,
  systemName: (EXCHANGE_SYSTEMS as Record<string, string>)[r.system] ?? r.system,
  method: r.method,
  direction: r.direction,
  directionName: (EXCHANGE_DIRECTIONS as Record<string, string>)[r.direction] ?? r.direction,
  busNo: r.busNo,
  billNo: r.billNo,
  refundNo: r.refundNo,
  orderNo: r.orderNo,
  resultCode: r.resultCode,
  durationMs: r.durationMs,
});

const filterOf = (f: ExchangeFilter): ExchangeFilter => ({
  from: f.from, to: f.to, system: f.system, method: f.method, direction: f.direction, busNo: f.busNo, billNo: f.billNo, refundNo: f.refundNo, orderNo: f.orderNo, resultCode: f.resultCode,
});

/** One page of the log (newest first) matching the filters, clear columns only; page and page size clamped to their bounds. */
export async function searchExchanges(em: SqlEm, f: ExchangeSearch): Promise<LogPage<ExchangeView>> {
  const page = Math.min(Math.max(1, Math.floor(f.page ?? 1)), MAX_EXCHANGE_PAGE);
  const pageSize = Math.min(Math.max(1, Math.floor(f.pageSize ?? 20)), MAX_EXCHANGE_PAGE_SIZE);
  const r = await searchExchangeRows(em, filterOf(f), { offset: (page - 1) * pageSize, limit: pageSize });
  return { total: r.total, page, pageSize, rows: r.rows.map(exchangeView) };
}

// ---------------------------------------------------------------------------------------------
// Decryption

/** Who reads the bodies (the operation log's actor). */
export type Actor = LogActor;

function decrypted(k: Keys, r: ExchangeRow): DecryptedExchange {
  const macOk = chainMac(k.mac, r.prevMac, exchangeCanonical(r)) === r.mac;
  let body: { request?: unknown; response?: unknown };
  try {
    body = JSON.parse(sm4Decrypt(r.body, exchangeBodyKey(k.master, r.keyId)));
  } catch {
    body = { request: '（无法解密：密文被修改或密钥不符）', response: null };
  }
  return { ...exchangeView(r), request: body.request ?? null, response: body.response ?? null, macOk };
}

/**
 * The decrypted bodies of entry `id`, for the audit administrator; the reading is appended to the
 * operation log (`exchange-decrypt`) in the same transaction: no answer without its log row.
 */
export async function decryptExchange(em: SqlEm, actor: Actor, id: number): Promise<DecryptedExchange> {
  const k = keysOf(em);
  return retryTransaction(() =>
    em.fork().transactional(async (tx) => {
      const r = await exchangeRowById(tx, id);
      if (!r) throw new DomainError('E0014', `id: 交互日志记录 ${id} 不存在`, 'id');
      const d = decrypted(k, r);
      await recordOperation(tx, {
        username: actor.username, displayName: actor.displayName, address: actor.address, action: 'exchange-decrypt', objectType: 'exchange', objectId: String(id),
        detail: `解密交互报文：${d.systemName} ${d.method}（${d.direction === 'in' ? '调入' : '调出'}，第 ${d.seq} 条${d.busNo ? `，业务流水号 ${d.busNo}` : ''}${d.billNo ? `，票据号 ${d.billNo}` : ''}）`,
        after: { id, seq: d.seq, system: d.system, method: d.method, macOk: d.macOk },
      });
      return d;
    }),
  );
}

/**
 * Every entry matching the filters (oldest first, at most `limit`, bodies decrypted) for the
 * command-line tool, its use appended to the operation log (`exchange-export`) in the same transaction.
 */
export async function exportExchanges(em: SqlEm, actor: Actor, f: ExchangeFilter, limit = 10_000): Promise<{ rows: DecryptedExchange[]; more: boolean }> {
  const k = keysOf(em);
  const max = Math.max(1, Math.min(Math.floor(limit), 100_000));
  return retryTransaction(() =>
    em.fork().transactional(async (tx) => {
      const out: DecryptedExchange[] = [];
      let after = 0;
      let more = false;
      for (;;) {
        const page = await exchangeRowsMatching(tx, filterOf(f), after, 500);
        for (const r of page) {
          if (out.length >= max) {
            more = true;
            break;
          }
          out.push(decrypted(k, r));
          after = r.seq;
        }
        if (more || page.length < 500) break;
      }
      const what = Object.entries(filterOf(f)).filter(([, v]) => v !== undefined).map(([key, v]) => `${key}=${v instanceof Date ? v.toISOString() : v}`).join(' ');
      await recordOperation(tx, {
        username: actor.username, displayName: actor.displayName, address: actor.address, action: 'exchange-export', objectType: 'exchange-log', objectId: null,
        detail: `命令行解密导出交互日志 ${out.length} 条${more ? '（仅前 ' + max + ' 条）' : ''}${what ? `，条件 ${what}` : ''}`,
        after: { count: out.length, more, filter: what, firstSeq: out[0]?.seq ?? null, lastSeq: out[out.length - 1]?.seq ?? null },
      });
      return { rows: out, more };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Verification and the daily check's to-do

const exchangeSpec = (key: Uint8Array): ChainSpec<ExchangeRow> => ({
  name: '交互日志',
  key,
  canonical: exchangeCanonical,
  rowsAfter: exchangeRowsAfter,
  seqsOfMac: exchangeSeqsOfMac,
});

/** Walks the exchange chain from its start to the head read at the start and names the first break (edited, deleted, reordered). */
export async function verifyExchangeLog(em: SqlEm): Promise<VerifyResult> {
  const k = keysOf(em);
  const head = await chainHead(em, EXCHANGE_CHAIN);
  if (!head) throw new Error('exchange log chain head missing (migration not run?)');
  return walkChain(em, exchangeSpec(k.mac), { seq: 0, mac: ZERO_MAC }, head);
}

/** Verifies and records the verification in the operation log (who ran it, the outcome). */
export async function verifyExchangesAndRecord(em: SqlEm, actor: Actor): Promise<VerifyResult> {
  const v = await verifyExchangeLog(em);
  await recordVerification(em, actor, { action: 'exchange-verify', objectType: 'exchange-log' }, v);
  return v;
}

export const EXCHANGE_CHAIN_TODO = {
  appid: 'medbill', busNo: 'exchange-log-chain', name: '交互日志', page: '交互日志',
  advice: '请审计管理员在「交互日志」中核查该记录前后的交互，并保全数据库备份。',
} as const;

/** Opens (or reopens) the to-do of a broken exchange chain, for the audit administrator. */
export async function raiseExchangeChainTodo(em: SqlEm, v: VerifyResult, opts: { workflowId: string; now: Date }): Promise<void> {
  await raiseChainTodo(em, EXCHANGE_CHAIN_TODO, v, opts);
}

export const openExchangeChainTodo = (em: SqlEm) => openChainTodo(em, EXCHANGE_CHAIN_TODO);
