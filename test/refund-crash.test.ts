/**
 * The platform dies right after WeChat Pay accepted a refund and before anything of it was recorded
 * or any notice arrived (MEDBILL_CRASH_AT=after-refund-accepted). After the restart the refund's
 * process asks again with the same out_refund_no, gets the refund the channel already holds, and
 * finishes: the money went back once, the bill is reversed and reissued. No notice reaches this
 * platform (its notify URL goes nowhere), so the result comes from querying the channel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventually, startPlatform, type Platform, signIn } from './harness';
import { simUrl } from '../config/simulators';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_CRASH_AT: 'after-refund-accepted', MEDBILL_REFUND_POLL: '2s', MEDBILL_PAY_NOTIFY_URL: 'http://127.0.0.1:9' });
});
afterAll(async () => {
  await p?.stop();
});

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { cookie: token } : {}) }, body: JSON.stringify(body) });
const login = (username: string, password: string) => signIn(p.baseUrl, username, password);

test('killed after the channel accepted the refund, the process finishes after restart with one refund of money', async () => {
  const wxSim = simUrl(p.cfg.sim.payment.wechatpayPort);
  // Still processing at the channel when the process is back (it takes ~30 s for the lost attempt to be retried).
  await post(`${wxSim}/_sim/faults`, { refundDelayMs: 45_000 });
  const bill = await p.his.issueOutpatient();
  const otherBill = await p.his.issueOutpatient(); // for the orphan request below
  const outTradeNo = `WX${bill.billNo}`;
  await post(`${wxSim}/_sim/orders`, { out_trade_no: outTradeNo, total: 10000 });
  const refundNo = `CRASH${Date.now().toString(36)}`.toUpperCase();
  const r = await p.hisClient.callWithRetry('applyRefund', { refundNo, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo, refundAmt: '40.00', reason: '故障演练' });
  expect(r.result).toBe('S0000');
  const conn = () => p.orm.em.getConnection();
  const [row] = await conn().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [refundNo]);

  for (const [user, password] of [['doctor', 'doctor123'], ['finance', 'finance123']]) {
    const token = await login(user, password);
    const d = (await (await fetch(`${p.baseUrl}/api/refunds/${row.id}`, { headers: { cookie: token } })).json()) as { version: number };
    const a = await post(`${p.baseUrl}/api/refunds/${row.id}/actions`, { action: 'approve', version: d.version }, token).catch((e: Error) => e);
    // Finance's answer may be cut off: the refund goes to the channel (and the process dies) right after the approval.
    if (user === 'doctor') expect((a as Response).status).toBe(200);
  }
  // The process dies once WeChat Pay has accepted the refund.
  await eventually(async () => fetch(`${p.baseUrl}/health`).then(() => false, () => true), 'the process to be gone', 60_000);
  const refunds = async () => ((await (await fetch(`${wxSim}/_sim/refunds`).catch(() => undefined))?.json()) ?? []) as Array<{ out_refund_no: string; status: string }>;
  // It died at the crash point, by its SIGKILL...
  expect(await p.exited()).toBe('SIGKILL');
  expect(fs.existsSync(path.join(p.dataDir, 'crashed-at-after-refund-accepted'))).toBe(true);
  expect(fs.readFileSync(p.logFile, 'utf8')).toContain('MEDBILL_CRASH_AT=after-refund-accepted: killing the process');
  // ...with the refund in flight: its process still open (the Temporal server outlives the
  // platform process; the channel simulator died with it, so it is asked after the restart).
  expect((await p.client.workflow.getHandle(`refund-${refundNo}`).describe()).status.name).toBe('RUNNING');
  const [before] = await conn().execute<Array<{ money_state: string }>>('select money_state from refund where id = ?', [row.id]);
  expect(before.money_state).toBe('none'); // nothing recorded of the accepted refund
  const [sent] = await conn().execute<Array<{ n: number | string }>>(`select count(*) as n from refund_action where refund_id = ? and action = 'money_sent'`, [row.id]);
  expect(Number(sent.n)).toBe(0);

  // A request stored just before the crash whose process never started (what a death between the
  // insert and the start leaves): the restart starts its process. On a bill of its own: one bill
  // has one open refund at a time (a second would hold the first one's reversal).
  const orphan = `${refundNo}X`;
  const [other] = await conn().execute<Array<{ id: number }>>('select id from bill where bill_batch_code = ? and bill_no = ?', [otherBill.billBatchCode, otherBill.billNo]);
  await conn().execute(
    `insert into refund (hospital_id, refund_no, source, appid, bill_id, pay_type, channel, out_trade_no, transaction_id, paid_amt, amount, items, reason, patient_name,
       patient_no, open_id, tel, applicant, applicant_name, doctor, chain_code, chain_steps, state, step_index, step_assignee, step_deadline, step_overdue, version,
       out_refund_no, money_state, bill_state, request_hash, workflow_id, created_at, updated_at)
     select hospital_id, ?, source, appid, ?, pay_type, channel, out_trade_no, transaction_id, paid_amt, amount, items, reason, patient_name,
       patient_no, open_id, tel, applicant, applicant_name, doctor, chain_code, chain_steps, 'approving', 0, null, null, 0, 0,
       ?, 'none', 'pending', request_hash, ?, created_at, updated_at from refund where id = ?`,
    [orphan, other.id, orphan, `refund-${orphan}`, row.id],
    'run',
  );

  await p.restart();
  const described = await eventually(async () => p.client.workflow.getHandle(`refund-${orphan}`).describe().catch(() => undefined), 'the orphan request to get its process');
  expect(described.status.name).toBe('RUNNING');
  const done = await eventually(async () => {
    const [x] = await conn().execute<Array<{ state: string; money_state: string; bill_state: string }>>('select state, money_state, bill_state from refund where id = ?', [row.id]);
    return x.state === 'done' && x;
  }, 'the refund to finish after the restart', 120_000);
  expect(done.money_state).toBe('success');
  const live = (await p.client.workflow.getHandle(`refund-${refundNo}`).query('refundLive')) as { money: { notices: number; queries: number } };
  expect(live.money.notices).toBe(0);
  expect(live.money.queries).toBeGreaterThanOrEqual(1);
  expect(done.bill_state).toBe('reissued');
  const mine = (await refunds()).filter((x) => x.out_refund_no === refundNo);
  expect(mine).toHaveLength(1);
  expect(mine[0].status).toBe('SUCCESS');
  const [lines] = await conn().execute<Array<{ n: number | string }>>(`select count(*) as n from refund_action where refund_id = ? and action in ('money_sent', 'money_back')`, [row.id]);
  expect(Number(lines.n)).toBe(2);
  const [bills] = await conn().execute<Array<{ n: number | string }>>('select count(*) as n from bill where origin_bill_id = (select bill_id from refund where id = ?)', [row.id]);
  expect(Number(bills.n)).toBe(1);
}, 300_000);
