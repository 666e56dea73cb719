/**
 * The refund process on the real stack (Temporal dev server, the platform, the WeChat Pay / Alipay
 * simulators): the approval chain and its actions, the rules, the money through the channel exactly
 * once, the bill reversed and reissued, the patient told, deadlines that remind and escalate.
 */
import { busDateTime } from '../sim/his/client';
import { eventually, startPlatform, type Platform, signIn } from './harness';
import { simUrl } from '../config/simulators';

let p: Platform;
let wxSim: string;
let aliSim: string;
beforeAll(async () => {
  // Polling once an hour: every online refund here finishes through the channel's notice (test/refund-crash.test.ts covers the polling).
  p = await startPlatform({ MEDBILL_REFUND_POLL: '1h' });
  wxSim = simUrl(p.cfg.sim.payment.wechatpayPort);
  aliSim = simUrl(p.cfg.sim.payment.alipayPort);
  // Refunds finish quickly at the simulated channels; partial refunds of one order need no 1-minute gap here.
  await post(`${wxSim}/_sim/faults`, { refundDelayMs: 500, partialGapMs: 0 });
});
afterAll(async () => {
  await p?.stop();
});

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const tokens = new Map<string, string>();
async function login(username: string): Promise<string> {
  if (!tokens.has(username)) {
    const password = { admin: 'admin123', finance: 'finance123', cashier: 'cashier123', doctor: 'doctor123', doctor2: 'doctor123', dept: 'dept123' }[username]!;
    tokens.set(username, await signIn(p.baseUrl, username, password));
  }
  return tokens.get(username)!;
}
async function consoleApi<T = Record<string, any>>(user: string, path: string, body?: unknown, method?: string): Promise<{ status: number; body: T }> {
  const r = await fetch(`${p.baseUrl}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { cookie: await login(user), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as T };
}
const detail = async (user: string, id: number) => (await consoleApi(user, `/api/refunds/${id}`)).body;
const act = (user: string, id: number, body: Record<string, unknown>) => consoleApi(user, `/api/refunds/${id}/actions`, body);
const his = (method: string, body: Record<string, unknown>) => p.hisClient.callWithRetry(method, body);

let seq = 0;
const refundNo = () => `T${Date.now().toString(36)}${++seq}`.toUpperCase();

/** A bill paid 100.00 by WeChat (order registered at the simulator) and 26.50 in cash. */
async function wechatBill(overrides: Record<string, unknown> = {}) {
  const bill = await p.his.issueOutpatient(overrides);
  const outTradeNo = `WX${bill.billNo}`;
  await post(`${wxSim}/_sim/orders`, { out_trade_no: outTradeNo, total: 10000 });
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from bill where bill_batch_code = ? and bill_no = ?', [bill.billBatchCode, bill.billNo]);
  return { ...bill, id: row.id, outTradeNo };
}

const messagesTo = async (to: string) => (await (await fetch(`${p.simUrl}/_sim/messages?to=${encodeURIComponent(to)}`)).json()) as Array<{ text: string; url?: string; templateId?: string; data?: Record<string, { value: string }> }>;

const simRefunds = async (sim: string, outRefundNo: string) =>
  ((await (await fetch(`${sim}/_sim/refunds`)).json()) as Array<{ out_refund_no: string; status: string; amount?: { refund: number } }>).filter((r) => r.out_refund_no === outRefundNo);

async function approveAll(id: number) {
  let d = await detail('doctor', id);
  expect((await act('doctor', id, { action: 'approve', version: d.version, comment: '同意退药' })).status).toBe(200);
  d = await detail('finance', id);
  expect((await act('finance', id, { action: 'approve', version: d.version, comment: '财务同意' })).status).toBe(200);
}

test('HIS applies, doctor and finance approve, WeChat Pay returns the money once, the bill is reversed and reissued, the patient is told', async () => {
  const bill = await wechatBill();
  const no = refundNo();
  const apply = {
    refundNo: no, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo,
    refundDetail: [{ sortNo: 3, amt: '25.50' }], reason: '药品未取，申请退费', openId: 'o-patient-1', source: 'patient', applicantName: '张三',
  };
  const r = await his('applyRefund', apply);
  expect(r.result).toBe('S0000');
  expect(r.message.state).toBe('approving');
  expect(r.message.currentStep.name).toBe('门诊医生审核');
  expect(r.message.amount).toBe('25.50');

  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [no]);
  const counts = (await consoleApi('doctor', '/api/refunds/counts')).body;
  expect(counts.todo).toBeGreaterThanOrEqual(1);
  const todo = (await consoleApi('doctor', '/api/refunds?box=todo')).body;
  expect(todo.items.map((i: { refundNo: string }) => i.refundNo)).toContain(no);
  // Finance does not see it before the doctor decided.
  expect((await consoleApi('finance', '/api/refunds?box=todo')).body.items.map((i: { refundNo: string }) => i.refundNo)).not.toContain(no);
  // Finance may not decide the doctor's step.
  const early = await act('finance', row.id, { action: 'approve', version: 0 });
  expect(early.status).toBe(409);
  expect(early.body.error.code).toBe('E0092');

  await approveAll(row.id);
  // Done, and the patient told (the notice follows the bill in the background).
  const done = await eventually(async () => {
    const d = await detail('finance', row.id);
    return d.state === 'done' && d.timeline.some((t: { action: string }) => t.action === 'notified') && d;
  }, 'refund done', 90_000);
  expect(done.money.state).toBe('success');
  expect(done.money.outRefundNo).toBe(no);
  // The channel's notice, not polling, brought the result (this file's platform polls once an hour).
  expect(done.workflow.live.money.notices).toBeGreaterThanOrEqual(1);
  expect(done.workflow.live.money.queries).toBeGreaterThanOrEqual(1);
  expect(done.billStatus.state).toBe('reissued');
  expect(done.billStatus.reissuedBill.totalAmt).toBe('101.00');
  expect(done.chain.map((s: { status: string; decidedBy?: string }) => [s.status, s.decidedBy])).toEqual([
    ['done', '门诊医生 张伟'],
    ['done', '财务科 王会计'],
  ]);
  const actions = done.timeline.map((t: { action: string }) => t.action);
  expect(actions).toEqual(expect.arrayContaining(['submit', 'approve', 'money_sent', 'money_back', 'bill_reversed', 'bill_reissued', 'notified']));
  expect(done.timeline.find((t: { action: string; actorName: string }) => t.action === 'approve').comment).toBe('同意退药');
  // The console's timeline names the notice channels in Chinese (the openid given, the phone from the bill).
  expect(done.timeline.find((t: { action: string }) => t.action === 'notified').comment).toBe('退费完成：已通知（微信、短信）');
  // Exactly one refund of 25.50 at the channel.
  const at = await simRefunds(wxSim, no);
  expect(at).toHaveLength(1);
  expect(at[0].amount?.refund).toBe(2550);
  // The original bill is reversed; the HIS follow call shows the same.
  const follow = await his('getRefund', { refundNo: no });
  expect(follow.message.state).toBe('done');
  expect(follow.message.bill.reissuedBill.totalAmt).toBe('101.00');
  const [orig] = await p.orm.em.getConnection().execute<Array<{ state: string }>>('select state from bill where id = ?', [bill.id]);
  expect(orig.state).toBe('reversed');
  // The patient got a WeChat template message about the refund.
  const msgs = await messagesTo('o-patient-1');
  expect(msgs.map((m) => m.text).join('\n')).toContain(no);
  // Through the refund-outcome template (MEDBILL_WECHAT_REFUND_TEMPLATE_ID), not the bill notice's.
  const outcome = msgs.find((m) => m.text.includes(no));
  expect(outcome).toMatchObject({ templateId: 'MEDBILL_REFUND_RESULT', data: { character_string3: { value: no }, amount4: { value: '25.50元' }, thing5: { value: '已退款，票据已冲红重开' } } });
  // The patient's page of the refund (the link in the notice) shows the outcome and both bills; a wrong token gets the not-found page.
  expect(follow.message.h5Url).toMatch(new RegExp(`/h5/refund/${no}\\?t=[0-9a-f]{16}$`));
  const page = await (await fetch(follow.message.h5Url)).text();
  expect(page).toContain('已完成');
  expect(page).toContain('25.50');
  expect(page).toContain('门诊医生审核');
  expect(page).toContain('冲红票据');
  expect(page).toContain('重开票据');
  expect(msgs.map((m) => m.url)).toContain(follow.message.h5Url); // the template message links to it
  expect((await fetch(follow.message.h5Url.replace(/t=.*/, 't=0000000000000000'))).status).toBe(404);
  // The bill's page lists its refund.
  const billPage = (await consoleApi('finance', `/api/bills/${bill.id}`)).body;
  expect((billPage.bill ?? billPage).refunds).toEqual([expect.objectContaining({ refundNo: no, state: 'done', stateName: '已完成', amount: '25.50' })]);
  // Withdrawing now is refused with the reason.
  const late = await his('withdrawRefund', { refundNo: no });
  expect(late.result).toBe('E0092');
});

test('the rules refuse with the field named: over the paid amount, a line over its amount, insured across a month, a channel too old; nothing is stored', async () => {
  const bill = await wechatBill();
  const base = { billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, reason: '测试' };
  const over = await his('applyRefund', { ...base, refundNo: refundNo(), refundAmt: '100.01' });
  expect(over.result).toBe('E0091');
  // The HIS is told the fields by the names it sent (refundAmt, refundDetail), the console by its own.
  expect(over.message).toBe('refundAmt: 退费金额 100.01 元超过可退金额：微信支付实付 100.00 元，已退 0.00 元，尚可退 100.00 元');
  const line = await his('applyRefund', { ...base, refundNo: refundNo(), refundDetail: [{ sortNo: 1, amt: '10.01' }] });
  expect(line.result).toBe('E0091');
  expect(line.message).toBe('refundDetail[0].amt: 退费金额 10.01 元超过第 1 项（挂号费）尚可退的 10.00 元（该项 10.00 元）');
  const noLine = await his('applyRefund', { ...base, refundNo: refundNo(), refundDetail: [{ sortNo: 9, amt: '1.00' }] });
  expect(noLine.message).toBe('refundDetail[0].sortNo: 票据没有第 9 项收费明细');
  const disagree = await his('applyRefund', { ...base, refundNo: refundNo(), refundAmt: '5.00', refundDetail: [{ sortNo: 1, amt: '10.00' }] });
  expect(disagree.result).toBe('E0091');
  expect(disagree.message).toBe('refundAmt: 退费金额 5.00 元与明细合计 10.00 元不符');
  const consoleLine = await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'wechat', outTradeNo: bill.outTradeNo, items: [{ sortNo: 1, amt: '10.01' }], reason: '测试' });
  expect(consoleLine.status).toBe(422);
  expect(consoleLine.body.error).toMatchObject({ code: 'E0091', field: 'items[0].amt' });
  expect(consoleLine.body.error.message).toBe('items[0].amt: 退费金额 10.01 元超过第 1 项（挂号费）尚可退的 10.00 元（该项 10.00 元）');
  const missingOrder = await his('applyRefund', { ...base, outTradeNo: undefined, refundNo: refundNo(), refundAmt: '1.00' });
  expect(missingOrder.result).toBe('E0010');
  expect(missingOrder.message).toMatch(/^outTradeNo/);

  // Insured, paid last month: 医保跨月不予退款.
  const lastMonth = new Date(Date.now() - 40 * 86_400_000);
  const insured = await wechatBill({ busDateTime: busDateTime(lastMonth), fundPay: '20.00' });
  const cross = await his('applyRefund', { billBatchCode: insured.billBatchCode, billNo: insured.billNo, channel: 'wechat', outTradeNo: insured.outTradeNo, refundNo: refundNo(), refundAmt: '1.00', reason: '测试' });
  expect(cross.result).toBe('E0091');
  expect(cross.message).toMatch(/^payType: 医保跨月不予退款：\d{4}-\d{2} 的医保结算不能在 \d{4}-\d{2} 退款/);

  // Alipay refunds payments of the last 90 days only.
  const old = await p.his.issueOutpatient({
    busDateTime: busDateTime(new Date(Date.now() - 120 * 86_400_000)),
    payChannelDetail: [{ payChannelCode: '04', payChannelValue: '126.50' }],
  });
  const tooOld = await his('applyRefund', { billBatchCode: old.billBatchCode, billNo: old.billNo, channel: 'alipay', outTradeNo: 'ALI-OLD', refundNo: refundNo(), refundAmt: '1.00', reason: '测试' });
  expect(tooOld.result).toBe('E0091');
  expect(tooOld.message).toMatch(/^channel: 支付宝只能退 90 天内的付款，这笔付款已过 1[12]\d 天/);
  // Not paid through that channel at all.
  const notPaid = await his('applyRefund', { ...base, channel: 'unionpay', refundNo: refundNo(), refundAmt: '1.00' });
  expect(notPaid.message).toBe('channel: 该票据没有通过银联卡付款');

  const [n] = await p.orm.em.getConnection().execute<Array<{ n: number | string }>>('select count(*) as n from refund where bill_id in (?, ?)', [bill.id, insured.id]);
  expect(Number(n.n)).toBe(0);
});

test('reject ends with the reason told to the patient; return goes back to an earlier step; transfer hands a step to one user; comments are kept', async () => {
  const bill = await wechatBill();
  const start = async () => {
    const r = await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'wechat', outTradeNo: bill.outTradeNo, amount: '10.00', reason: '挂号费退费', tel: '13900139000' });
    expect(r.status).toBe(201);
    return r.body;
  };
  const a = await start();
  expect(a.state).toBe('approving');
  // Doctor transfers to doctor2: doctor loses it, doctor2 has it.
  const t = await act('doctor', a.id, { action: 'transfer', version: a.version, to: 'doctor2', comment: '请刘医生处理' });
  expect(t.status).toBe(200);
  expect(t.body.currentStep.assignee).toBe('doctor2');
  expect((await act('doctor', a.id, { action: 'approve', version: t.body.version })).body.error.code).toBe('E0092');
  expect((await consoleApi('doctor', '/api/refunds?box=cc')).body.items.map((i: { id: number }) => i.id)).toContain(a.id);
  // A transfer to someone without the step's role is refused naming the field.
  const wrong = await act('doctor2', a.id, { action: 'transfer', version: t.body.version, to: 'cashier' });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.field).toBe('to');
  let d = (await act('doctor2', a.id, { action: 'approve', version: t.body.version, comment: '同意' })).body;
  expect(d.currentStep.key).toBe('finance');
  // Finance comments, then returns it to the doctor's step.
  expect((await act('finance', a.id, { action: 'comment', comment: '请补充处方' })).status).toBe(200);
  const noReason = await act('finance', a.id, { action: 'return', version: d.version, toStep: 0 });
  expect(noReason.body.error.field).toBe('comment');
  d = (await act('finance', a.id, { action: 'return', version: d.version, toStep: 0, comment: '处方不全，退回医生' })).body;
  expect(d.currentStep.index).toBe(0);
  expect(d.chain.map((s: { status: string }) => s.status)).toEqual(['current', 'pending']);
  d = (await act('doctor', a.id, { action: 'approve', version: d.version, comment: '已补充' })).body;
  const rej = await act('finance', a.id, { action: 'reject', version: d.version });
  expect(rej.body.error.field).toBe('comment');
  d = (await act('finance', a.id, { action: 'reject', version: d.version, comment: '已超过退费时限' })).body;
  expect(d.state).toBe('rejected');
  expect(d.rejectReason).toBe('已超过退费时限');
  await eventually(async () => (await detail('finance', a.id)).timeline.some((x: { action: string }) => x.action === 'notified'), 'patient told');
  const sms = await messagesTo('13900139000');
  expect(sms.map((m) => m.text).join('\n')).toContain('未获批准：已超过退费时限');
  const rejectedPage = await (await fetch((await his('getRefund', { refundNo: d.refundNo })).message.h5Url)).text();
  expect(rejectedPage).toContain('已驳回');
  expect(rejectedPage).toContain('已超过退费时限');
  expect(rejectedPage).toContain('✕ 未通过');
  expect((await simRefunds(wxSim, d.refundNo)).length).toBe(0);
  // The patient's notice (notified) may already be on the reject's answer: it is awaited above.
  const actions = d.timeline.map((x: { action: string }) => x.action).filter((x: string) => x !== 'notified');
  expect(actions).toEqual(['submit', 'transfer', 'approve', 'comment', 'return', 'approve', 'reject']);

  // The applicant withdraws a second request before finance decided.
  const b = await start();
  const w = await act('cashier', b.id, { action: 'withdraw', version: b.version, comment: '患者不退了' });
  expect(w.body.state).toBe('withdrawn');
});

test('two people deciding the same step at once: one decision wins, the other is told who decided', async () => {
  const bill = await wechatBill();
  const a = (await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'wechat', outTradeNo: bill.outTradeNo, amount: '5.00', reason: '并发测试' })).body;
  const [x, y] = await Promise.all([
    act('doctor', a.id, { action: 'approve', version: a.version, comment: 'A' }),
    act('doctor2', a.id, { action: 'reject', version: a.version, comment: 'B' }),
  ]);
  const statuses = [x.status, y.status].sort();
  expect(statuses).toEqual([200, 409]);
  const loser = x.status === 409 ? x : y;
  expect(loser.body.error.code).toBe('E0093');
  expect(loser.body.error.message).toMatch(/此步骤已由 门诊医生 (张伟|刘洋) 于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 处理/);
  const decidedAt = (await detail('admin', a.id)).timeline.find((t: { action: string }) => t.action === 'approve' || t.action === 'reject').at as string;
  // The time in the message is China time (UTC+8), as the console shows it.
  expect(loser.body.error.message).toContain(new Date(new Date(decidedAt).getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' '));
  const d = await detail('admin', a.id);
  expect(d.timeline.filter((t: { action: string }) => t.action === 'approve' || t.action === 'reject')).toHaveLength(1);
  await act('admin', a.id, { action: 'withdraw', version: d.version, comment: '清理' }).catch(() => undefined);
});

test('10 concurrent replays of one apply call and 15 duplicate notices give one refund of money', async () => {
  const bill = await wechatBill();
  const no = refundNo();
  await post(`${wxSim}/_sim/faults`, { duplicateNotices: 15 });
  try {
    const body = { refundNo: no, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, refundAmt: '30.00', reason: '重放测试' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => his('applyRefund', body)));
    expect(answers.map((a) => a.result)).toEqual(Array(10).fill('S0000'));
    const [n] = await p.orm.em.getConnection().execute<Array<{ n: number | string; id: number }>>('select count(*) as n, min(id) as id from refund where refund_no = ?', [no]);
    expect(Number(n.n)).toBe(1);
    // The same refundNo with other content is refused.
    const other = await his('applyRefund', { ...body, refundAmt: '31.00' });
    expect(other.result).toBe('E0094');
    expect(other.message).toBe(`refundNo: 退费单号 ${no} 已被另一笔内容不同的退费申请使用`);
    // A second refund of the same bill waits until this one is over.
    const second = await his('applyRefund', { ...body, refundNo: refundNo(), refundAmt: '1.00' });
    expect(second.result).toBe('E0095');
    expect(second.message).toBe(`billNo: 票据 ${bill.billBatchCode}-${bill.billNo} 有进行中的退费申请 ${no}（审批中），请先处理`);
    await approveAll(n.id);
    await eventually(async () => (await detail('finance', n.id)).state === 'done', 'refund done', 90_000);
    await eventually(async () => {
      const ns = (await (await fetch(`${wxSim}/_sim/notices?out_refund_no=${no}`)).json()) as unknown[];
      return ns.length >= 15;
    }, '15 notices delivered', 60_000);
  } finally {
    await post(`${wxSim}/_sim/faults`, { duplicateNotices: 0 });
  }
  const at = await simRefunds(wxSim, no);
  expect(at).toHaveLength(1);
  expect(at[0].status).toBe('SUCCESS');
  const [rows] = await p.orm.em.getConnection().execute<Array<{ n: number | string }>>(`select count(*) as n from payment_notice where out_refund_no = ? and state = 'success'`, [no]);
  expect(Number(rows.n)).toBe(1);
});

test('cash refunds wait for the cashier at the window, who confirms with the receipt number', async () => {
  const bill = await wechatBill();
  const a = (await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'cash', amount: '26.50', reason: '现金退费' })).body;
  await approveAll(a.id);
  let d = await detail('cashier', a.id);
  expect(d.state).toBe('awaiting_cashier');
  expect(d.actions).toContain('cashier_confirm');
  expect((await consoleApi('cashier', '/api/refunds?box=todo')).body.items.map((i: { id: number }) => i.id)).toContain(a.id);
  const noVoucher = await act('cashier', a.id, { action: 'cashier_confirm', version: d.version });
  expect(noVoucher.body.error.field).toBe('voucherNo');
  d = (await act('cashier', a.id, { action: 'cashier_confirm', version: d.version, voucherNo: 'XJ-0001' })).body;
  const done = await eventually(async () => {
    const x = await detail('cashier', a.id);
    return x.state === 'done' && x;
  }, 'cash refund done', 60_000);
  expect(done.money.voucherNo).toBe('XJ-0001');
  expect(done.billStatus.state).toBe('reissued');
  expect(done.billStatus.reissuedBill.totalAmt).toBe('100.00');
});

test('a step past its deadline reminds, then escalates (overdue, finance copied); extending clears it', async () => {
  const chains = (await consoleApi('admin', '/api/refund-chains')).body as Array<{ code: string; steps: unknown[] }>;
  const original = chains.find((c) => c.code === 'self')!.steps;
  const bad = await consoleApi('admin', '/api/refund-chains/self', { steps: [{ key: 'doctor', name: '医生', roles: ['nurse'], deadlineHours: 1, escalateRoles: [] }] }, 'PUT');
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('steps[0].roles');
  // Finance edits the chains now (the legacy admin role is gone); a cashier may not.
  expect((await consoleApi('cashier', '/api/refund-chains/self', { steps: original }, 'PUT')).status).toBe(403);
  const put = await consoleApi('admin', '/api/refund-chains/self', {
    steps: [
      { key: 'doctor', name: '门诊医生审核', roles: ['doctor'], deadlineHours: 4 / 3600, remindBeforeHours: 2 / 3600, escalateRoles: ['finance'] },
      { key: 'finance', name: '计财科审核', roles: ['finance'], deadlineHours: 48, escalateRoles: ['finance'] },
    ],
  }, 'PUT');
  expect(put.status).toBe(200);
  try {
    const bill = await wechatBill();
    const a = (await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'wechat', outTradeNo: bill.outTradeNo, amount: '1.00', reason: '超时测试' })).body;
    const d = await eventually(async () => {
      const x = await detail('admin', a.id);
      return x.currentStep?.overdue && x;
    }, 'escalated', 60_000);
    const acts = d.timeline.map((t: { action: string }) => t.action);
    expect(acts.indexOf('remind')).toBeGreaterThan(0);
    expect(acts.indexOf('escalate')).toBeGreaterThan(acts.indexOf('remind'));
    expect((await consoleApi('finance', '/api/refunds?box=cc')).body.items.map((i: { id: number }) => i.id)).toContain(a.id);
    expect((await consoleApi('doctor', '/api/refunds/counts')).body.overdue).toBeGreaterThanOrEqual(1);
    const ext = await act('doctor', a.id, { action: 'extend', hours: 24, comment: '等待处方' });
    expect(ext.status).toBe(200);
    expect(ext.body.currentStep.overdue).toBe(false);
    expect(new Date(ext.body.currentStep.deadline).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  } finally {
    await consoleApi('admin', '/api/refund-chains/self', { steps: original }, 'PUT');
  }
});

test('an insured Alipay refund goes through the insured chain (doctor, executing department, finance) and back through Alipay', async () => {
  const bill = await p.his.issueOutpatient({
    fundPay: '20.00',
    payChannelDetail: [
      { payChannelCode: '04', payChannelValue: '100.00' },
      { payChannelCode: '02', payChannelValue: '26.50' },
    ],
  });
  const outTradeNo = `ALI${bill.billNo}`;
  await post(`${aliSim}/_sim/orders`, { out_trade_no: outTradeNo, total: 10000 });
  const no = refundNo();
  const r = await his('applyRefund', { refundNo: no, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'alipay', outTradeNo, refundAmt: '100.00', reason: '检查未做', doctor: 'doctor' });
  expect(r.result).toBe('S0000');
  expect(r.message.chain.map((s: { name: string }) => s.name)).toEqual(['门诊医生审核', '执收科室反确认', '计财科审核']);
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number; pay_type: string }>>('select id, pay_type from refund where refund_no = ?', [no]);
  expect(row.pay_type).toBe('insured');
  // The request names its doctor: doctor2 does not see it, doctor does.
  expect((await consoleApi('doctor2', '/api/refunds?box=todo')).body.items.map((i: { id: number }) => i.id)).not.toContain(row.id);
  let d = await detail('doctor', row.id);
  d = (await act('doctor', row.id, { action: 'approve', version: d.version })).body;
  expect(d.currentStep.key).toBe('department');
  expect((await act('finance', row.id, { action: 'approve', version: d.version })).status).toBe(409);
  d = (await act('dept', row.id, { action: 'approve', version: d.version, comment: '未执行，可退' })).body;
  d = (await act('finance', row.id, { action: 'approve', version: d.version })).body;
  const done = await eventually(async () => {
    const x = await detail('finance', row.id);
    return x.state === 'done' && x;
  }, 'alipay refund done', 90_000);
  expect(done.money.state).toBe('success');
  expect(done.billStatus.reissuedBill.totalAmt).toBe('26.50');
  const at = ((await (await fetch(`${aliSim}/_sim/refunds`)).json()) as Array<{ out_request_no: string; refund_amount?: string }>).filter((x) => x.out_request_no === no);
  expect(at).toHaveLength(1);
});

test('a channel outage is retried with the same out_refund_no; a refund the channel fails waits for finance, who retries it under a new number', async () => {
  const bill = await wechatBill();
  const a = (await consoleApi('cashier', '/api/refunds', { billId: bill.id, channel: 'wechat', outTradeNo: bill.outTradeNo, amount: '12.00', reason: '异常测试' })).body;
  const REFUNDS = 'POST /v3/refund/domestic/refunds';
  const refusedRefunds = async () => (((await (await fetch(`${wxSim}/_sim/faults`)).json()) as { refused: Record<string, number> }).refused[REFUNDS] ?? 0);
  await post(`${wxSim}/_sim/faults`, { mode: 'down' });
  const refusedBefore = await refusedRefunds();
  await approveAll(a.id);
  try {
    await eventually(async () => (await detail('finance', a.id)).state === 'refunding', 'refunding');
    // The refund was sent and refused at least twice (tried, and retried) while the channel is down...
    await eventually(async () => (await refusedRefunds()) - refusedBefore >= 2, 'two refund calls refused by the down channel', 90_000);
    // ...and nothing was accepted.
    expect((await detail('finance', a.id)).money.state).toBe('none');
    expect(await simRefunds(wxSim, a.refundNo)).toHaveLength(0);
    await post(`${wxSim}/_sim/faults`, { mode: 'ok', refundOutcome: 'ABNORMAL' });
    const failed = await eventually(async () => {
      const x = await detail('finance', a.id);
      return x.state === 'refund_failed' && x;
    }, 'refund failed at the channel', 90_000);
    expect(failed.actions).toEqual(expect.arrayContaining(['retry_money', 'offline']));
    expect(failed.money.state).toBe('failed');
    expect(failed.money.failReason).toBeTruthy();
    expect(failed.timeline.filter((t: { action: string }) => t.action === 'money_failed')).toHaveLength(1);
    expect((await consoleApi('finance', '/api/refunds?box=todo')).body.items.map((i: { id: number }) => i.id)).toContain(a.id);
    // The money's failure handling needs the refund:money permission (finance); a cashier has not got it.
    expect((await act('cashier', a.id, { action: 'retry_money', version: failed.version })).body.error.code).toBe('E0005');
    await post(`${wxSim}/_sim/faults`, { refundOutcome: 'SUCCESS' });
    const retried = (await act('finance', a.id, { action: 'retry_money', version: failed.version, comment: '用户账户已恢复' })).body;
    expect(retried.money.outRefundNo).toBe(`${a.refundNo}-R1`);
    const done = await eventually(async () => {
      const x = await detail('finance', a.id);
      return x.state === 'done' && x;
    }, 'refund done after retry', 90_000);
    expect(done.money.state).toBe('success');
    expect((await simRefunds(wxSim, a.refundNo))[0].status).toBe('ABNORMAL');
    expect((await simRefunds(wxSim, `${a.refundNo}-R1`))[0].status).toBe('SUCCESS');
  } finally {
    await post(`${wxSim}/_sim/faults`, { mode: 'ok', refundOutcome: 'SUCCESS' });
  }
});

test('the patient withdraws through the patient channel before finance approved; the request ends and the patient is told', async () => {
  const bill = await wechatBill();
  const no = refundNo();
  expect((await his('applyRefund', { refundNo: no, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, refundAmt: '10.00', reason: '不想看了', source: 'patient', openId: 'o-patient-2' })).result).toBe('S0000');
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [no]);
  const d = await detail('doctor', row.id);
  await act('doctor', row.id, { action: 'approve', version: d.version });
  // A console user who did not apply may not withdraw it.
  expect((await act('doctor', row.id, { action: 'withdraw', version: d.version + 1 })).body.error.code).toBe('E0092');
  const w = await his('withdrawRefund', { refundNo: no, reason: '已自愈' });
  expect(w.result).toBe('S0000');
  expect(w.message.state).toBe('withdrawn');
  await eventually(async () => (await messagesTo('o-patient-2')).some((m) => m.text.includes('已撤回')), 'patient told of the withdrawal');
  expect((await his('withdrawRefund', { refundNo: no })).result).toBe('E0092');
  const missing = await his('getRefund', { refundNo: 'NOSUCH1' });
  expect(missing.result).toBe('E0090');
  expect(missing.message).toBe('refundNo: 退费申请 NOSUCH1 不存在');
});

test('a bill exchanged for paper: refused online (seed 000); at the window the money goes back and the reversal waits for the paper form', async () => {
  const bill = await wechatBill();
  const turned = await his('turnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏' });
  expect(turned.result).toBe('S0000');
  const base = { billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, refundAmt: '100.00', reason: '纸质票据退费' };
  const online = await his('applyRefund', { ...base, refundNo: refundNo(), source: 'patient', openId: 'o-paper' });
  expect(online.result).toBe('E0091');
  expect(online.message).toMatch(/^billNo: \S+ 已换开纸质票据 \S+，不允许线上退费，请持纸质票据到收费窗口办理$/);

  const no = refundNo();
  expect((await his('applyRefund', { ...base, refundNo: no })).result).toBe('S0000');
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [no]);
  await approveAll(row.id);
  // Money back; the bill's reversal waits for the paper form (the cashiers' to-do).
  const waiting = await eventually(async () => {
    const d = await detail('cashier', row.id);
    return d.money.state === 'success' && d.billStatus.state === 'waiting' && d;
  }, 'the reversal to wait for the paper form', 60_000);
  expect(waiting.state).toBe('reversing');
  expect(waiting.billStatus.reason).toMatch(/纸质票据/);
  const todos = (await consoleApi('cashier', '/api/todos')).body.items as Array<{ id: number; kind: string; bill: { id: number } }>;
  const todo = todos.find((t) => t.kind === 'paper_recovery' && t.bill.id === bill.id)!;
  expect(todo).toBeDefined();
  expect((await consoleApi('cashier', `/api/todos/${todo.id}/confirm`, { reason: '患者交回纸质票据' })).status).toBe(200);
  // Voiding the form wakes the refund at once (otherwise it would ask again only after 10 minutes).
  const done = await eventually(async () => {
    const d = await detail('cashier', row.id);
    return d.state === 'done' && d;
  }, 'refund done after the paper form came back', 120_000);
  // The WeChat part of 126.50: reversed, and the 26.50 paid in cash reissued.
  expect(done.billStatus.state).toBe('reissued');
  expect(done.billStatus.redBill).toBeTruthy();
  expect(done.billStatus.reissuedBill.totalAmt).toBe('26.50');
  expect((await simRefunds(wxSim, no))).toHaveLength(1);
});

test('a whole refund (no amount: everything the channel carries) reverses the bill and reissues nothing', async () => {
  const bill = await p.his.issueOutpatient({ payChannelDetail: [{ payChannelCode: '05', payChannelValue: '126.50' }] });
  const outTradeNo = `WXW${bill.billNo}`;
  await post(`${wxSim}/_sim/orders`, { out_trade_no: outTradeNo, total: 12650 });
  const no = refundNo();
  const r = await his('applyRefund', { refundNo: no, busNo: bill.busNo, channel: 'wechat', outTradeNo, reason: '全额退费' });
  expect(r.result).toBe('S0000');
  expect(r.message.amount).toBe('126.50');
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [no]);
  await approveAll(row.id);
  const done = await eventually(async () => {
    const d = await detail('finance', row.id);
    return d.state === 'done' && d;
  }, 'whole refund done', 90_000);
  expect(done.billStatus.state).toBe('reversed');
  expect(done.billStatus.reissuedBill).toBeNull();
  expect((await simRefunds(wxSim, no))[0].amount?.refund).toBe(12650);
  // Nothing is left to refund on that payment.
  const again = await his('applyRefund', { refundNo: refundNo(), busNo: bill.busNo, channel: 'wechat', outTradeNo, refundAmt: '0.01', reason: '再退' });
  expect(again.result).toBe('E0031');
  // Refused as reversed (已冲红), not as an unknown state ("状态为 reversed").
  expect(again.message).toBe(`billNo: ${bill.billBatchCode}-${bill.billNo} 已冲红，请对现行票据（如有重开票据）申请退费`);
});

test("already refunded is one figure: after a partial refund reissued the bill, the next refund's 已退 is what its refusal says", async () => {
  const bill = await wechatBill();
  const first = refundNo();
  expect((await his('applyRefund', { refundNo: first, billBatchCode: bill.billBatchCode, billNo: bill.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, refundAmt: '20.00', reason: '部分退费' })).result).toBe('S0000');
  const [a] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [first]);
  await approveAll(a.id);
  const done = await eventually(async () => {
    const d = await detail('finance', a.id);
    return d.state === 'done' && d;
  }, 'partial refund done', 90_000);
  expect(done.refundedBefore).toBe('0.00');
  const reissued = done.billStatus.reissuedBill as { id: number; billBatchCode: string; billNo: string };
  expect(reissued).toBeTruthy();
  const onReissued = { billBatchCode: reissued.billBatchCode, billNo: reissued.billNo, channel: 'wechat', outTradeNo: bill.outTradeNo, reason: '再退' };

  // The rules count the first refund through the reissue chain (WeChat paid 100.00 on the original bill).
  const over = await his('applyRefund', { ...onReissued, refundNo: refundNo(), refundAmt: '80.01' });
  expect(over.result).toBe('E0091');
  expect(over.message).toBe('refundAmt: 退费金额 80.01 元超过可退金额：微信支付实付 100.00 元，已退 20.00 元，尚可退 80.00 元');
  // A cash refund of the reissued bill: nothing was refunded in cash.
  const cash = await consoleApi('cashier', '/api/refunds', { billId: reissued.id, channel: 'cash', amount: '1.00', reason: '现金退费' });
  expect(cash.status).toBe(201);
  const cashDetail = await detail('finance', cash.body.id);
  expect(cashDetail.refundedBefore).toBe('0.00');
  const wd = await act('cashier', cash.body.id, { action: 'withdraw', version: cashDetail.version, comment: '改为微信退费' });
  expect(wd.body.state).toBe('withdrawn');

  // The console's 已退 of the next WeChat refund says the same 20.00.
  const second = await his('applyRefund', { ...onReissued, refundNo: refundNo(), refundAmt: '10.00' });
  expect(second.result).toBe('S0000');
  const [b] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from refund where refund_no = ?', [second.message.refundNo]);
  expect((await detail('finance', b.id)).refundedBefore).toBe('20.00');
});

test("the console's 401 and 403 carry their own codes (E0004 not signed in, E0005 no permission), not an appid's or a bill state's", async () => {
  const anonymous = await fetch(`${p.baseUrl}/api/refunds`);
  expect(anonymous.status).toBe(401);
  expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('E0004');
  const expired = await fetch(`${p.baseUrl}/api/refunds`, { headers: { cookie: `medbill_session=${'A'.repeat(43)}` } });
  expect(expired.status).toBe(401);
  expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('E0004');
  const wrongPassword = await post(`${p.baseUrl}/api/auth/login`, { username: 'doctor', password: 'nope' });
  expect(wrongPassword.status).toBe(401);
  expect(((await wrongPassword.json()) as { error: { code: string } }).error.code).toBe('E0004');
  // Only finance and admins see every refund.
  const all = await consoleApi('doctor', '/api/refunds?box=all');
  expect(all.status).toBe(403);
  expect(all.body.error.code).toBe('E0005');
  // A role the route requires (the approval chains are configured by finance and admins).
  const chains = await consoleApi('doctor', '/api/refund-chains/self', { steps: [] }, 'PUT');
  expect(chains.status).toBe(403);
  expect(chains.body.error.code).toBe('E0005');
});
