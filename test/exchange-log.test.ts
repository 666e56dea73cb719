/**
 * The exchange log (issue 14 points 5 and 6) on the real stack and its database:
 * - a bill issued through the HIS interface leaves the HIS `in` exchange (its busNo) and the
 *   platform's `out` exchanges of that bill (the fiscal platform, the notices), found by the audit
 *   administrator with clear fields only; one decrypted shows the request, and the decryption is
 *   an operation-log row; the chain verifies;
 * - a row tampered with SQL is named by the verification, by the daily check's to-do and by the
 *   command-line tool (non-zero exit), which before that printed the decrypted entry and exited 0;
 * - after the main journeys (an issue signed by an external signing server, an A4 reprint, a
 *   window refund approved and paid back through WeChat Pay with its notice) every outside system
 *   has its exchanges, each with the business key it was about;
 * - a cashier gets 403, bad parameters 400 naming the field.
 * Own platform: the test tampers with the log. The batched writer is waited for with `eventually`.
 * The platform signs through the signing server simulator (MEDBILL_SIGNER_URL), which holds the
 * demo hospital's key: the platform takes the public key from it when it seeds.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';
import { triggerSchedule } from '../temporal/schedules';
import { startSignerSim, type SignerSim } from '../sim/signer/server';
import { sm2KeyPair } from '../common/gm';
import { DEMO } from '../orm/seed';
import { simUrl } from '../config/simulators';
import { freePort } from '../scripts/temporal-dev';

let p: Platform;
let signer: SignerSim;
beforeAll(async () => {
  signer = await startSignerSim({ port: await freePort(), keys: { [DEMO.hospitalCode]: sm2KeyPair() } });
  p = await startPlatform({ MEDBILL_SIGNER_URL: signer.url }, { own: true });
});
afterAll(async () => {
  await p?.stop();
  await signer?.close();
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
    return r.some((x) => x.system === 'fiscal') && r.some((x) => ['sms', 'email', 'wechat', 'card-pack'].includes(x.system)) && r.some((x) => x.system === 'signer') && r;
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

test('after the main journeys every outside system has its exchanges, each with its business key', async () => {
  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  const bill = await p.his.issueOutpatient();
  const outTradeNo = `WX${bill.billNo}`;
  const wxSim = simUrl(p.cfg.sim.payment.wechatpayPort);
  expect((await fetch(`${wxSim}/_sim/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: outTradeNo, total: 10000 }) })).status).toBeLessThan(300);
  const billId = (await get(cashier, `/api/bills?busNo=${encodeURIComponent(bill.busNo)}`)).body.items[0].id as number;
  // The signing server holds the key: the bill was signed there and verifies under the hospital's key.
  expect((await get(cashier, `/api/bills/${billId}`)).status).toBe(200);

  const printed = await post(cashier, `/api/bills/${billId}/print-layout`);
  expect(printed.status).toBe(200);
  const applied = await post(cashier, '/api/refunds', { billId, channel: 'wechat', outTradeNo, amount: '12.00', reason: '交互日志测试' });
  expect(applied.status).toBe(201);
  const refundId = applied.body.id as number;
  const refundNo = applied.body.refundNo as string;
  for (const [user, password] of [['doctor', 'doctor123'], ['finance', 'finance123']]) {
    const c = await signIn(p.baseUrl, user, password);
    const d = await get(c, `/api/refunds/${refundId}`);
    expect((await post(c, `/api/refunds/${refundId}/actions`, { action: 'approve', version: d.body.version })).status).toBe(200);
  }

  // The fiscal platform's upload of bills was shown by the first test (it runs on the upload schedule).
  const ofBill = await eventually(async () => {
    const q = (k: string, v: string) => search(aud, `${k}=${encodeURIComponent(v)}&pageSize=100`).then((r) => r.rows);
    const r = [...(await q('busNo', bill.busNo)), ...(await q('billNo', bill.billNo))];
    const systems = new Set(r.map((x) => x.system));
    return ['his', 'signer', 'printer'].every((s) => systems.has(s)) && r;
  }, 'the HIS, signing server and printer exchanges of the bill');
  expect(ofBill.find((x) => x.system === 'signer')).toMatchObject({ direction: 'out', method: 'POST /sign', resultCode: '0', busNo: bill.busNo, billNo: bill.billNo });
  expect(ofBill.find((x) => x.system === 'printer')).toMatchObject({ direction: 'out', resultCode: 'completed', busNo: bill.busNo, billNo: bill.billNo });
  expect(ofBill.find((x) => x.system === 'his')).toMatchObject({ direction: 'in', busNo: bill.busNo });

  const pay = await eventually(async () => {
    const r = (await search(aud, `system=wechatpay&pageSize=100`)).rows as Array<Row & { refundNo: string | null }>;
    const mine = r.filter((x) => x.refundNo && x.refundNo.length > 0);
    return mine.some((x) => x.direction === 'out') && mine.some((x) => x.direction === 'in') && mine;
  }, 'the WeChat Pay refund call and its notice', 90_000);
  expect(pay.some((x) => x.direction === 'out' && x.method.includes('/v3/refund/domestic/refunds'))).toBe(true);
  expect(refundNo).toBeTruthy();
  // The notices of the bill (SMS, e-mail, WeChat or the card pack) were there since the first test.
  const notices = (await search(aud, 'direction=out&pageSize=100')).rows.filter((x) => ['sms', 'email', 'wechat', 'card-pack'].includes(x.system));
  expect(notices.length).toBeGreaterThan(0);
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
