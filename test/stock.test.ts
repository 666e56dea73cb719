/**
 * Bill stock on the real platform: requisition -> stock-in -> distribution -> HIS issues ->
 * reversal -> return of the unused tail -> void -> the number-continuity audit accounts for every
 * number exactly once; issuance racing returns at one point; stock alarms from the schedule;
 * billing points; role guards and field-named errors; E0023 at an empty point.
 */
import { busDateTime } from '../sim/his/client';
import { triggerSchedule } from '../temporal/schedules';
import type { AuditReport } from '../services/stock/audit';
import { freePort } from '../scripts/temporal-dev';
import { eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
let finance: string;
let fiscalSim: string;
beforeAll(async () => {
  const port = await freePort();
  // The fiscal simulator reviews only when told (POST /_sim/review), so the test decides approve or return.
  p = await startPlatform({ MEDBILL_FISCAL_SIM_PORT: String(port), MEDBILL_FISCAL_SIM_AUTO_APPROVE: '0', MEDBILL_REQUISITION_POLL_MAX: '2s' });
  fiscalSim = `http://127.0.0.1:${port}`;
  finance = await login('finance', 'finance123');
});
const sim = async (path: string, body?: unknown) => {
  const r = await fetch(`${fiscalSim}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) throw new Error(`fiscal sim ${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<any>;
};
afterAll(async () => {
  await p?.stop();
});

async function login(username: string, password: string): Promise<string> {
  return signIn(p.baseUrl, username, password);
}
async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${p.baseUrl}${path}`, {
    method,
    headers: { cookie: token, 'content-type': 'application/json' },
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
  expect(r.received).toBe(2_100_000 + 500_000 + 10_000 + 10_000); // 0401, 0402, and the non-medical 0501 and 0601
  const reqs = await ok(get('/api/stock/requisitions'));
  expect(reqs.items.some((x: any) => x.requisitionNo === 'SL-DEMO-0001' && x.state === 'stocked')).toBe(true);
});

let received: { billBatchCode: string; startNo: number; endNo: number };

test('requisition: draft -> submit through a fiscal outage -> returned -> edit and resubmit -> approved -> stock-in; every step on the timeline', async () => {
  const draft = await ok(post('/api/stock/requisitions', { lines: [{ billKindCode: '0401', quantity: 500 }], remark: '门诊用票' }));
  expect(draft).toMatchObject({ state: 'draft', revision: 1 });
  const edited = await ok(put(`/api/stock/requisitions/${draft.id}`, { lines: [{ billKindCode: '0401', quantity: 400 }, { billKindCode: '0402', quantity: 100 }], remark: '门诊、住院用票' }));
  expect(edited.lines.map((l: any) => [l.billKindCode, l.quantity])).toEqual([['0401', 400], ['0402', 100]]);

  // The fiscal platform is down while the requisition is submitted: the answer comes at once, the send is retried.
  await sim('/_sim/faults', { mode: 'down' });
  const refusedBefore: number = (await sim('/_sim/faults')).refused?.['POST /fiscal/requisitions'] ?? 0;
  const sub = await ok(post(`/api/stock/requisitions/${draft.id}/submit`, {}));
  expect(sub).toMatchObject({ state: 'submitted', revision: 1 });
  const again = await post(`/api/stock/requisitions/${draft.id}/submit`, {});
  expect(again.status).toBe(409);
  expect(again.json.error).toMatchObject({ code: 'E0065', field: 'state' });
  const early = await post(`/api/stock/requisitions/${draft.id}/stock-in`, {});
  expect(early.json.error).toMatchObject({ code: 'E0065', field: 'state' });
  const noEdit = await put(`/api/stock/requisitions/${draft.id}`, { lines: [{ billKindCode: '0401', quantity: 1 }] });
  expect(noEdit.json.error).toMatchObject({ code: 'E0065', field: 'state' });
  // The send was tried and refused at least twice against the outage (tried, and retried)...
  await eventually(async () => ((await sim('/_sim/faults')).refused?.['POST /fiscal/requisitions'] ?? 0) - refusedBefore >= 2, 'two requisition sends refused by the down fiscal platform', 90_000);
  // ...and nothing arrived.
  expect((await sim('/_sim/requisitions')).some((r: any) => r.requisitionNo === draft.requisitionNo)).toBe(false);
  await sim('/_sim/faults', { mode: 'ok' });
  await eventually(async () => (await sim('/_sim/requisitions')).some((r: any) => r.requisitionNo === draft.requisitionNo && r.state === 'submitted'), 'the requisition reaches the fiscal platform');

  // Returned with a comment: finance edits and resubmits (revision 2).
  await sim('/_sim/review', { requisitionNo: draft.requisitionNo, decision: 'return', comment: '住院票据数量请减半', reviewer: '财政局 赵审核' });
  const returned = await eventually(async () => {
    const r = await ok(get(`/api/stock/requisitions/${draft.id}`));
    return r.state === 'returned' ? r : undefined;
  }, 'returned');
  expect(returned).toMatchObject({ reviewComment: '住院票据数量请减半', reviewer: '财政局 赵审核' });
  await ok(put(`/api/stock/requisitions/${draft.id}`, { lines: [{ billKindCode: '0401', quantity: 400 }, { billKindCode: '0402', quantity: 50 }] }));
  expect(await ok(post(`/api/stock/requisitions/${draft.id}/submit`, {}))).toMatchObject({ state: 'submitted', revision: 2 });
  await eventually(async () => (await sim('/_sim/requisitions')).some((r: any) => r.requisitionNo === draft.requisitionNo && r.revision === 2), 'revision 2 at the fiscal platform');
  await sim('/_sim/review', { requisitionNo: draft.requisitionNo, revision: 2, decision: 'approve', reviewer: '财政局 赵审核' });
  const got = await eventually(async () => {
    const r = await ok(get(`/api/stock/requisitions/${draft.id}`));
    return r.state === 'received' ? r : undefined;
  }, 'received');
  expect(got.segments.map((s: any) => [s.billKindCode, s.quantity, s.state])).toEqual([['0401', 400, 'received'], ['0402', 50, 'received']]);
  // Received but not in stock yet: the audit counts the numbers as awaiting stock-in.
  const before = await audit();
  expect(before.ok).toBe(true);
  expect(before.counts.received).toBe(450);

  const stocked = await ok(post(`/api/stock/requisitions/${draft.id}/stock-in`, {}));
  expect(stocked).toMatchObject({ state: 'stocked', stockedQuantity: 450 });
  const detail = await ok(get(`/api/stock/requisitions/${draft.id}`));
  expect(detail.events.map((e: any) => e.type)).toEqual(['created', 'edited', 'submitted', 'sent', 'returned', 'edited', 'resubmitted', 'sent', 'approved', 'received', 'stocked']);
  expect(detail.events.find((e: any) => e.type === 'stocked').actor).toBe('财务科 王会计');
  expect(detail.events.find((e: any) => e.type === 'returned')).toMatchObject({ actor: '财政局 赵审核', detail: '住院票据数量请减半' });
  const pool = await ok(get('/api/stock/pool'));
  expect(pool.totals).toEqual(expect.arrayContaining([expect.objectContaining({ billKindCode: '0401', quantity: 400 }), expect.objectContaining({ billKindCode: '0402', quantity: 50 })]));
  const seg = got.segments.find((s: any) => s.billKindCode === '0401');
  received = { billBatchCode: seg.billBatchCode, startNo: Number(seg.startNo), endNo: Number(seg.endNo) };
  const after = await audit();
  expect(after.ok).toBe(true);
  expect(after.counts.received).toBe(0);
  expect(after.counts.pool).toBe(450);
  await eventually(async () => (await p.client.workflow.getHandle(`requisition-${draft.id}`).describe()).status.name === 'COMPLETED', 'the requisition workflow completes');
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
  await bad('/api/stock/distributions', { placeCode: 'MZ01', billKindCode: '0401', quantity: 10_000_000 }, 'quantity'); // more than the pool holds: E0066
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

test('requisitioned stock -> distribution -> issue -> reversal -> return of the tail -> void: the audit shows every number exactly once', async () => {
  await ok(post('/api/stock/points', { code: 'MZ02', name: '门诊收费二号窗口', parentCode: 'MZ01' }));
  const d = await ok(post('/api/stock/distributions', { placeCode: 'MZ02', billKindCode: '0401', quantity: 100 }));
  const S = received.startNo;
  expect(d.ranges).toEqual([expect.objectContaining({ billBatchCode: received.billBatchCode, startNo: S, endNo: S + 99 })]);

  const bills = [];
  for (let i = 0; i < 3; i++) bills.push(await issueAt('MZ02'));
  expect(bills.map((b) => Number(b.message.billNo))).toEqual([S, S + 1, S + 2]);
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: bills[1].message.billBatchCode, billNo: bills[1].message.billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ02' });
  expect(w.result).toBe('S0000');
  expect(Number(w.message.eScarletBillNo)).toBe(S + 3);

  // The unused tail of MZ02 (S+4..S+99) goes back; MZ02 has nothing left.
  const tail = await ok(post('/api/stock/returns', { placeCode: 'MZ02', billKindCode: '0401' }));
  expect(tail.ranges).toEqual([expect.objectContaining({ startNo: S + 4, endNo: S + 99 })]);
  expect(await remainingAt('MZ02')).toBe(0);
  const empty = await p.hisClient.call('invoiceEBillOutpatient', sampleAt('MZ02'));
  expect(empty.result).toBe('E0023');

  // Void a range in the pool and one at a point (ZY01's unused numbers), both with a reason.
  const code = bills[0].message.billBatchCode as string;
  await ok(post('/api/stock/voids', { billBatchCode: code, startNo: S + 9, endNo: S + 18, reason: '号段损坏' }));
  await ok(post('/api/stock/voids', { billBatchCode: code, startNo: 2_099_991, endNo: 2_100_000, placeCode: 'ZY01', reason: '窗口撤并' }));
  const twice = await post('/api/stock/voids', { billBatchCode: code, startNo: S + 9, endNo: S + 9, reason: '再次' });
  expect(twice.json.error).toMatchObject({ code: 'E0066', field: 'startNo' });
  // A used number cannot be voided.
  const used = await post('/api/stock/voids', { billBatchCode: code, startNo: S, endNo: S, reason: 'x' });
  expect(used.json.error.code).toBe('E0066');

  const r = await audit();
  expect(r.problems).toEqual([]);
  expect(r.ok).toBe(true);
  const line = r.codes.find((c) => c.billBatchCode === code)!;
  expect(line.counts.issued + line.counts.reversed + line.counts.red).toBe(4);
  expect(line.counts.reversed).toBe(1);
  expect(line.counts.red).toBe(1);
  expect(line.counts.voided).toBe(20);
  expect(line.counts.pool).toBe(400 - 4 - 10);
  expect(Object.values(line.counts).reduce((a, b) => a + b, 0)).toBe(line.received);

  // Tamper: a number lost from the pool shows up as missing.
  await p.orm.em.getConnection().execute('update stock_pool set start_no = start_no + 1 where bill_batch_code = ? and start_no = ?', [code, S + 4], 'run');
  const bad = await audit();
  expect(bad.ok).toBe(false);
  expect(bad.problems).toEqual([expect.objectContaining({ problem: 'missing', billBatchCode: code, startNo: S + 4, endNo: S + 4 })]);
  await p.orm.em.getConnection().execute('update stock_pool set start_no = start_no - 1 where bill_batch_code = ? and start_no = ?', [code, S + 5], 'run');
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
  // 24 issues + 6 x 3 returned <= 60: every call must succeed (a return that loses its race re-reads and retries).
  for (const x of issued) expect(x.result).toBe('S0000');
  for (const x of returned) expect(x.status).toBe(200);
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
