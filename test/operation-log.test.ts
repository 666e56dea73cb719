/**
 * The operation log (issue 14 point 4) on the real stack and its database:
 * - a sign-in, a failed sign-in, a user created by the security administrator and the read of a
 *   bill's patient identity are rows the audit administrator finds (who, from where, before/after;
 *   never a password);
 * - the chain verifies; a row edited with SQL is named by its seq, and the daily check's run opens
 *   a to-do naming it;
 * - a cashier (and the security administrator: 三员分立) gets 403 on the audit routes; bad query
 *   parameters answer 400 naming the field.
 * Own platform: the test tampers with the log, which would break every other file's verification.
 */
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';
import { triggerSchedule } from '../temporal/schedules';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

const call = (cookie: string | undefined, method: string, path: string, body?: unknown) => apiCall(p.baseUrl, cookie, method, path, body);
const get = (c: string | undefined, path: string) => call(c, 'GET', path);
const post = (c: string | undefined, path: string, body: unknown = {}) => call(c, 'POST', path, body);
const search = async (c: string, q: string) => {
  const r = await get(c, `/api/audit/operations?${q}`);
  expect(r.status).toBe(200);
  return r.body as { total: number; rows: Array<Record<string, any>>; chainAlarm: { title: string } | null };
};

let aud: string;
let billId: number;
let failedSeq: number;

test('sign-ins, a failed sign-in, a user change and a bill identity read are in the log; the chain verifies', async () => {
  const wrong = await post(undefined, '/api/auth/login', { username: 'cashier', password: 'not-the-password-x1' });
  expect(wrong.status).toBe(401);
  const sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  const created = await post(sec, '/api/system/users', { username: 'oplog1', displayName: '日志测试 孙丽', roles: ['doctor'] });
  expect(created.status).toBe(201);

  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const issued = await p.his.issueOutpatient();
  const list = await get(fin, `/api/bills?busNo=${encodeURIComponent(issued.busNo)}`);
  expect(list.status).toBe(200);
  billId = list.body.items[0].id;
  expect((await get(fin, `/api/bills/${billId}`)).status).toBe(200);

  aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');

  const failed = await search(aud, 'action=login-failed&username=cashier');
  expect(failed.rows[0]).toMatchObject({ action: 'login-failed', actionName: '登录失败', result: 'refused', username: 'cashier', objectType: 'user' });
  expect(failed.rows[0].address).toBeTruthy();
  expect(failed.rows[0].detail).toContain('密码错误');
  failedSeq = failed.rows[0].seq;

  const logins = await search(aud, 'action=login&username=secadmin');
  expect(logins.rows[0]).toMatchObject({ result: 'ok', displayName: '安全管理员 吴静' });

  const create = await search(aud, 'action=user-create&objectType=user&objectId=oplog1');
  expect(create.total).toBe(1);
  expect(create.rows[0]).toMatchObject({ username: 'secadmin', before: null });
  expect(create.rows[0].after).toMatchObject({ username: 'oplog1', displayName: '日志测试 孙丽', roles: 'doctor', active: true });

  const read = await search(aud, `action=bill-identity-read&objectType=bill&objectId=${billId}`);
  expect(read.rows[0]).toMatchObject({ username: 'finance', actionName: '查看患者身份信息' });
  expect(read.rows[0].detail).toContain(issued.billNo);

  // Never a password, in any row of the log.
  const all = JSON.stringify((await search(aud, 'pageSize=100')).rows);
  expect(all).not.toContain('not-the-password-x1');
  expect(all).not.toContain('Secadmin#2026');
  expect(all).not.toContain(created.body.initialPassword);

  const v = await post(aud, '/api/audit/operations/verify');
  expect(v.status).toBe(200);
  expect(v.body.ok).toBe(true);
  expect(v.body.checked).toBeGreaterThanOrEqual(6);
  expect(v.body.firstBreak).toBeUndefined();
  expect((await search(aud, 'action=log-verify')).rows[0]).toMatchObject({ username: 'auditadmin', result: 'ok' });
});

test('a console reversal and a requisition keep the object before and after; a refused change keeps none', async () => {
  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const refused = await post(fin, `/api/bills/${billId}/write-off`, { reason: '' });
  expect(refused.status).toBe(400);
  const done = await post(fin, `/api/bills/${billId}/write-off`, { reason: '操作日志测试冲红' });
  expect(done.status).toBe(200);

  const rows = (await search(aud, `action=business-change&objectType=bills&username=finance`)).rows.filter((r) => r.objectId === `${billId}/write-off`);
  expect(rows.map((r) => r.result)).toEqual(['ok', 'refused']);
  const [ok, no] = rows;
  expect(ok.before).toMatchObject({ id: billId, state: 'normal', scarletBillId: null, writeOffReason: null });
  expect(ok.after).toMatchObject({ id: billId, state: 'reversed', writeOffReason: '操作日志测试冲红' });
  expect(ok.after.scarletBillId).toEqual(expect.any(Number));
  expect(typeof ok.after.reversedAt).toBe('string');
  // No personal data in the snapshots (the bill's payer and ID number stay in the bill).
  expect(JSON.stringify([ok.before, ok.after])).not.toMatch(/payer|idCard|tel/i);
  expect(no.before).toBeNull();
  expect(no.after).toBeNull();

  const draft = await post(fin, '/api/stock/requisitions', { lines: [{ billKindCode: '0401', quantity: 500 }], remark: '日志测试' });
  expect(draft.status).toBe(200);
  const edited = await call(fin, 'PUT', `/api/stock/requisitions/${draft.body.id}`, { lines: [{ billKindCode: '0401', quantity: 800 }], remark: '日志测试改' });
  expect(edited.status).toBe(200);
  const reqRows = (await search(aud, 'action=business-change&objectType=stock&username=finance')).rows;
  const create = reqRows.find((r) => r.objectId === 'requisitions');
  expect(create).toMatchObject({ before: null, after: { id: draft.body.id, state: 'draft', revision: 1, remark: '日志测试', lineCount: 1 } });
  const edit = reqRows.find((r) => r.objectId === `requisitions/${draft.body.id}`);
  expect(edit?.before).toMatchObject({ remark: '日志测试' });
  expect(edit?.after).toMatchObject({ remark: '日志测试改' });
});

test('a row edited with SQL is named by its seq, and the daily check opens a to-do for it', async () => {
  await p.orm.em.getConnection().execute("update operation_log set detail = '登录成功' where seq = ?", [failedSeq], 'run');
  const v = await post(aud, '/api/audit/operations/verify');
  expect(v.status).toBe(200);
  expect(v.body).toMatchObject({ ok: false, firstBreak: { seq: failedSeq, kind: 'edited' } });
  expect(v.body.detail).toContain(`第 ${failedSeq} 条记录被修改`);
  expect(v.body.checked).toBe(failedSeq - 1);

  await triggerSchedule(p.client, 'operation-log-check');
  // The audit administrator sees it on the operation-log page, finance in the to-do list.
  const alarm = await eventually(async () => (await search(aud, 'pageSize=1')).chainAlarm, 'the operation-log-check to-do');
  expect(alarm.title).toContain(`第 ${failedSeq} 条`);
  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const todos = await get(fin, '/api/todos/issuance?state=open');
  expect((todos.body.items as Array<{ title: string }>).find((t) => t.title.includes('操作日志'))?.title).toContain(`第 ${failedSeq} 条`);
});

test('only the audit administrator reaches the audit routes; bad parameters answer 400 naming the field', async () => {
  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  const sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  for (const c of [cashier, sec]) {
    const r = await get(c, '/api/audit/operations');
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('E0005');
    expect(r.body.error.message).toContain('操作日志');
    expect((await post(c, '/api/audit/operations/verify')).status).toBe(403);
  }
  expect((await get(undefined, '/api/audit/operations')).status).toBe(401);
  for (const [q, field] of [
    ['pageSize=0', 'pageSize'], ['pageSize=101', 'pageSize'], ['page=abc', 'page'], ['dateFrom=2026-02-30', 'dateFrom'],
    ['dateFrom=2026-12-05&dateTo=2026-12-01', 'dateTo'], ['action=DROP%20TABLE', 'action'], ['username=' + 'x'.repeat(65), 'username'], ['foo=1', 'foo'],
  ]) {
    const r = await get(aud, `/api/audit/operations?${q}`);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
  }
  const ok = await search(aud, 'dateFrom=2000-01-01&dateTo=2999-12-31&pageSize=5&page=1');
  expect(ok.rows.length).toBeLessThanOrEqual(5);
});
