/**
 * Refund trust (issue 13 points 2 and 5) on the real stack:
 * - the workflow trusts no caller: an update sent straight to Temporal (no proof, a forged proof,
 *   or a valid proof replayed) decides nothing;
 * - money never leaves twice: while a refund of a bill is open, a reversal, a partial refund or a
 *   second refund of it is refused naming the open refund; a bill changed behind the refund's back
 *   stops the payout (state bill_changed, a to-do for finance, no call to the channel).
 */
import { refundActionUpdate } from '../temporal/messages';
import { refundWorkflowId } from '../temporal/ids';
import { signRefundAction } from '../services/refund-proof';
import { masterKey } from '../common/keys';
import { busDateTime } from '../sim/his/client';
import { simUrl } from '../config/simulators';
import { eventually, startPlatform, type Platform, signIn } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const PASSWORDS: Record<string, string> = { admin: 'admin123', finance: 'finance123', cashier: 'cashier123', doctor: 'doctor123' };
const cookies = new Map<string, string>();
async function cookieOf(username: string): Promise<string> {
  if (!cookies.has(username)) {
    cookies.set(username, await signIn(p.baseUrl, username, PASSWORDS[username]));
  }
  return cookies.get(username)!;
}
async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${p.baseUrl}${path}`, { method, headers: { cookie: await cookieOf(user), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}
async function billOf(b: { billBatchCode: string; billNo: string }): Promise<number> {
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from bill where bill_batch_code = ? and bill_no = ?', [b.billBatchCode, b.billNo]);
  return row.id;
}
const refundRow = async (id: number) =>
  (await p.orm.em.getConnection().execute<Array<{ refund_no: string; state: string; version: number; step_index: number }>>('select refund_no, state, version, step_index from refund where id = ?', [id]))[0];
const actionsOf = async (id: number) => (await p.orm.em.getConnection().execute<Array<{ action: string; actor: string }>>('select action, actor from refund_action where refund_id = ? order by id', [id])).map((a) => `${a.action}:${a.actor}`);

/** The update failed, and its cause is the worker's refusal of the proof. */
async function refusedAsInvalid(update: Promise<unknown>): Promise<void> {
  const e = await update.then(() => undefined, (x: unknown) => x as Error & { cause?: Error });
  expect(e).toBeDefined();
  expect(`${e!.message} ${e!.cause?.message ?? ''}`).toMatch(/操作凭证无效/);
}

/** A cash refund of 10.00 on a fresh MZ01 bill, started by the cashier (waits for a doctor). */
async function openRefund() {
  const issued = await p.his.issueOutpatient();
  const billId = await billOf(issued);
  const r = await call('cashier', 'POST', '/api/refunds', { billId, channel: 'cash', amount: '10.00', reason: '检查未做' });
  expect(r.status).toBe(201);
  return { issued, billId, refundId: r.body.id as number, refundNo: r.body.refundNo as string };
}

describe('the workflow trusts no caller', () => {
  // One who may decide the open step by role: only the missing or forged proof stops them.
  const admin = { username: 'doctor', displayName: '门诊医生 张医生', roles: ['doctor'] };

  test('an update sent straight to Temporal, without a proof or with a forged one, decides nothing', async () => {
    const { refundId, refundNo } = await openRefund();
    const before = await refundRow(refundId);
    const trailBefore = await actionsOf(refundId);
    const handle = p.client.workflow.getHandle(refundWorkflowId(refundNo));
    const tries = [
      { action: 'approve', actor: admin, version: before.version, comment: '伪造' },
      { action: 'reject', actor: admin, version: before.version, comment: '伪造', proof: { nonce: 'a'.repeat(32), issuedAt: new Date().toISOString(), mac: 'b'.repeat(64) } },
      // signed with a key that is not the platform's
      signRefundAction('0'.repeat(64), refundNo, { action: 'withdraw', actor: { ...admin, isApplicant: true }, comment: '伪造' } as never),
    ];
    for (const t of tries) {
      await refusedAsInvalid(handle.executeUpdate(refundActionUpdate, { args: [t as never] }));
    }
    const after = await refundRow(refundId);
    expect(after).toEqual(before);
    expect(await actionsOf(refundId)).toEqual(trailBefore);
    // The API's own path still works: the doctor approves through the console.
    const ok = await call('doctor', 'POST', `/api/refunds/${refundId}/actions`, { action: 'approve', version: before.version, comment: '同意' });
    expect(ok.status).toBe(200);
    expect(ok.body.currentStep.key).toBe('finance');
  });

  test('a valid proof replayed for a second update is refused', async () => {
    const { refundId, refundNo } = await openRefund();
    const handle = p.client.workflow.getHandle(refundWorkflowId(refundNo));
    // Signed with the platform's master key, as the API signs: the first use passes, its replay does not.
    const signed = signRefundAction(masterKey(p.cfg), refundNo, { action: 'comment', actor: { username: 'doctor', displayName: '门诊医生 张伟', roles: ['doctor'] }, comment: '第一次' } as never);
    await handle.executeUpdate(refundActionUpdate, { args: [signed as never] });
    await refusedAsInvalid(handle.executeUpdate(refundActionUpdate, { args: [signed as never] }));
    // A proof for one action does not carry another: the same proof on an approval is refused.
    const tampered = { ...(signed as object), action: 'approve', version: (await refundRow(refundId)).version };
    await refusedAsInvalid(handle.executeUpdate(refundActionUpdate, { args: [tampered as never] }));
    await eventually(async () => (await actionsOf(refundId)).includes('comment:doctor'), 'the signed comment recorded');
    expect((await actionsOf(refundId)).filter((a) => a.startsWith('comment:') || a.startsWith('approve:'))).toEqual(['comment:doctor']);
    expect((await refundRow(refundId)).state).toBe('approving');
  });
});

describe('money never leaves twice', () => {
  test('while a refund is open: console reversal, HIS write-off, partial refund and a second refund are refused naming it', async () => {
    const { issued, billId, refundNo } = await openRefund();
    const named = (b: any) => expect(JSON.stringify(b)).toContain(refundNo);
    const rev = await call('cashier', 'POST', `/api/bills/${billId}/write-off`, { reason: '窗口冲红' });
    expect(rev.status).toBe(409);
    expect(rev.body.error.code).toBe('E0095');
    named(rev.body);
    const part = await call('cashier', 'POST', `/api/bills/${billId}/partial-refund`, { reason: '部分退费', refundDetail: [{ sortNo: 1, amt: '1.00' }] });
    expect(part.body.error.code).toBe('E0095');
    named(part.body);
    const second = await call('cashier', 'POST', '/api/refunds', { billId, channel: 'cash', amount: '1.00', reason: '第二笔' });
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(second.status).toBeLessThan(500);
    named(second.body);
    const his = await p.hisClient.call('writeOffEBill', { billBatchCode: issued.billBatchCode, billNo: issued.billNo, reason: 'HIS 冲红', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
    expect(his.result).toBe('E0095');
    expect(JSON.stringify(his.message)).toContain(refundNo);
    const hisPart = await p.hisClient.call('partialRefundEBill', { billBatchCode: issued.billBatchCode, billNo: issued.billNo, reason: 'HIS 部分退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01', refundDetail: [{ sortNo: 1, amt: '1.00' }] });
    expect(hisPart.result).toBe('E0095');
    // The bill page shows the open refund.
    const page = await call('cashier', 'GET', `/api/bills/${billId}`);
    expect(page.body.bill.refunds).toEqual([expect.objectContaining({ refundNo, state: 'approving' })]);
    const [bill] = await p.orm.em.getConnection().execute<Array<{ state: string }>>('select state from bill where id = ?', [billId]);
    expect(bill.state).toBe('normal');
  });

  test('a bill changed behind the refund\'s back stops the payout: bill_changed, a finance to-do, no money sent', async () => {
    const wx = simUrl(p.cfg.sim.payment.wechatpayPort);
    const issued = await p.his.issueOutpatient();
    const billId = await billOf(issued);
    const outTradeNo = `WX${issued.billNo}T`;
    await fetch(`${wx}/_sim/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: outTradeNo, total: 10000 }) });
    const r = await call('cashier', 'POST', '/api/refunds', { billId, channel: 'wechat', outTradeNo, amount: '10.00', reason: '检查未做' });
    expect(r.status).toBe(201);
    const refundId = r.body.id as number;
    let d = (await call('doctor', 'POST', `/api/refunds/${refundId}/actions`, { action: 'approve', version: r.body.version, comment: '同意' })).body;
    // Behind the rule's back (as a direct database edit would): the bill is reversed before finance approves.
    await p.orm.em.getConnection().execute("update bill set state = 'reversed' where id = ?", [billId], 'run');
    d = (await call('finance', 'POST', `/api/refunds/${refundId}/actions`, { action: 'approve', version: d.version, comment: '同意' })).body;
    expect(d.error).toBeUndefined();
    await eventually(async () => (await refundRow(refundId)).state === 'bill_changed', 'refund stopped as bill_changed');
    const sent = (await (await fetch(`${wx}/_sim/refunds`)).json()) as Array<{ out_trade_no?: string }>;
    expect(sent.filter((x) => JSON.stringify(x).includes(outTradeNo))).toEqual([]);
    const todos = await p.orm.em.getConnection().execute<Array<{ kind: string; state: string }>>('select kind, state from todo where bill_id = ?', [billId]);
    expect(todos).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'refund_bill_changed', state: 'open' })]));
    // The same wechat order refunded on a bill in force does reach the channel (the check above is what stopped it).
    const good = await p.his.issueOutpatient();
    const goodId = await billOf(good);
    const goodTrade = `WX${good.billNo}G`;
    await fetch(`${wx}/_sim/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: goodTrade, total: 10000 }) });
    const g = (await call('cashier', 'POST', '/api/refunds', { billId: goodId, channel: 'wechat', outTradeNo: goodTrade, amount: '10.00', reason: '检查未做' })).body;
    const g1 = (await call('doctor', 'POST', `/api/refunds/${g.id}/actions`, { action: 'approve', version: g.version, comment: '同意' })).body;
    await call('finance', 'POST', `/api/refunds/${g.id}/actions`, { action: 'approve', version: g1.version, comment: '同意' });
    await eventually(async () => ((await (await fetch(`${wx}/_sim/refunds`)).json()) as unknown[]).some((x) => JSON.stringify(x).includes(goodTrade)), 'the good refund reaches the channel');
  });
});
