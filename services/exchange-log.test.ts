/**
 * The exchange log without the platform (SQLite): the writer batches, close() flushes, a database
 * failure is retried without record() ever waiting or throwing, the queue is bounded and its drops
 * counted; the bodies are SM4 ciphertext (no plaintext of a known marker in the table, no secret
 * even inside); search answers clear fields only; decryption is logged; an edited, deleted or
 * reordered row is named by the verification. Each test opens a database of its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExchangeEntry } from '../common/exchange';
import { randomKeyHex } from '../common/gm';
import { MasterKeyProvider } from '../common/keys';
import { Sealer } from '../common/sealed';
import { openOrm } from '../orm/db';
import type { SqlOrm } from '../orm/sql';
import { createExchangeLog, decryptExchange, exportExchanges, searchExchanges, verifyExchangeLog, type ExchangeLog } from './exchange-log';
import { searchOperations } from './operation-log';
import { configProblems } from './production-check';
import { loadConfig } from '../config';

let dir: string;
const orms: SqlOrm[] = [];
const logs: ExchangeLog[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-xlog-'));
});
afterAll(async () => {
  for (const l of logs) await l.close();
  for (const o of orms) await o.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function fresh(): Promise<{ orm: SqlOrm; key: string; file: string }> {
  const file = path.join(dir, `db${++n}.sqlite`);
  const orm = await openOrm(`sqlite:${file}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
  orms.push(orm);
  return { orm, key: randomKeyHex(), file };
}

function writer(orm: SqlOrm, key: string, opts: Parameters<typeof createExchangeLog>[2] = {}): { log: ExchangeLog; lines: string[] } {
  const lines: string[] = [];
  const log = createExchangeLog(orm, key, { log: (l) => lines.push(l), ...opts });
  logs.push(log);
  return { log, lines };
}

const entry = (i: number, extra: Partial<ExchangeEntry> = {}): ExchangeEntry => ({
  at: new Date(Date.UTC(2026, 11, 3, 2, 0, i)),
  system: i % 2 ? 'fiscal' : 'his',
  method: i % 2 ? 'invoiceEBill' : 'invoiceEBillOutpatient',
  direction: i % 2 ? 'out' : 'in',
  busNo: `BUS${i}`,
  billNo: `B${i}`,
  resultCode: 'S0000',
  durationMs: 10 + i,
  request: { busNo: `BUS${i}`, payer: `患者${i}` },
  response: { result: 'S0000' },
  ...extra,
});

const sql = (orm: SqlOrm, q: string, params: unknown[] = []) => orm.em.getConnection().execute(q, params, 'run');
const rows = async (orm: SqlOrm) => (await orm.em.getConnection().execute('select * from exchange_log order by seq')) as Array<Record<string, unknown>>;

async function until(what: string, fn: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('entries are written in batches (one at batchSize, the rest by close), chained 1..n', async () => {
  const { orm, key } = await fresh();
  const { log } = writer(orm, key, { batchSize: 5, flushMs: 60_000 });
  for (let i = 1; i <= 7; i++) log.record(entry(i));
  // The fifth entry fills a batch: written without waiting for the (long) timer.
  await until('the first batch', () => log.stats().written === 5);
  expect(log.stats()).toMatchObject({ recorded: 7, written: 5, queued: 2, dropped: 0 });
  await log.close();
  expect(log.stats()).toMatchObject({ written: 7, queued: 0, dropped: 0 });
  const r = await rows(orm);
  expect(r.map((x) => Number(x.seq))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(r[0].prev_mac).toBe('0'.repeat(64));
  for (let i = 1; i < r.length; i++) expect(r[i].prev_mac).toBe(r[i - 1].mac);
  expect(r.map((x) => x.bus_no)).toEqual(['BUS1', 'BUS2', 'BUS3', 'BUS4', 'BUS5', 'BUS6', 'BUS7']);
  expect(await verifyExchangeLog(orm.em.fork())).toMatchObject({ ok: true, checked: 7, fromSeq: 1, toSeq: 7 });
});

test('the timer writes a partial batch', async () => {
  const { orm, key } = await fresh();
  const { log } = writer(orm, key, { batchSize: 100, flushMs: 20 });
  log.record(entry(1));
  log.record(entry(2));
  await until('the timed flush', () => log.stats().written === 2);
  expect((await rows(orm)).length).toBe(2);
});

test('a database failure: record() neither throws nor waits, the batch is retried with backoff until it is written', async () => {
  const { orm, key } = await fresh();
  const { log, lines } = writer(orm, key, { batchSize: 10, flushMs: 10, maxBackoffMs: 40 });
  await sql(orm, 'alter table exchange_log rename to exchange_log_away');
  for (let i = 1; i <= 3; i++) expect(log.record(entry(i))).toBeUndefined(); // synchronous: nothing to await
  await until('failed attempts', () => log.stats().failedBatches >= 2);
  expect(log.stats()).toMatchObject({ written: 0, queued: 3, dropped: 0 });
  expect(lines.some((l) => l.includes('交互日志：写入失败'))).toBe(true);
  // Entries recorded while it is down join the queue.
  log.record(entry(4));
  await sql(orm, 'alter table exchange_log_away rename to exchange_log');
  await until('the retry', () => log.stats().written === 4);
  expect(lines.some((l) => l.includes('数据库恢复'))).toBe(true);
  expect((await rows(orm)).map((x) => Number(x.seq))).toEqual([1, 2, 3, 4]);
  expect((await verifyExchangeLog(orm.em.fork())).ok).toBe(true);
});

test('the queue is bounded: beyond maxQueue entries are dropped, counted and logged (never silently)', async () => {
  const { orm, key } = await fresh();
  const { log, lines } = writer(orm, key, { batchSize: 2, flushMs: 10, maxBackoffMs: 20, maxQueue: 5 });
  await sql(orm, 'alter table exchange_log rename to exchange_log_away');
  for (let i = 1; i <= 8; i++) log.record(entry(i));
  expect(log.stats()).toMatchObject({ recorded: 8, queued: 5, dropped: 3 });
  expect(lines.find((l) => l.includes('队列已满'))).toContain('已丢弃 1 条');
  await sql(orm, 'alter table exchange_log_away rename to exchange_log');
  await log.close();
  expect(log.stats()).toMatchObject({ written: 5, queued: 0, dropped: 3 });
  expect((await rows(orm)).map((x) => x.bus_no)).toEqual(['BUS1', 'BUS2', 'BUS3', 'BUS4', 'BUS5']);
});

test('close() gives up after its timeout with the database down and counts what stayed', async () => {
  const { orm, key } = await fresh();
  const { log, lines } = writer(orm, key, { flushMs: 10, maxBackoffMs: 20, closeTimeoutMs: 100 });
  await sql(orm, 'alter table exchange_log rename to exchange_log_away');
  log.record(entry(1));
  await log.close();
  expect(log.stats()).toMatchObject({ written: 0, queued: 0, dropped: 1 });
  expect(lines.some((l) => l.includes('停止时数据库仍不可用'))).toBe(true);
});

test('two writers on one database (as the API and the worker) keep one linear chain', async () => {
  // One ORM: two SQLite connections in one process would wait on each other synchronously; on
  // MariaDB / PostgreSQL each process's batch queues on the head row's lock the same way.
  const { orm, key } = await fresh();
  const a = writer(orm, key, { batchSize: 3, flushMs: 5 }).log;
  const b = writer(orm, key, { batchSize: 3, flushMs: 5 }).log;
  for (let i = 1; i <= 20; i++) (i % 2 ? a : b).record(entry(i));
  await Promise.all([a.close(), b.close()]);
  expect(a.stats().written + b.stats().written).toBe(20);
  const r = await rows(orm);
  expect(r.map((x) => Number(x.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(new Set(r.map((x) => x.bus_no)).size).toBe(20);
  expect(await verifyExchangeLog(orm.em.fork())).toMatchObject({ ok: true, checked: 20 });
});

test('bodies are SM4 ciphertext: no plaintext marker in the table, no secret even inside; decryption is logged; search answers clear fields', async () => {
  const { orm, key } = await fresh();
  const { log } = writer(orm, key);
  const marker = 'MARKER-张三-110101199001011234';
  log.record(entry(1, { request: { name: marker, appKey: 'app-key-secret-1', password: 'pw-secret-2', nested: { accessToken: 'tok-secret-3' } }, response: { ok: true, note: marker } }));
  log.record(entry(2, { response: { big: 'x'.repeat(100_000) } }));
  await log.close();
  const table = JSON.stringify(await rows(orm));
  for (const s of ['MARKER', '张三', '110101199001011234', 'app-key-secret-1', 'pw-secret-2', 'tok-secret-3', 'payer']) expect(table).not.toContain(s);
  const r = await rows(orm);
  expect(r[0]).toMatchObject({ system: 'fiscal', method: 'invoiceEBill', direction: 'out', bus_no: 'BUS1', bill_no: 'B1', result_code: 'S0000', key_id: 'v1' });
  expect(String(r[0].body)).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);

  const found = await searchExchanges(orm.em.fork(), { busNo: 'BUS1' });
  expect(found.total).toBe(1);
  expect(found.rows[0]).toMatchObject({ system: 'fiscal', systemName: '财政电子票据平台', direction: 'out', busNo: 'BUS1', resultCode: 'S0000', durationMs: 11 });
  expect(JSON.stringify(found)).not.toContain('MARKER');
  expect((await searchExchanges(orm.em.fork(), { system: 'his', direction: 'in' })).rows.map((x) => x.busNo)).toEqual(['BUS2']);
  expect((await searchExchanges(orm.em.fork(), { from: new Date(Date.UTC(2026, 11, 4)) })).total).toBe(0);

  const d = await decryptExchange(orm.em.fork(), { username: 'auditadmin', displayName: '审计管理员', address: '10.0.0.9' }, found.rows[0].id);
  expect(d.macOk).toBe(true);
  expect(d.request).toEqual({ name: marker, appKey: '***', password: '***', nested: { accessToken: '***' } });
  expect(d.response).toEqual({ ok: true, note: marker });
  const big = await decryptExchange(orm.em.fork(), { username: 'auditadmin' }, (await searchExchanges(orm.em.fork(), { busNo: 'BUS2' })).rows[0].id);
  expect(big.response).toMatchObject({ truncated: true, length: 100_010 });
  const ops = await searchOperations(orm.em.fork(), { action: 'exchange-decrypt' });
  expect(ops.total).toBe(2);
  expect(ops.rows[1]).toMatchObject({ username: 'auditadmin', objectType: 'exchange', objectId: String(found.rows[0].id), address: '10.0.0.9' });
  expect(ops.rows[1].detail).toContain('BUS1');
  expect(JSON.stringify(ops.rows)).not.toContain('MARKER');
  await expect(decryptExchange(orm.em.fork(), { username: 'auditadmin' }, 9999)).rejects.toMatchObject({ code: 'E0014', field: 'id' });

  const x = await exportExchanges(orm.em.fork(), { username: 'system', displayName: '命令行' }, { system: 'fiscal' });
  expect(x.rows.map((e) => e.busNo)).toEqual(['BUS1']);
  expect((await searchOperations(orm.em.fork(), { action: 'exchange-export' })).rows[0].detail).toContain('1 条');
});

async function chainOf(count: number): Promise<SqlOrm> {
  const { orm, key } = await fresh();
  const { log } = writer(orm, key, { batchSize: 4 });
  for (let i = 1; i <= count; i++) log.record(entry(i));
  await log.close();
  return orm;
}

test('verification names an edited row (a clear column or the ciphertext)', async () => {
  const orm = await chainOf(6);
  await sql(orm, "update exchange_log set result_code = 'E0011' where seq = 3");
  const v = await verifyExchangeLog(orm.em.fork());
  expect(v).toMatchObject({ ok: false, checked: 2, firstBreak: { seq: 3, kind: 'edited' } });
  expect(v.detail).toContain('交互日志校验未通过：第 3 条记录被修改');

  const orm2 = await chainOf(6);
  const [r5] = (await orm2.em.getConnection().execute('select body from exchange_log where seq = 5')) as Array<{ body: string }>;
  await sql(orm2, 'update exchange_log set body = ? where seq = 5', [r5.body.slice(0, -2) + (r5.body.endsWith('00') ? '11' : '00')]);
  expect((await verifyExchangeLog(orm2.em.fork())).firstBreak).toMatchObject({ seq: 5, kind: 'edited' });
});

test('verification names a deleted row (in the middle and at the end)', async () => {
  const mid = await chainOf(6);
  await sql(mid, 'delete from exchange_log where seq = 4');
  const v = await verifyExchangeLog(mid.em.fork());
  expect(v.firstBreak).toMatchObject({ seq: 4, kind: 'deleted' });
  expect(v.detail).toContain('第 4 条记录被删除');
  const end = await chainOf(6);
  await sql(end, 'delete from exchange_log where seq = 6');
  expect((await verifyExchangeLog(end.em.fork())).firstBreak).toMatchObject({ seq: 6, kind: 'deleted' });
});

test('verification names reordered rows', async () => {
  const orm = await chainOf(6);
  await sql(orm, 'update exchange_log set seq = -2 where seq = 2');
  await sql(orm, 'update exchange_log set seq = 2 where seq = 4');
  await sql(orm, 'update exchange_log set seq = 4 where seq = -2');
  const v = await verifyExchangeLog(orm.em.fork());
  expect(v.firstBreak).toMatchObject({ seq: 2, kind: 'reordered' });
  expect(v.detail).toContain('第 2 条记录顺序被调换');
});

test('a production start refuses MEDBILL_EXCHANGE_LOG=0 (the benchmark switch)', () => {
  const off = configProblems(loadConfig({ MEDBILL_EXCHANGE_LOG: '0' }));
  expect(off.join('\n')).toContain('MEDBILL_EXCHANGE_LOG is 0');
  expect(configProblems(loadConfig({})).join('\n')).not.toContain('MEDBILL_EXCHANGE_LOG');
});
