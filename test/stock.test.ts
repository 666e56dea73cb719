/**
 * Bill stock on the real platform: requisition -> stock-in -> distribution -> HIS issues ->
 * reversal -> return of the unused tail -> void -> the number-continuity audit accounts for every
 * number exactly once; issuance racing returns at one point; stock alarms from the schedule;
 * billing points; role guards and field-named errors; E0023 at an empty point.
 */
import { busDateTime } from '../sim/his/client';
import { triggerSchedule } from '../scripts/schedules';
import type { AuditReport } from '../activities/stock/audit';
import { eventually, startPlatform, type Platform } from './harness';

let p: Platform;
let finance: string;
beforeAll(async () => {
  p = await startPlatform();
  finance = await login('finance', 'finance123');
});
afterAll(async () => {
  await p?.stop();
});

async function login(username: string, password: string): Promise<string> {
  const r = await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return ((await r.json()) as { token: string }).token;
}
async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${p.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}
const get = (path: string, token = finance) => call(token, 'GET', path);
const post = (path: string, body: unknown, token = finance) => call(token, 'POST', path, body);
const put = (path: string, body: unknown, token = finance) => call(token, 'PUT', path, body);
const ok = async (r: Promise<{ status: number; json: any }>) => {
  const x = await r;
  if (x.status !== 200) throw new Error(`HTTP ${x.status}: ${JSON.stringify(x.json)}`);
  return x.json;
};
const audit = async (): Promise<AuditReport> => ok(get('/api/stock/audit'));
const issueAt = (placeCode: string) => p.hisClient.callWithRetry('invoiceEBillOutpatient', sampleAt(placeCode));
let seq = 0;
const sampleAt = (placeCode: string) => {
  seq++;
  return {
    busNo: `STK${Date.now()}${seq}`, busType: '02', payer: '张三', busDateTime: busDateTime(), placeCode, payee: '李敏', author: '李敏', totalAmt: '10.00',
    patientNo: `P${seq}`, payChannelDetail: [{ payChannelCode: '02', payChannelValue: '10.00' }],
    chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', unit: '次', std: '10.00', number: '1', amt: '10.00', selfAmt: '0.00' }],
  };
};
const remainingAt = async (placeCode: string, kind = '0401') => {
  const pts = await ok(get('/api/stock/points'));
  return pts.items.find((x: any) => x.code === placeCode)?.balances.find((b: any) => b.billKindCode === kind)?.remaining ?? 0;
};

test('only finance and admin reach the stock console; cashiers and doctors get 403', async () => {
  const cashier = await login('cashier', 'cashier123');
  const doctor = await login('doctor', 'doctor123');
  const admin = await login('admin', 'admin123');
  for (const path of ['/api/stock/pool', '/api/stock/requisitions', '/api/stock/alarms/count', '/api/stock/audit']) {
    expect((await get(path, cashier)).status).toBe(403);
    expect((await get(path, doctor)).status).toBe(403);
    expect((await get(path, admin)).status).toBe(200);
  }
  expect((await post('/api/stock/distributions', { placeCode: 'MZ01', billKindCode: '0401', quantity: 1 }, cashier)).status).toBe(403);
  expect((await fetch(`${p.baseUrl}/api/stock/pool`)).status).toBe(401);
});

test('the demo stock is accounted for from the start: received, stocked, distributed; every number once', async () => {
  const r = await audit();
  expect(r.ok).toBe(true);
  expect(r.problems).toEqual([]);
  expect(r.received).toBe(2_100_000 + 500_000);
  const reqs = await ok(get('/api/stock/requisitions'));
  expect(reqs.items.some((x: any) => x.requisitionNo === 'SL-DEMO-0001' && x.state === 'stocked')).toBe(true);
});

test('bad input names the field', async () => {
  const bad = async (path: string, body: unknown, field: string, method = 'POST') => {
    const r = await call(finance, method, path, body);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.json.error.field).toBe(field);
  };
  await bad('/api/stock/requisitions', { lines: [] }, 'lines');
  await bad('/api/stock/requisitions', { lines: [{ billKindCode: '0401', quantity: 0 }] }, 'lines[0].quantity');
  await bad('/api/stock/requisitions', { lines: [{ billKindCode: '0401', quantity: 5 }, { billKindCode: '9999', quantity: 5 }] }, 'lines[1].billKindCode');
  await bad('/api/stock/distributions', { placeCode: 'NOPE', billKindCode: '0401', quantity: 5 }, 'placeCode');
  await bad('/api/stock/distributions', { placeCode: 'MZ01', billKindCode: '0401', quantity: -1 }, 'quantity');
  await bad('/api/stock/distributions', { placeCode: 'MZ01', billKindCode: '0401', quantity: 5 }, 'quantity'); // the pool is empty: E0066
  await bad('/api/stock/voids', { billBatchCode: '44040126', startNo: 5, endNo: 6 }, 'reason');
  await bad('/api/stock/voids', { billBatchCode: '4404', startNo: 5, endNo: 6, reason: 'x' }, 'billBatchCode');
  await bad('/api/stock/thresholds', { placeCode: 'MZ01', billKindCode: '0401', minRemaining: 'many' }, 'minRemaining', 'PUT');
  await bad('/api/stock/points', { code: 'MZ01', name: '重复' }, 'code');
  await bad('/api/stock/points/MZ01', { parentCode: 'MZ01' }, 'parentCode', 'PUT');
  const r = await call(finance, 'DELETE', '/api/stock/points/MZ01');
  expect(r.status).toBe(409);
  expect(r.json.error).toMatchObject({ code: 'E0067', field: 'code' });
});

test('issuing at a point without numbers fails at once with E0023 naming the point; a deactivated point refuses with E0020', async () => {
  await ok(post('/api/stock/points', { code: 'KS01', name: '自助机一号', parentCode: 'MZ01' }));
  const r = await p.hisClient.call('invoiceEBillOutpatient', sampleAt('KS01'));
  expect(r.result).toBe('E0023');
  expect(String(r.message)).toContain('KS01');
  expect(String(r.message)).toMatch(/^placeCode:/);
  await ok(put('/api/stock/points/KS01', { active: false }));
  const off = await p.hisClient.call('invoiceEBillOutpatient', sampleAt('KS01'));
  expect(off.result).toBe('E0020');
  await ok(put('/api/stock/points/KS01', { active: true }));
  const tree = await ok(get('/api/stock/points'));
  expect(tree.items.find((x: any) => x.code === 'KS01')).toMatchObject({ parentCode: 'MZ01', active: true });
  // Never used: it may be deleted.
  expect((await call(finance, 'DELETE', '/api/stock/points/KS01')).status).toBe(200);
});

test('return -> distribution -> issue -> reversal -> return of the tail -> void: the audit shows every number exactly once', async () => {
  // ZY01 gives back its last 1,000 outpatient numbers (2,099,001..2,100,000) to the pool.
  const back = await ok(post('/api/stock/returns', { placeCode: 'ZY01', billKindCode: '0401', quantity: 1000, reason: '调剂' }));
  expect(back.ranges).toEqual([expect.objectContaining({ startNo: 2_099_001, endNo: 2_100_000, quantity: 1000 })]);
  await ok(post('/api/stock/points', { code: 'MZ02', name: '门诊收费二号窗口', parentCode: 'MZ01' }));
  const d = await ok(post('/api/stock/distributions', { placeCode: 'MZ02', billKindCode: '0401', quantity: 100 }));
  expect(d.ranges).toEqual([expect.objectContaining({ startNo: 2_099_001, endNo: 2_099_100 })]);

  const bills = [];
  for (let i = 0; i < 3; i++) bills.push(await issueAt('MZ02'));
  expect(bills.map((b) => Number(b.message.billNo))).toEqual([2_099_001, 2_099_002, 2_099_003]);
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: bills[1].message.billBatchCode, billNo: bills[1].message.billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ02' });
  expect(w.result).toBe('S0000');
  expect(Number(w.message.eScarletBillNo)).toBe(2_099_004);

  // The unused tail of MZ02 (2,099,005..2,099,100) goes back; MZ02 has nothing left.
  const tail = await ok(post('/api/stock/returns', { placeCode: 'MZ02', billKindCode: '0401' }));
  expect(tail.ranges).toEqual([expect.objectContaining({ startNo: 2_099_005, endNo: 2_099_100 })]);
  expect(await remainingAt('MZ02')).toBe(0);
  const empty = await p.hisClient.call('invoiceEBillOutpatient', sampleAt('MZ02'));
  expect(empty.result).toBe('E0023');

  // Void a range in the pool and one at a point (ZY01's unused numbers), both with a reason.
  const code = bills[0].message.billBatchCode as string;
  await ok(post('/api/stock/voids', { billBatchCode: code, startNo: 2_099_010, endNo: 2_099_019, reason: '号段损坏' }));
  await ok(post('/api/stock/voids', { billBatchCode: code, startNo: 2_098_991, endNo: 2_099_000, placeCode: 'ZY01', reason: '窗口撤并' }));
  const twice = await post('/api/stock/voids', { billBatchCode: code, startNo: 2_099_010, endNo: 2_099_010, reason: '再次' });
  expect(twice.json.error).toMatchObject({ code: 'E0066', field: 'startNo' });
  // A used number cannot be voided.
  const used = await post('/api/stock/voids', { billBatchCode: code, startNo: 2_099_001, endNo: 2_099_001, reason: 'x' });
  expect(used.json.error.code).toBe('E0066');

  const r = await audit();
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  const line = r.codes.find((c) => c.billBatchCode === code)!;
  expect(line.counts.issued + line.counts.reversed + line.counts.red).toBe(4);
  expect(line.counts.reversed).toBe(1);
  expect(line.counts.red).toBe(1);
  expect(line.counts.voided).toBe(20);
  expect(line.counts.pool).toBe(1000 - 4 - 10);
  expect(Object.values(line.counts).reduce((a, b) => a + b, 0)).toBe(line.received);

  // Tamper: a number lost from the pool shows up as missing.
  await p.orm.em.getConnection().execute('update stock_pool set start_no = start_no + 1 where bill_batch_code = ? and start_no = ?', [code, 2_099_005], 'run');
  const bad = await audit();
  expect(bad.ok).toBe(false);
  expect(bad.problems).toEqual([expect.objectContaining({ problem: 'missing', billBatchCode: code, startNo: 2_099_005, endNo: 2_099_005 })]);
  await p.orm.em.getConnection().execute('update stock_pool set start_no = start_no - 1 where bill_batch_code = ? and start_no = ?', [code, 2_099_006], 'run');
  expect((await audit()).ok).toBe(true);
});

test('concurrent issuance and returns at one point never lose or double a number', async () => {
  await ok(post('/api/stock/points', { code: 'MZ03', name: '门诊收费三号窗口' }));
  await ok(post('/api/stock/distributions', { placeCode: 'MZ03', billKindCode: '0401', quantity: 60 }));
  const issues = Array.from({ length: 24 }, () => issueAt('MZ03'));
  const returns = Array.from({ length: 6 }, (_, i) => post('/api/stock/returns', { placeCode: 'MZ03', billKindCode: '0401', quantity: 3, reason: `并发退回 ${i}` }));
  const [issued, returned] = await Promise.all([Promise.all(issues), Promise.all(returns)]);
  const numbers = issued.filter((x) => x.result === 'S0000').map((x) => Number(x.message.billNo));
  expect(new Set(numbers).size).toBe(numbers.length);
  for (const x of issued) expect(['S0000', 'E0023']).toContain(x.result);
  const back = returned.filter((x) => x.status === 200).flatMap((x) => x.json.ranges as Array<{ startNo: number; endNo: number }>);
  for (const r of back) for (let n = r.startNo; n <= r.endNo; n++) expect(numbers).not.toContain(n);
  const returnedCount = back.reduce((a, r) => a + r.endNo - r.startNo + 1, 0);
  expect(numbers.length + returnedCount + (await remainingAt('MZ03'))).toBe(60);
  const r = await audit();
  expect(r.problems).toEqual([]);
});

test('the stock-alarm schedule opens an alarm below the threshold and a distribution closes it', async () => {
  // The earlier tests' small points are below the default threshold: a threshold of 0 quiets them.
  for (const code of ['MZ02', 'MZ03']) await ok(put('/api/stock/thresholds', { placeCode: code, billKindCode: '0401', minRemaining: 0 }));
  await ok(post('/api/stock/points', { code: 'MZ04', name: '门诊收费四号窗口' }));
  await ok(post('/api/stock/distributions', { placeCode: 'MZ04', billKindCode: '0401', quantity: 20 }));
  await ok(put('/api/stock/thresholds', { placeCode: 'MZ04', billKindCode: '0401', minRemaining: 50 }));
  // The threshold change re-checks at once; close it again to see the schedule open it.
  await p.orm.em.getConnection().execute(`update stock_alarm set state = 'closed', open_key = null where state = 'open'`, [], 'run');
  expect((await ok(get('/api/stock/alarms/count'))).open).toBe(0);
  await triggerSchedule(p.client, 'stock-alarm');
  const alarm = await eventually(async () => (await ok(get('/api/stock/alarms'))).items.find((a: any) => a.placeCode === 'MZ04'), 'alarm for MZ04');
  expect(alarm).toMatchObject({ state: 'open', billKindCode: '0401', remaining: 20, threshold: 50 });
  expect(alarm.message).toContain('MZ04');
  expect((await ok(get('/api/stock/alarms/count'))).open).toBe(1);
  // Running the check again keeps one alarm per point and kind.
  await triggerSchedule(p.client, 'stock-alarm');
  await triggerSchedule(p.client, 'stock-alarm');
  await eventually(async () => {
    const all = await ok(get('/api/stock/alarms?state=all'));
    return all.items.filter((a: any) => a.placeCode === 'MZ04' && a.state === 'open').length === 1 && (await ok(get('/api/stock/alarms/count'))).open === 1;
  }, 'one alarm after repeated checks');

  await ok(post('/api/stock/returns', { placeCode: 'MZ01', billKindCode: '0401', quantity: 200 }));
  await ok(post('/api/stock/distributions', { placeCode: 'MZ04', billKindCode: '0401', quantity: 100 }));
  await eventually(async () => (await ok(get('/api/stock/alarms/count'))).open === 0, 'alarm closed');
  const mine = (await ok(get('/api/stock/alarms?state=all'))).items.filter((a: any) => a.placeCode === 'MZ04');
  expect(mine.every((a: any) => a.state === 'closed')).toBe(true);
  expect(mine[0].closedReason).toContain('120');
  expect((await audit()).ok).toBe(true);
});
