/**
 * The operation log's chain without the platform (SQLite): appends are gap-free and commit with
 * their transaction; an edited, deleted or reordered row is named by the verification; secrets
 * never reach before / after; old rows are archived to a file (its SM3 the new anchor) before
 * they leave the table. Each test opens a database of its own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomKeyHex, sm3Hex } from '../common/gm';
import { MasterKeyProvider } from '../common/keys';
import { Sealer } from '../common/sealed';
import { openOrm } from '../orm/db';
import type { SqlOrm } from '../orm/sql';
import { issueTodos } from '../orm/repositories/todos';
import {
  archiveOperationLog, isSecretKey, raiseChainBreakTodo, recordOperation, redactSecrets, searchOperations, useOperationLog, verifyOperationLog,
} from './operation-log';

let dir: string;
const orms: SqlOrm[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-oplog-'));
});
afterAll(async () => {
  for (const o of orms) await o.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function fresh(): Promise<SqlOrm> {
  const orm = await openOrm(`sqlite:${path.join(dir, `db${++n}.sqlite`)}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
  orms.push(orm);
  useOperationLog({ orm, masterKey: randomKeyHex() });
  return orm;
}

const entry = (i: number, at?: Date) => ({ username: `u${i}`, displayName: `用户${i}`, address: '10.0.0.1', action: 'user-update', objectType: 'user', objectId: `u${i}`, detail: `修改用户 u${i}`, before: { n: i }, after: { n: i + 1 }, at });

async function chainOf(count: number): Promise<SqlOrm> {
  const orm = await fresh();
  for (let i = 1; i <= count; i++) await recordOperation(orm.em.fork(), entry(i));
  return orm;
}

const exec = (orm: SqlOrm, q: string, params: unknown[] = []) => orm.em.getConnection().execute(q, params, 'run');

test('appends run 1..n, each row chained to the one before; an intact chain verifies', async () => {
  const orm = await chainOf(5);
  const rows = (await orm.em.getConnection().execute('select seq, prev_mac, mac from operation_log order by seq')) as Array<{ seq: number; prev_mac: string; mac: string }>;
  expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
  expect(rows[0].prev_mac).toBe('0'.repeat(64));
  for (let i = 1; i < rows.length; i++) expect(rows[i].prev_mac).toBe(rows[i - 1].mac);
  const v = await verifyOperationLog(orm.em.fork());
  expect(v).toMatchObject({ ok: true, checked: 5, fromSeq: 1, toSeq: 5 });
  expect(v.detail).toContain('操作日志完整');
});

test('an edited row is found at its seq', async () => {
  const orm = await chainOf(5);
  await exec(orm, "update operation_log set detail = '修改用户 someone-else' where seq = 3");
  const v = await verifyOperationLog(orm.em.fork());
  expect(v.ok).toBe(false);
  expect(v.checked).toBe(2);
  expect(v.firstBreak).toMatchObject({ seq: 3, kind: 'edited' });
  expect(v.detail).toContain('第 3 条记录被修改');
});

test('a row edited together with a MAC made without the key is still found', async () => {
  const orm = await chainOf(4);
  await exec(orm, "update operation_log set result = 'refused', mac = ? where seq = 2", ['f'.repeat(64)]);
  expect((await verifyOperationLog(orm.em.fork())).firstBreak).toMatchObject({ seq: 2, kind: 'edited' });
});

test('a deleted row is found: in the middle (a gap) and at the end (the head runs past the last row)', async () => {
  const mid = await chainOf(5);
  await exec(mid, 'delete from operation_log where seq = 3');
  const v = await verifyOperationLog(mid.em.fork());
  expect(v.firstBreak).toMatchObject({ seq: 3, kind: 'deleted' });
  expect(v.detail).toContain('第 3 条记录被删除');

  const tail = await chainOf(5);
  await exec(tail, 'delete from operation_log where seq >= 4');
  expect((await verifyOperationLog(tail.em.fork())).firstBreak).toMatchObject({ seq: 4, kind: 'deleted' });
});

test('reordered rows are found: two rows that swapped places', async () => {
  const orm = await chainOf(5);
  await exec(orm, 'update operation_log set seq = -1 where seq = 3');
  await exec(orm, 'update operation_log set seq = 3 where seq = 4');
  await exec(orm, 'update operation_log set seq = 4 where seq = -1');
  const v = await verifyOperationLog(orm.em.fork());
  expect(v.firstBreak).toMatchObject({ seq: 3, kind: 'reordered' });
  expect(v.firstBreak!.detail).toContain('原为第 4 条');
});

test('a row renumbered into a gap is reported as moved, not as a change of content', async () => {
  const orm = await chainOf(5);
  await exec(orm, 'update operation_log set seq = 9 where seq = 5');
  expect((await verifyOperationLog(orm.em.fork())).firstBreak).toMatchObject({ seq: 5, kind: 'reordered' });
});

test('a log row commits with its transaction or not at all; the chain stays gap-free', async () => {
  const orm = await chainOf(2);
  await expect(
    orm.em.fork().transactional(async (tx) => {
      await recordOperation(tx, entry(99));
      throw new Error('the business change failed');
    }),
  ).rejects.toThrow('the business change failed');
  await recordOperation(orm.em.fork(), entry(3));
  const r = await searchOperations(orm.em.fork(), {});
  expect(r.rows.map((x) => x.seq)).toEqual([3, 2, 1]);
  expect(r.rows.some((x) => x.username === 'u99')).toBe(false);
  expect((await verifyOperationLog(orm.em.fork())).ok).toBe(true);
});

test('concurrent appends queue on the head: seq 1..n, one chain', async () => {
  const orm = await fresh();
  await Promise.all(Array.from({ length: 20 }, (_, i) => recordOperation(orm.em.fork(), entry(i))));
  const r = await searchOperations(orm.em.fork(), { pageSize: 100 });
  expect(r.rows.map((x) => x.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(await verifyOperationLog(orm.em.fork())).toMatchObject({ ok: true, checked: 20 });
});

test('no password, hash, TOTP secret or token reaches before / after', async () => {
  for (const k of ['password', 'passwordHash', 'newPassword', 'totpSecret', 'token', 'apiKey', 'privateKey', 'appKey', 'session_id']) expect(isSecretKey(k)).toBe(true);
  for (const k of ['username', 'displayName', 'notPaid', 'roles', 'scope', 'oidcSubject', 'hashtags']) expect(isSecretKey(k)).toBe(false);
  const orm = await fresh();
  const secret = { username: 'zhang', password: 'P@ss-1', passwordHash: 'scrypt$abc', nested: [{ totpSecret: 'JBSWY3DP', token: 'tok' }], mustChangePassword: true };
  expect(redactSecrets(secret)).toEqual({ username: 'zhang', password: '***', passwordHash: '***', nested: [{ totpSecret: '***', token: '***' }], mustChangePassword: true });
  await recordOperation(orm.em.fork(), { ...entry(1), before: secret, after: secret });
  const raw = JSON.stringify(await orm.em.getConnection().execute('select * from operation_log'));
  for (const s of ['P@ss-1', 'scrypt$abc', 'JBSWY3DP', '"tok"']) expect(raw).not.toContain(s);
  expect(raw).toContain('zhang');
});

test('search filters by time, user, action and object, newest first, in bounded pages', async () => {
  const orm = await fresh();
  const day = (d: string) => new Date(`${d}T08:00:00Z`);
  await recordOperation(orm.em.fork(), { ...entry(1, day('2026-12-01')), action: 'login' });
  await recordOperation(orm.em.fork(), { ...entry(2, day('2026-12-02')), action: 'login' });
  await recordOperation(orm.em.fork(), { ...entry(2, day('2026-12-03')), action: 'bill-pdf', objectType: 'bill', objectId: '42' });
  const em = orm.em.fork();
  expect((await searchOperations(em, { action: 'login' })).rows.map((r) => r.seq)).toEqual([2, 1]);
  expect((await searchOperations(em, { username: 'u2' })).total).toBe(2);
  expect((await searchOperations(em, { objectType: 'bill', objectId: '42' })).rows[0]).toMatchObject({ seq: 3, actionName: '下载票据版式文件', resultName: '成功' });
  expect((await searchOperations(em, { from: day('2026-12-02'), to: day('2026-12-03') })).rows.map((r) => r.seq)).toEqual([2]);
  const paged = await searchOperations(em, { page: 2, pageSize: 2 });
  expect(paged).toMatchObject({ total: 3, page: 2, pageSize: 2 });
  expect(paged.rows.map((r) => r.seq)).toEqual([1]);
  expect((await searchOperations(em, { pageSize: 100_000 })).pageSize).toBe(100);
});

test('old rows are archived to a synced file (its SM3 the new anchor) before they leave the table; verification starts from the anchor', async () => {
  const orm = await fresh();
  const now = new Date('2027-07-01T00:00:00Z');
  const old = new Date(now.getTime() - 200 * 86_400_000);
  const recent = new Date(now.getTime() - 100 * 86_400_000);
  for (let i = 1; i <= 3; i++) await recordOperation(orm.em.fork(), entry(i, old));
  for (let i = 4; i <= 5; i++) await recordOperation(orm.em.fork(), entry(i, recent));
  const dataDir = path.join(dir, `data${n}`);

  // A retention under 180 days is raised to 180: the 100-day-old rows stay.
  const a = await archiveOperationLog(orm.em.fork(), { now, retentionDays: 30, dataDir });
  expect(a.archived).toBe(3);
  expect(a.files).toHaveLength(1);
  const file = path.join(dataDir, a.files[0]);
  const text = fs.readFileSync(file);
  const lines = text.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.seq)).toEqual([1, 2, 3]);
  const [anchor] = (await orm.em.getConnection().execute('select * from operation_log_archive')) as Array<Record<string, unknown>>;
  expect(anchor).toMatchObject({ first_seq: 1, last_seq: 3, row_count: 3, file_sm3: sm3Hex(new Uint8Array(text)), last_mac: lines[2].mac });
  const left = await searchOperations(orm.em.fork(), { pageSize: 100 });
  expect(left.rows.map((r) => r.seq)).toEqual([6, 5, 4]); // 6: the archive's own entry
  expect(left.rows[0]).toMatchObject({ action: 'log-archive', username: 'system' });

  expect(await verifyOperationLog(orm.em.fork())).toMatchObject({ ok: true, fromSeq: 4, toSeq: 6, checked: 3, archives: 1 });
  // Nothing more is due.
  expect((await archiveOperationLog(orm.em.fork(), { now, retentionDays: 180, dataDir })).archived).toBe(0);

  // The anchor is part of the chain: an edited anchor is found.
  await exec(orm, 'update operation_log_archive set row_count = 2');
  expect((await verifyOperationLog(orm.em.fork())).firstBreak).toMatchObject({ seq: 1, kind: 'edited' });
});

test('a broken chain is not archived, and the daily check opens a to-do naming the seq', async () => {
  const orm = await fresh();
  const now = new Date('2027-07-01T00:00:00Z');
  for (let i = 1; i <= 3; i++) await recordOperation(orm.em.fork(), entry(i, new Date(now.getTime() - 365 * 86_400_000)));
  await exec(orm, "update operation_log set address = '10.9.9.9' where seq = 2");
  const a = await archiveOperationLog(orm.em.fork(), { now, retentionDays: 180, dataDir: path.join(dir, `data${n}`) });
  expect(a.archived).toBe(0);
  expect(a.refused).toContain('第 2 条记录被修改');
  expect((await searchOperations(orm.em.fork(), {})).total).toBe(3);

  const v = await verifyOperationLog(orm.em.fork());
  await raiseChainBreakTodo(orm.em.fork(), v, { workflowId: 'operation-log-check-1', now });
  const todos = await issueTodos(orm.em, { state: 'open' });
  expect(todos).toHaveLength(1);
  expect(todos[0].title).toContain('第 2 条');
});
