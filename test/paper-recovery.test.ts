/**
 * Reversal of a bill exchanged for paper: the process waits in "awaiting paper recovery" (a to-do
 * for the point's cashiers, a reminder after MEDBILL_PAPER_REMIND_AFTER) until the paper form is
 * voided, by a cashier in the console or by the HIS's invalidPaper; then the e-bill is reversed.
 */
import { Bill, BillEvent, Todo } from '../orm/entities';
import { busDateTime } from '../sim/his/client';
import { BACKGROUND_EVENTS, eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_PAPER_REMIND_AFTER: '2s' });
});
afterAll(async () => {
  await p?.stop();
});

type Ref = { billBatchCode: string; billNo: string };

const login = async (username: string, password: string) =>
  signIn(p.baseUrl, username, password);
const api = (token: string, path: string, body?: unknown) =>
  fetch(`${p.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie: token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Exchanges the bill for the point's next paper form, through the HIS interface. */
async function exchange(b: Ref): Promise<{ pBillBatchCode: string; pBillNo: string }> {
  const next = await p.hisClient.callWithRetry('getPaperBillNo', { placeCode: 'MZ01' });
  expect(next.result).toBe('S0000');
  const { pBillBatchCode, pBillNo } = next.message as { pBillBatchCode: string; pBillNo: string };
  const r = await p.hisClient.callWithRetry('turnPaper', { ...b, pBillBatchCode, pBillNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏' });
  expect(r.result).toBe('S0000');
  return { pBillBatchCode, pBillNo };
}

const writeOff = (b: Ref) =>
  p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '患者退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });

const steps = async (billId: number) =>
  (await p.orm.em.fork().find(BillEvent, { bill: billId }, { orderBy: { id: 'asc' } })).map((e) => e.type).filter((t) => !BACKGROUND_EVENTS.includes(t));

test('a paper-exchanged bill waits for its paper form: to-do, reminder, console confirmation, then one red bill', async () => {
  const original = await p.his.issueOutpatient();
  const paper = await exchange(original);
  const wfId = `writeoff-${original.billBatchCode}-${original.billNo}`;

  // Concurrent reversal calls: every one is told to recover the paper first; one process waits.
  const answers = await Promise.all(Array.from({ length: 5 }, () => writeOff(original)));
  for (const a of answers) {
    expect(a.result).toBe('E0032');
    expect(String(a.message)).toContain(`${paper.pBillBatchCode}-${paper.pBillNo}`);
  }
  const em = p.orm.em.fork();
  const orig = await em.findOneOrFail(Bill, { billBatchCode: original.billBatchCode, billNo: original.billNo });
  expect(orig.state).toBe('normal');
  expect(await em.count(Bill, { relatedBillId: orig.id })).toBe(0);
  expect(((await p.client.workflow.getHandle(wfId).query('lifecycle')) as { state: string }).state).toBe('waiting');
  await eventually(async () => {
    const found = [];
    for await (const w of p.client.workflow.list({ query: `WorkflowId = '${wfId}' AND BillState = 'awaiting_paper'` })) found.push(w);
    return found.length === 1;
  }, 'BillState awaiting_paper in visibility');

  // The cashiers of MZ01 see it in their to-do list; a reminder fires while the form is out.
  const cashier = await login('cashier', 'cashier123');
  const doctor = await login('doctor', 'doctor123');
  const todo = await eventually(async () => {
    const l = (await (await api(cashier, '/api/todos')).json()) as { items: Array<{ id: number; kind: string; bill: { id: number }; actions: string[]; remindCount: number; overdue: boolean }> };
    const t = l.items.find((x) => x.bill.id === orig.id && x.remindCount >= 1);
    return t;
  }, 'a reminder on the to-do');
  expect(todo).toMatchObject({ kind: 'paper_recovery', actions: ['confirm'], overdue: true });
  expect(((await (await api(cashier, '/api/todos/count')).json()) as { overdue: number }).overdue).toBeGreaterThanOrEqual(1);
  expect((await api(doctor, `/api/todos/${todo.id}/confirm`, {})).status).toBe(404);

  // The cashier has the form back and confirms: the form is voided and the reversal completes.
  expect((await api(cashier, `/api/todos/${todo.id}/confirm`, { reason: '已收回纸质票据' })).status).toBe(200);
  const done = (await p.client.workflow.getHandle(wfId).result()) as { state: string; bill: { billNo: string } };
  expect(done.state).toBe('issued');
  const red = await writeOff(original);
  expect(red.result).toBe('S0000');
  expect(red.message.eScarletBillNo).toBe(done.bill.billNo);
  const em2 = p.orm.em.fork();
  expect(await em2.count(Bill, { relatedBillId: orig.id })).toBe(1);
  expect((await em2.findOneOrFail(Bill, orig.id)).paperState).toBe('none');
  expect((await em2.findOneOrFail(Todo, todo.id)).state).toBe('done');
  const s = await steps(orig.id);
  expect(s.slice(0, 3)).toEqual(['issued', 'exchanged', 'awaiting_paper']);
  expect(s).toContain('paper_reminder');
  expect(s.slice(-2)).toEqual(['paper_voided', 'reversed']);
  expect((await api(cashier, `/api/todos/${todo.id}/confirm`, {})).status).toBe(409);
});

test('the HIS voiding the paper form (invalidPaper) lets the waiting reversal finish', async () => {
  const original = await p.his.issueOutpatient();
  const paper = await exchange(original);
  expect((await writeOff(original)).result).toBe('E0032');
  const v = await p.hisClient.callWithRetry('invalidPaper', { ...paper, placeCode: 'MZ01', author: '李敏', reason: '收回作废', busDateTime: busDateTime() });
  expect(v.result).toBe('S0000');
  const done = (await p.client.workflow.getHandle(`writeoff-${original.billBatchCode}-${original.billNo}`).result()) as { state: string };
  expect(done.state).toBe('issued');
  const r = await writeOff(original);
  expect(r.result).toBe('S0000');
  const st = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: original.billBatchCode, billNo: original.billNo });
  expect(st.message).toMatchObject({ isScarlet: '1', eScarletBillNo: r.message.eScarletBillNo });
});

test('a partial refund of a paper-exchanged bill waits for the paper, then reverses and reissues', async () => {
  const original = await p.his.issueOutpatient();
  const paper = await exchange(original);
  const args = { billBatchCode: original.billBatchCode, billNo: original.billNo, reason: '部分退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01', refundAmt: '10.00' };
  expect((await p.hisClient.callWithRetry('partialRefundEBill', args)).result).toBe('E0032');
  expect((await p.hisClient.callWithRetry('invalidPaper', { ...paper, placeCode: 'MZ01', author: '李敏', reason: '收回作废', busDateTime: busDateTime() })).result).toBe('S0000');
  const r = await eventually(async () => {
    const x = await p.hisClient.callWithRetry('partialRefundEBill', args);
    return x.result === 'S0000' ? x : undefined;
  }, 'the partial refund to finish');
  expect(r.message).toMatchObject({ reissueState: 'issued', reissue: { totalAmt: '116.50' } });
});
