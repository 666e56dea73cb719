/**
 * The exchange log (issue 14 points 5 and 6) on the real stack and its database:
 * - a bill issued through the HIS interface leaves the HIS `in` exchange (its busNo) and the
 *   platform's `out` exchanges of that bill (the fiscal platform, the notices), found by the audit
 *   administrator with clear fields only; one decrypted shows the request, and the decryption is
 *   an operation-log row; the chain verifies;
 * - a row tampered with SQL is named by the verification, by the daily check's to-do and by the
 *   command-line tool (non-zero exit), which before that printed the decrypted entry and exited 0;
 * - a cashier gets 403, bad parameters 400 naming the field.
 * Own platform: the test tampers with the log. The batched writer is waited for with `eventually`.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
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
const get = (c: string | undefined, url: string) => call(c, 'GET', url);
const post = (c: string | undefined, url: string, body: unknown = {}) => call(c, 'POST', url, body);
type Row = { id: number; seq: number; system: string; method: string; direction: string; busNo: string | null; billNo: string | null; resultCode: string };
const search = async (c: string, q: string) => {
  const r = await get(c, `/api/audit/exchanges?${q}`);
  expect(r.status).toBe(200);
  return r.body as { total: number; rows: Row[]; chainAlarm: { title: string } | null };
};

/** The CLI as an operator runs it, with the platform's settings. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(__dirname, '..', 'dist', 'scripts', 'exchange-log.js'), ...args],
      { env: { ...process.env, MEDBILL_DATA_DIR: p.dataDir, MEDBILL_DB_URL: p.dbUrl, MEDBILL_LOG_LEVEL: 'warn' }, maxBuffer: 32 * 1024 * 1024, timeout: 110_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let aud: string;
let issued: { busNo: string; billNo: string };
let hisIn: Row;

test('an issued bill leaves its HIS in and fiscal / notice out exchanges; one is decrypted (and logged); the chain verifies', async () => {
  const bill = await p.his.issueOutpatient();
  issued = bill;
  aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');

  const his = await eventually(async () => (await search(aud, `system=his&direction=in&busNo=${encodeURIComponent(bill.busNo)}`)).rows.find((r) => r.resultCode === 'S0000'), 'the HIS exchange');
  expect(his).toMatchObject({ system: 'his', direction: 'in', busNo: bill.busNo, method: 'invoiceEBillOutpatient' });
  hisIn = his;
  // The platform's calls out for that bill: the fiscal platform (its bill number), the notices.
  const outs = await eventually(async () => {
    const r = (await search(aud, `direction=out&billNo=${encodeURIComponent(bill.billNo)}&pageSize=100`)).rows;
    return r.some((x) => x.system === 'fiscal') && r.some((x) => ['sms', 'email', 'wechat', 'card-pack'].includes(x.system)) && r;
  }, 'the fiscal and notice exchanges of the bill');
  expect(outs.every((x) => x.direction === 'out' && x.billNo === bill.billNo)).toBe(true);
  // Clear fields only in the search.
  expect(JSON.stringify(outs)).not.toContain('request');

  const d = await post(aud, `/api/audit/exchanges/${his.id}/decrypt`);
  expect(d.status).toBe(200);
  expect(d.body).toMatchObject({ id: his.id, system: 'his', busNo: bill.busNo, macOk: true });
  expect(JSON.stringify(d.body.request)).toContain(bill.busNo);
  expect(d.body.response).toBeTruthy();
  const ops = await get(aud, `/api/audit/operations?action=exchange-decrypt&objectId=${his.id}`);
  expect(ops.body.rows[0]).toMatchObject({ username: 'auditadmin', objectType: 'exchange', objectId: String(his.id), actionName: '解密交互报文' });

  const v = await post(aud, '/api/audit/exchanges/verify');
  expect(v.status).toBe(200);
  expect(v.body).toMatchObject({ ok: true });
  expect(v.body.checked).toBeGreaterThanOrEqual(3);
});

test('the command-line tool verifies, prints the decrypted entry and records its use', async () => {
  const r = await cli(['--system', 'his', '--bus-no', issued.busNo]);
  expect(r.stderr).not.toMatch(/失败|Error/);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('校验通过');
  expect(r.stdout).toContain(`第 ${hisIn.seq} 条`);
  expect(r.stdout).toContain('请求报文');
  expect(r.stdout).toContain(issued.busNo);
  const json = await cli(['--system', 'his', '--bus-no', issued.busNo, '--json']);
  expect(json.code).toBe(0);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.some((l) => l.id === hisIn.id && JSON.stringify(l.request).includes(issued.busNo))).toBe(true);
  const ops = await get(aud, '/api/audit/operations?action=exchange-export');
  expect(ops.body.rows[0]).toMatchObject({ username: 'system' });
  expect(ops.body.rows[0].displayName).toContain('命令行');
  const bad = await cli(['--from', '2026-02-30']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--from');
});

test('a row tampered with SQL is named by the verification, the daily check and the tool (non-zero exit)', async () => {
  await p.orm.em.getConnection().execute("update exchange_log set result_code = 'E0011' where id = ?", [hisIn.id], 'run');
  const v = await post(aud, '/api/audit/exchanges/verify');
  expect(v.status).toBe(200);
  expect(v.body).toMatchObject({ ok: false, firstBreak: { seq: hisIn.seq, kind: 'edited' } });
  expect(v.body.detail).toContain(`交互日志校验未通过：第 ${hisIn.seq} 条记录被修改`);
  const d = await post(aud, `/api/audit/exchanges/${hisIn.id}/decrypt`);
  expect(d.body.macOk).toBe(false);

  const r = await cli(['--verify-only']);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain(`第 ${hisIn.seq} 条记录被修改`);

  await triggerSchedule(p.client, 'operation-log-check');
  const alarm = await eventually(async () => (await search(aud, 'pageSize=1')).chainAlarm, 'the exchange-log to-do');
  expect(alarm.title).toContain(`交互日志完整性校验未通过：第 ${hisIn.seq} 条`);
});

test('only the audit administrator reaches the exchange routes; bad parameters answer 400 naming the field', async () => {
  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  for (const [m, url] of [['GET', '/api/audit/exchanges'], ['POST', `/api/audit/exchanges/${hisIn.id}/decrypt`], ['POST', '/api/audit/exchanges/verify']]) {
    const r = await call(cashier, m, url, m === 'POST' ? {} : undefined);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('E0005');
  }
  expect((await get(undefined, '/api/audit/exchanges')).status).toBe(401);
  for (const [q, field] of [
    ['pageSize=0', 'pageSize'], ['pageSize=101', 'pageSize'], ['page=x', 'page'], ['dateFrom=2026-13-01', 'dateFrom'], ['dateFrom=2026-12-05&dateTo=2026-12-01', 'dateTo'],
    ['system=mainframe', 'system'], ['direction=up', 'direction'], ['busNo=a%20b', 'busNo'], ['billNo=' + '1'.repeat(65), 'billNo'], ['foo=1', 'foo'],
  ]) {
    const r = await get(aud, `/api/audit/exchanges?${q}`);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe(field);
  }
  for (const id of ['abc', '0', '99999999999']) {
    const r = await post(aud, `/api/audit/exchanges/${id}/decrypt`);
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('id');
  }
  const missing = await post(aud, '/api/audit/exchanges/999999/decrypt');
  expect(missing.status).toBe(404);
  expect(missing.body.error.message).toContain('不存在');
});
