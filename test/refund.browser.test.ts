/**
 * Browser journey through refund approval (退费审批) on the real platform (Temporal, database,
 * worker, API) started by the harness, driven with playwright-core and the system's Chromium:
 * (a) a bill paid by WeChat Pay; the cashier asks for a partial refund of one charge line through
 *     POST /api/refunds; the doctor finds it under 退费审批 → 待办 (menu badge and tab count), opens
 *     it and approves with a comment; finance approves; the page follows the workflow by itself to
 *     已完成: both approvals on the timeline with their names and comments, the money back, the red
 *     bill and the reissued bill linked, and the original bill shows as reversed (冲红);
 * (b) two doctors open the same refund; the first approves; the second's approval is refused as
 *     already decided (409 E0093): the page says so and reloads, showing the step decided;
 * (c) a cashier starts a refund from the bill page (发起退费, per charge line) and withdraws it;
 * (d) an administrator adds a step to the 自费 chain (退费流程配置); finance sees it read-only;
 * (e) the decision dialogs: comment, transfer, return, extend, and reject (each form's required fields);
 * (f) a refund the channel refuses: finance turns it into a window refund, the cashier confirms it
 *     with the receipt number, and it completes.
 *
 * Needs Chromium at /usr/bin/chromium (Debian package `chromium`) or MEDBILL_CHROMIUM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type Platform, signIn as sessionOf } from './harness';
import { simUrl } from '../config/simulators';

const CHROMIUM = process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium';
const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const UI_TIMEOUT = 30_000;
/** After the last approval: the money goes back, then the bill is reversed and reissued. */
const FINISH_TIMEOUT = 120_000;

const sel = (name: string) => `[data-test="${name}"]`;

let platform: Platform | undefined;
let browser: Browser | undefined;
let wxSim: string;
const pageErrors: string[] = [];

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  // The refund's money is followed every 2 s (not the production minute), as in test/refund.test.ts.
  platform = await startPlatform({ MEDBILL_REFUND_POLL: '2s' });
  wxSim = simUrl(platform.cfg.sim.payment.wechatpayPort);
  // Refunds finish quickly at the simulated WeChat Pay.
  expect((await post(`${wxSim}/_sim/faults`, { refundDelayMs: 500, partialGapMs: 0 })).ok).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}, 180_000);

afterEach(() => {
  const seen = pageErrors.splice(0);
  expect(seen).toEqual([]);
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await platform?.stop();
}, 120_000);

const base = () => platform!.baseUrl.replace(/\/+$/, '');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The data-test element (inside `page`) whose whole text (trimmed) is `exact`. */
const withText = (page: Page, name: string, exact: string) => page.locator(sel(name), { hasText: new RegExp(`^\\s*${escapeRegExp(exact)}\\s*$`) });
const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();

/** A browser of its own for each user (own cookies), signed in through the login page. */
async function signIn(username: string, password: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  // Script errors of the console (Vue logs the errors it catches): each test ends with none.
  page.on('pageerror', (e) => pageErrors.push(`${username}: ${String(e)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${username}: ${m.text()}`);
  });
  await page.goto(`${base()}/console/login`);
  await page.fill(sel('login-username'), username);
  await page.fill(sel('login-password'), password);
  await page.click(sel('login-submit'));
  await page.waitForURL(/\/console\/home/);
  return page;
}

/** The API as a signed-in user (the session cookie), for what the test sets up without the browser. */
async function apiAs(username: string, password: string) {
  const token = await sessionOf(base(), username, password);
  return async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base()}${p}`, {
      method,
      headers: { cookie: token, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    return { status: res.status, data };
  };
}

/** A bill paid wholly by WeChat Pay (channel 05), its id, and its order (商户订单号) registered at the WeChat Pay simulator. */
async function wechatBill(): Promise<{ id: number; billBatchCode: string; billNo: string; outTradeNo: string }> {
  const issued = await platform!.his.issueOutpatient({ payChannelDetail: [{ payChannelCode: '05', payChannelValue: '126.50' }] });
  const outTradeNo = `WX${Date.now()}${randomUUID().slice(0, 8)}`;
  expect((await post(`${wxSim}/_sim/orders`, { out_trade_no: outTradeNo, total: 12650 })).ok).toBe(true);
  const [bill] = await platform!.orm.em
    .fork()
    .getConnection()
    .execute<Array<{ id: number }>>('select id from bill where bill_no = ? and bill_batch_code = ?', [issued.billNo, issued.billBatchCode]);
  return { id: Number(bill!.id), billBatchCode: issued.billBatchCode, billNo: issued.billNo, outTradeNo };
}

interface CreatedRefund {
  id: number;
  refundNo: string;
  state: string;
  amount: string;
  version: number;
}

/** The cashier asks for a refund of the 西药费 line (25.50 of 126.50) to go back through WeChat Pay. */
async function cashierRefund(bill: { id: number; outTradeNo: string }, extra: Record<string, unknown> = {}): Promise<CreatedRefund> {
  const cashier = await apiAs('cashier', 'cashier123');
  const res = await cashier('POST', '/api/refunds', {
    billId: bill.id,
    channel: 'wechat',
    outTradeNo: bill.outTradeNo,
    items: [{ sortNo: 3, amt: '25.50' }],
    reason: '西药未取，退药费（浏览器测试）',
    ...extra,
  });
  expect(res.status).toBe(201);
  const refund = res.data as unknown as CreatedRefund;
  expect(refund).toMatchObject({ state: 'approving', amount: '25.50' });
  return refund;
}

/** Opens the action's dialog on a refund page, writes the comment and sends it; answers the HTTP status. */
async function act(page: Page, refundId: number, action: string, comment: string): Promise<number> {
  await page.locator(sel(`refund-action-${action}`)).click();
  const dialog = page.locator(`${sel('refund-action-dialog')}[data-action="${action}"]`);
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator(sel('refund-dialog-comment')).fill(comment);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/refunds/${refundId}/actions`);
  await dialog.locator(sel('refund-dialog-confirm')).click();
  const answer = await answered;
  const sent = JSON.parse(answer.request().postData() ?? '{}') as Record<string, unknown>;
  expect(sent).toMatchObject({ action, comment });
  expect(typeof sent.version).toBe('number');
  return answer.status();
}

test('a doctor and finance approve a WeChat refund in the console; it is paid back and the bill reversed and reissued', async () => {
  if (!platform) throw new Error('platform did not start');
  const bill = await wechatBill();
  const refund = await cashierRefund(bill, { doctor: 'doctor' });

  // The doctor: the badge and 待办 count it; the row opens the refund.
  const doctor = await signIn('doctor', 'doctor123');
  await doctor.locator(sel('refund-badge')).waitFor();
  await doctor.click(sel('menu-refunds'));
  await doctor.waitForURL(/\/console\/refunds(\?|$)/);
  await doctor.locator(`${sel('refund-list')}[data-loading="false"][data-box="todo"]`).waitFor();
  expect(Number(await text(doctor, sel('refund-tab-count-todo')))).toBeGreaterThanOrEqual(1);
  const row = doctor.locator(`${sel('refund-list')} .el-table__row`, { has: withText(doctor, 'refund-row-no', refund.refundNo) });
  await row.waitFor();
  expect(((await row.locator(sel('refund-row-amount')).textContent()) ?? '').trim()).toBe('¥25.50');
  expect(((await row.locator(sel('refund-row-state')).textContent()) ?? '').trim()).toBe('审批中');
  expect(((await row.locator(sel('refund-row-bill')).textContent()) ?? '').trim()).toBe(`${bill.billBatchCode}-${bill.billNo}`);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await doctor.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-todo.png'), fullPage: true });
  // The refund number is a link to the request (it was dead: the click was prevented before the router saw it).
  await row.locator(sel('refund-row-no')).click();
  await doctor.waitForURL(new RegExp(`/console/refunds/${refund.id}$`));
  await withText(doctor, 'refund-state', '审批中').waitFor();
  expect(await text(doctor, sel('refund-amount'))).toBe('¥25.50');
  expect(await text(doctor, sel('refund-paid'))).toBe('¥126.50');
  expect(await text(doctor, sel('refund-channel'))).toBe('微信支付');
  expect(await doctor.locator(`${sel('refund-items')} .el-table__row`).count()).toBe(1);
  await doctor.locator(`${sel('refund-step-0')}[data-status="current"]`).waitFor();

  // 同意 with a comment: the step is decided and the button gone.
  const doctorComment = '已核实未取药，同意退费';
  expect(await act(doctor, refund.id, 'approve', doctorComment)).toBe(200);
  await doctor.locator('.el-message--success', { hasText: '已同意' }).waitFor();
  await doctor.locator(`${sel('refund-step-0')}[data-status="done"]`).waitFor();
  await doctor.locator(sel('refund-action-approve')).waitFor({ state: 'detached' });

  // Finance approves the last step; the page follows the workflow to 已完成 by itself.
  const finance = await signIn('finance', 'finance123');
  await finance.goto(`${base()}/console/refunds/${refund.id}`);
  await finance.locator(sel('refund-action-approve')).waitFor();
  const financeComment = '财务复核通过';
  expect(await act(finance, refund.id, 'approve', financeComment)).toBe(200);
  await withText(finance, 'refund-state', '已完成').waitFor({ timeout: FINISH_TIMEOUT });

  // Both approvals on the timeline, with who and what they said.
  const approvals = finance.locator(`${sel('refund-timeline-item')}[data-action="approve"]`);
  expect(await approvals.count()).toBe(2);
  expect(((await approvals.nth(0).locator(sel('refund-timeline-actor')).textContent()) ?? '').trim()).toBe('门诊医生 张伟');
  expect(((await approvals.nth(0).locator(sel('refund-timeline-comment')).textContent()) ?? '').trim()).toBe(doctorComment);
  expect(((await approvals.nth(1).locator(sel('refund-timeline-actor')).textContent()) ?? '').trim()).toBe('财务科 王会计');
  expect(((await approvals.nth(1).locator(sel('refund-timeline-comment')).textContent()) ?? '').trim()).toBe(financeComment);
  expect(await finance.locator(`${sel('refund-chain')} [data-status="current"]`).count()).toBe(0);

  // The money is back, the bill reversed by a red bill and reissued for the rest (126.50 − 25.50).
  expect(await text(finance, sel('refund-money-state'))).toBe('退款成功');
  expect(await text(finance, sel('refund-out-refund-no'))).not.toBe('-');
  expect(await text(finance, sel('refund-red-bill-link'))).toMatch(/^\d+-\d+$/);
  expect(await text(finance, sel('refund-reissued-bill-link'))).toMatch(/^\d+-\d+$/);
  expect(await text(finance, sel('refund-reissued-bill-amount'))).toBe('¥101.00');
  expect(await finance.locator(sel('refund-polling')).count()).toBe(0);
  expect(await finance.locator(sel('refund-action-approve')).count()).toBe(0);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await finance.evaluate('window.scrollTo(0, 0)');
  await finance.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-done.png'), fullPage: true });

  // The original bill: reversed (冲红), linking to the reissued bill.
  await finance.click(sel('refund-bill-link'));
  await finance.waitForURL(new RegExp(`/console/bills/${bill.id}$`));
  await withText(finance, 'bill-no', bill.billNo).waitFor();
  await withText(finance, 'bill-state', '已冲红').waitFor();
  await finance.locator(sel('scarlet-bill-link')).waitFor();
  await finance.locator(sel('reissued-bill-link')).waitFor();
  expect(await finance.locator(sel('create-refund-button')).count()).toBe(0);
  // The bill lists its refund, done, linking back to it.
  const listed = finance.locator(`${sel('bill-refunds')} .el-table__row`, { has: withText(finance, 'bill-refund-link', refund.refundNo) });
  expect(((await listed.locator(sel('bill-refund-state')).textContent()) ?? '').trim()).toBe('已完成');

  await doctor.context().close();
  await finance.context().close();
}, 300_000);

test('two doctors approve the same refund: the second is told it was decided and sees the step done', async () => {
  if (!platform) throw new Error('platform did not start');
  const bill = await wechatBill();
  const refund = await cashierRefund(bill);

  const first = await signIn('doctor', 'doctor123');
  const second = await signIn('doctor2', 'doctor123');
  for (const page of [first, second]) {
    await page.goto(`${base()}/console/refunds/${refund.id}`);
    await page.locator(`${sel('refund-step-0')}[data-status="current"]`).waitFor();
    await page.locator(sel('refund-action-approve')).waitFor();
  }

  expect(await act(first, refund.id, 'approve', '同意（第一位医生）')).toBe(200);
  await first.locator(`${sel('refund-step-0')}[data-status="done"]`).waitFor();

  // The second doctor's page still offers 同意 (it was read before); the server refuses it.
  expect(await act(second, refund.id, 'approve', '同意（第二位医生）')).toBe(409);
  const box = second.locator('.el-message-box', { hasText: '此步骤已被他人处理' });
  await box.waitFor();
  const message = ((await box.locator('.el-message-box__message').textContent()) ?? '').trim();
  expect(message).toContain('门诊医生 张伟');
  await second.locator(`${sel('refund-action-dialog')}[data-action="approve"]`).waitFor({ state: 'hidden' });
  // Reloaded behind the message: the step is decided by the first doctor.
  await second.locator(`${sel('refund-step-0')}[data-status="done"]`).waitFor();
  expect(await text(second, `${sel('refund-step-0')} ${sel('refund-step-decided-by')}`)).toContain('张伟');
  await box.getByRole('button', { name: '知道了' }).click();
  await box.waitFor({ state: 'hidden' });
  await second.locator(sel('refund-action-approve')).waitFor({ state: 'detached' });

  // One approval on the timeline: the second never happened.
  const approvals = second.locator(`${sel('refund-timeline-item')}[data-action="approve"]`);
  expect(await approvals.count()).toBe(1);
  expect(((await approvals.first().locator(sel('refund-timeline-comment')).textContent()) ?? '').trim()).toBe('同意（第一位医生）');

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await second.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-conflict.png'), fullPage: true });
  await first.context().close();
  await second.context().close();
}, 180_000);

test('a cashier starts a refund from the bill page through 发起退费, then withdraws it', async () => {
  if (!platform) throw new Error('platform did not start');
  const bill = await wechatBill();
  const cashier = await signIn('cashier', 'cashier123');
  await cashier.goto(`${base()}/console/bills/${bill.id}`);
  await withText(cashier, 'bill-no', bill.billNo).waitFor();
  await cashier.click(sel('create-refund-button'));
  const dialog = cashier.locator('.el-dialog', { has: cashier.locator(sel('create-refund-reason')) });
  await dialog.waitFor({ state: 'visible' });
  // The channel the bill was paid with is chosen; WeChat Pay needs the merchant order number, and a reason is required.
  await dialog.locator(sel('create-refund-channel'), { hasText: '微信支付' }).waitFor();
  await dialog.locator(sel('create-refund-confirm')).click();
  await dialog.locator('.el-form-item__error', { hasText: '请填写商户订单号' }).waitFor();
  await dialog.locator('.el-form-item__error', { hasText: '请填写退费原因' }).waitFor();
  expect(await text(cashier, sel('create-refund-total'))).toBe('¥126.50');

  // 按项目退费: the 挂号费 line in full.
  await dialog.locator(sel('create-refund-mode-items')).click();
  await dialog.locator(sel('create-refund-line-full-1')).click();
  await withText(cashier, 'create-refund-total', '¥10.00').waitFor();
  await dialog.locator(sel('create-refund-out-trade-no')).fill(bill.outTradeNo);
  const reason = '挂号后未就诊（浏览器测试）';
  await dialog.locator(sel('create-refund-reason')).fill(reason);
  await dialog.locator(sel('create-refund-doctor')).fill('doctor');
  // The messages go as the fields are filled in.
  await dialog.locator('.el-form-item__error', { hasText: '请填写商户订单号' }).waitFor({ state: 'detached' });
  await dialog.locator('.el-form-item__error', { hasText: '请填写退费原因' }).waitFor({ state: 'detached' });
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await cashier.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-create.png') });
  const created = cashier.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/refunds');
  await dialog.locator(sel('create-refund-confirm')).click();
  const answer = await created;
  expect(answer.status()).toBe(201);
  expect(JSON.parse(answer.request().postData() ?? '{}')).toEqual({
    billId: bill.id,
    channel: 'wechat',
    items: [{ sortNo: 1, amt: '10.00' }],
    reason,
    outTradeNo: bill.outTradeNo,
    doctor: 'doctor',
  });
  const refund = (await answer.json()) as CreatedRefund;

  // The new refund's page: waiting for the doctor; the applicant may withdraw it.
  await cashier.waitForURL(new RegExp(`/console/refunds/${refund.id}$`));
  await withText(cashier, 'refund-state', '审批中').waitFor();

  // A second refund of the bill meanwhile: the API's rule refuses it, and the cashier reads why in Chinese.
  await cashier.goto(`${base()}/console/bills/${bill.id}`);
  await withText(cashier, 'bill-no', bill.billNo).waitFor();
  await cashier.click(sel('create-refund-button'));
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator(sel('create-refund-out-trade-no')).fill(bill.outTradeNo);
  await dialog.locator(sel('create-refund-reason')).fill('重复申请（浏览器测试）');
  const refused = cashier.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/refunds');
  await dialog.locator(sel('create-refund-confirm')).click();
  expect((await refused).status()).toBe(409);
  const toast = cashier.locator('.el-message--error', { hasText: '有进行中的退费申请' });
  await toast.waitFor();
  expect(await toast.textContent()).toBe(`票据 ${bill.billBatchCode}-${bill.billNo} 有进行中的退费申请 ${refund.refundNo}（审批中），请先处理`);
  await dialog.locator(sel('create-refund-cancel')).click();
  await cashier.goto(`${base()}/console/refunds/${refund.id}`);
  await withText(cashier, 'refund-state', '审批中').waitFor();
  expect(await text(cashier, sel('refund-amount'))).toBe('¥10.00');
  expect(await text(cashier, sel('refund-reason'))).toBe(reason);
  expect(await text(cashier, sel('refund-current-step'))).toBe('门诊医生审核');
  expect(await cashier.locator(sel('refund-action-approve')).count()).toBe(0);
  expect(await act(cashier, refund.id, 'withdraw', '患者改为继续就诊')).toBe(200);
  await withText(cashier, 'refund-state', '已撤回').waitFor();
  await cashier.locator(`${sel('refund-timeline-item')}[data-action="withdraw"]`).waitFor();
  await cashier.locator(sel('refund-action-withdraw')).waitFor({ state: 'detached' });

  // 我的申请 lists it.
  await cashier.click(sel('menu-refunds'));
  await cashier.locator(`${sel('refund-list')}[data-loading="false"][data-box="todo"]`).waitFor();
  await cashier.click(sel('refund-tab-mine'));
  await cashier.locator(`${sel('refund-list')}[data-loading="false"][data-box="mine"]`).waitFor();
  expect(new URL(cashier.url()).searchParams.get('box')).toBe('mine');
  const row = cashier.locator(`${sel('refund-list')} .el-table__row`, { has: withText(cashier, 'refund-row-no', refund.refundNo) });
  expect(((await row.locator(sel('refund-row-state')).textContent()) ?? '').trim()).toBe('已撤回');
  // Search by the refund number and the state: kept in the URL.
  await cashier.fill(sel('refund-search-q'), refund.refundNo);
  await cashier.click(sel('refund-search-state'));
  await cashier.locator('.el-select-dropdown__item:visible', { hasText: '已撤回' }).click();
  await cashier.locator(sel('refund-search-state'), { hasText: '已撤回' }).waitFor();
  await cashier.click(sel('refund-search-submit'));
  await cashier.waitForURL((u) => u.searchParams.get('q') === refund.refundNo && u.searchParams.get('state') === 'withdrawn' && u.searchParams.get('box') === 'mine');
  await cashier.locator(`${sel('refund-list')}[data-loading="false"][data-box="mine"]`).waitFor();
  await withText(cashier, 'refund-total', '1').waitFor();

  // The bill's page lists the withdrawn refund; the link opens it.
  await cashier.goto(`${base()}/console/bills/${bill.id}`);
  const listed = cashier.locator(`${sel('bill-refunds')} .el-table__row`, { has: withText(cashier, 'bill-refund-link', refund.refundNo) });
  expect(((await listed.locator(sel('bill-refund-state')).textContent()) ?? '').trim()).toBe('已撤回');
  await listed.locator(sel('bill-refund-link')).click();
  await cashier.waitForURL(new RegExp(`/console/refunds/${refund.id}$`));
  await withText(cashier, 'refund-state', '已撤回').waitFor();
  await cashier.context().close();
}, 180_000);

test('an administrator adds a step to the 自费 chain in 退费流程配置; a role without refund-chain:edit reads it without editing', async () => {
  if (!platform) throw new Error('platform did not start');
  const admin = await signIn('admin', 'admin123');
  await admin.click(sel('menu-refund-chains'));
  await admin.waitForURL(/\/console\/refund-chains$/);
  const rows = admin.locator(`${sel('chain-steps')} .el-table__row`);
  await rows.first().waitFor();
  expect(await rows.count()).toBe(2);
  expect(await admin.inputValue(sel('chain-step-key-0'))).toBe('doctor');
  expect(await admin.inputValue(sel('chain-step-key-1'))).toBe('finance');

  // A new step: required fields first, then 科室复核 moved between the doctor and finance.
  await admin.click(sel('chain-add-step'));
  expect(await rows.count()).toBe(3);
  await admin.locator(sel('chain-dirty')).waitFor();
  await admin.click(sel('chain-save'));
  await admin.locator('.el-form-item__error', { hasText: '请填写环节名称' }).waitFor();
  await admin.locator('.el-form-item__error', { hasText: '请选择审批角色' }).waitFor();
  await admin.fill(sel('chain-step-name-2'), '科室复核');
  await admin.fill(sel('chain-step-key-2'), 'doctor');
  await admin.locator('.el-form-item__error', { hasText: '环节标识不能重复' }).waitFor();
  await admin.fill(sel('chain-step-key-2'), 'department');
  await admin.click(sel('chain-step-roles-2'));
  await admin.locator('.el-select-dropdown__item:visible', { hasText: '科室' }).click();
  await admin.keyboard.press('Escape');
  await admin.click(sel('chain-step-up-2'));
  expect(await admin.inputValue(sel('chain-step-key-1'))).toBe('department');
  await admin.click(sel('chain-save'));
  const box = admin.locator('.el-message-box', { hasText: '保存后仅对之后发起的退费生效' });
  await box.waitFor();
  const saved = admin.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/refund-chains/self');
  await box.getByRole('button', { name: '保存' }).click();
  const answer = await saved;
  expect(answer.status()).toBe(200);
  const sent = JSON.parse(answer.request().postData() ?? '{}') as { steps: Array<{ key: string; roles: string[] }> };
  expect(sent.steps.map((s) => s.key)).toEqual(['doctor', 'department', 'finance']);
  expect(sent.steps[1]!.roles).toEqual(['department']);
  await admin.locator('.el-message--success', { hasText: '已保存' }).waitFor();
  await admin.locator(sel('chain-dirty')).waitFor({ state: 'detached' });
  expect(await text(admin, sel('chain-meta'))).toContain('admin');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await admin.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-chains.png'), fullPage: true });
  await admin.context().close();

  // A role that may open 退费流程配置 but not edit it (made by the security administrator and given
  // to the department user): the same three steps, read-only.
  const sec = await sessionOf(base(), 'secadmin', 'Secadmin#2026');
  const api = (method: string, url: string, body: unknown) => fetch(`${base()}${url}`, { method, headers: { cookie: sec, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect((await api('POST', '/api/system/roles', { code: 'chainviewer', name: '流程查看', kind: 'business', permissions: ['menu:refund-chains'] })).status).toBe(201);
  const users = (await (await fetch(`${base()}/api/system/users?q=dept`, { headers: { cookie: sec } })).json()) as { rows: Array<{ id: number; username: string }> };
  const dept = users.rows.find((u) => u.username === 'dept')!;
  expect((await api('PUT', `/api/system/users/${dept.id}`, { roles: ['department', 'chainviewer'] })).status).toBe(200);
  const finance = await signIn('dept', 'dept123');
  await finance.goto(`${base()}/console/refund-chains`);
  await finance.locator(sel('chain-readonly')).waitFor();
  await finance.locator(`${sel('chain-steps')} .el-table__row`).nth(2).waitFor();
  expect(await finance.inputValue(sel('chain-step-key-1'))).toBe('department');
  expect(await finance.locator(sel('chain-step-key-1')).isDisabled()).toBe(true);
  expect(await finance.locator(sel('chain-save')).count()).toBe(0);
  await finance.context().close();
}, 180_000);

/** Opens an action's dialog and sends it as it is, expecting the form to refuse it with `message`. */
async function refusedByForm(page: Page, action: string, message: string): Promise<void> {
  await page.locator(sel(`refund-action-${action}`)).click();
  const dialog = page.locator(`${sel('refund-action-dialog')}[data-action="${action}"]`);
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator(sel('refund-dialog-confirm')).click();
  await dialog.locator('.el-form-item__error', { hasText: message }).waitFor();
  await dialog.locator(sel('refund-dialog-cancel')).click();
  await dialog.waitFor({ state: 'hidden' });
}

test('the decision dialogs: comment, transfer to another doctor, return to the doctor, extend, and a reject that needs a reason', async () => {
  if (!platform) throw new Error('platform did not start');
  const bill = await wechatBill();
  const refund = await cashierRefund(bill);
  const page = (p: Page) => p.goto(`${base()}/console/refunds/${refund.id}`);

  // The doctor comments (the text is required), then hands the step to doctor2.
  const doctor = await signIn('doctor', 'doctor123');
  await page(doctor);
  await doctor.locator(sel('refund-action-approve')).waitFor();
  await refusedByForm(doctor, 'comment', '请填写评论内容');
  expect(await act(doctor, refund.id, 'comment', '请患者携带药品到药房核对')).toBe(200);
  await doctor.locator(`${sel('refund-timeline-item')}[data-action="comment"]`).waitFor();

  await doctor.locator(sel('refund-action-transfer')).click();
  const transfer = doctor.locator(`${sel('refund-action-dialog')}[data-action="transfer"]`);
  await transfer.waitFor({ state: 'visible' });
  await transfer.locator(sel('refund-dialog-confirm')).click();
  await transfer.locator('.el-form-item__error', { hasText: '请选择转办给谁' }).waitFor();
  await transfer.locator(sel('refund-dialog-to')).click();
  await doctor.locator('.el-select-dropdown__item:visible', { hasText: '(doctor2)' }).or(doctor.locator('.el-select-dropdown__item:visible', { hasText: '（doctor2）' })).click();
  await transfer.locator(sel('refund-dialog-comment')).fill('本人门诊繁忙，请刘医生审核');
  const transferred = doctor.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/refunds/${refund.id}/actions`);
  await transfer.locator(sel('refund-dialog-confirm')).click();
  expect((await transferred).status()).toBe(200);
  expect(JSON.parse((await transferred).request().postData() ?? '{}')).toMatchObject({ action: 'transfer', to: 'doctor2' });
  await withText(doctor, 'refund-step-assignee', '处理人：门诊医生 刘洋（doctor2）').waitFor();
  await doctor.locator(sel('refund-action-approve')).waitFor({ state: 'detached' });
  const transferEntry = doctor.locator(`${sel('refund-timeline-item')}[data-action="transfer"]`);
  expect((await transferEntry.textContent()) ?? '').toContain('转办给：');

  // doctor2 approves; the next step's decider sends it back to the doctor (a reason is required) and extends the deadline.
  const doctor2 = await signIn('doctor2', 'doctor123');
  await page(doctor2);
  expect(await act(doctor2, refund.id, 'approve', '同意')).toBe(200);
  await doctor2.locator(`${sel('refund-step-0')}[data-status="done"]`).waitFor();

  // Step 1 is finance's, or the department's when the chain test above added 科室复核 before it.
  const step1 = ((await (await apiAs('finance', 'finance123'))('GET', `/api/refunds/${refund.id}`)).data as { currentStep: { key: string } }).currentStep.key;
  const fin = step1 === 'department' ? await signIn('dept', 'dept123') : await signIn('finance', 'finance123');
  await page(fin);
  await fin.locator(`${sel('refund-step-1')}[data-status="current"]`).waitFor();
  await refusedByForm(fin, 'return', '请填写退回说明');
  await fin.locator(sel('refund-action-return')).click();
  const ret = fin.locator(`${sel('refund-action-dialog')}[data-action="return"]`);
  await ret.waitFor({ state: 'visible' });
  await ret.locator(sel('refund-dialog-to-step'), { hasText: '门诊医生审核' }).waitFor(); // the only earlier step, chosen
  await ret.locator(sel('refund-dialog-comment')).fill('请补充未取药证明');
  const returned = fin.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/refunds/${refund.id}/actions`);
  await ret.locator(sel('refund-dialog-confirm')).click();
  expect((await returned).status()).toBe(200);
  expect(JSON.parse((await returned).request().postData() ?? '{}')).toMatchObject({ action: 'return', toStep: 0, comment: '请补充未取药证明' });
  await fin.locator(`${sel('refund-step-0')}[data-status="current"]`).waitFor();
  expect((await fin.locator(`${sel('refund-timeline-item')}[data-action="return"]`).textContent()) ?? '').toContain('退回到：门诊医生审核');

  // Finance extends the deadline of whatever step a request is at (the department may not extend the doctor's step).
  const office = step1 === 'finance' ? fin : await signIn('finance', 'finance123');
  if (office !== fin) await page(office);
  await office.locator(sel('refund-action-extend')).click();
  const extend = office.locator(`${sel('refund-action-dialog')}[data-action="extend"]`);
  await extend.waitFor({ state: 'visible' });
  await extend.locator(`${sel('refund-dialog-hours')} input`).fill('48');
  const extended = office.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/refunds/${refund.id}/actions`);
  await extend.locator(sel('refund-dialog-confirm')).click();
  expect((await extended).status()).toBe(200);
  expect(JSON.parse((await extended).request().postData() ?? '{}')).toMatchObject({ action: 'extend', hours: 48 });
  expect((await office.locator(`${sel('refund-timeline-item')}[data-action="extend"]`).textContent()) ?? '').toContain('延期 48 小时');

  // The doctor rejects: the reason is required, and is shown to everyone as the refund's end.
  await page(doctor);
  await doctor.locator(sel('refund-action-reject')).waitFor();
  await refusedByForm(doctor, 'reject', '请填写驳回原因');
  expect(await act(doctor, refund.id, 'reject', '药品已开封，不予退费')).toBe(200);
  await withText(doctor, 'refund-state', '已驳回').waitFor();
  expect(await text(doctor, sel('refund-reject-reason'))).toContain('药品已开封，不予退费');
  expect(await doctor.locator(`${sel('refund-step-0')}[data-status="done"] ${sel('refund-step-status')}`).textContent()).toContain('已驳回');
  expect(await doctor.locator(sel('refund-action-approve')).count()).toBe(0);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await doctor.screenshot({ path: path.join(RESULTS_DIR, 'console-refund-rejected.png'), fullPage: true });
  for (const p of new Set([doctor, doctor2, fin, office])) await p.context().close();
}, 240_000);

test('a WeChat refund refused by the channel goes to the window: finance switches it, the cashier confirms with a receipt, and it completes', async () => {
  if (!platform) throw new Error('platform did not start');
  // No order at the WeChat Pay simulator for this number: the channel refuses the refund.
  const bill = { ...(await wechatBill()), outTradeNo: `WX-UNKNOWN-${randomUUID().slice(0, 8)}` };
  const refund = await cashierRefund(bill);
  // Each step by its own person (four eyes: one person decides one step of a request).
  const deciders: Record<string, Awaited<ReturnType<typeof apiAs>>> = {
    doctor: await apiAs('doctor', 'doctor123'),
    department: await apiAs('dept', 'dept123'),
    finance: await apiAs('finance', 'finance123'),
  };
  for (;;) {
    const d = (await deciders.finance('GET', `/api/refunds/${refund.id}`)).data as { state: string; version: number; currentStep?: { key: string } };
    if (d.state !== 'approving') break;
    const by = deciders[d.currentStep!.key];
    expect((await by('POST', `/api/refunds/${refund.id}/actions`, { action: 'approve', version: d.version, comment: '同意' })).status).toBe(200);
  }

  const finance = await signIn('finance', 'finance123');
  await finance.goto(`${base()}/console/refunds/${refund.id}`);
  await withText(finance, 'refund-state', '退款失败').waitFor({ timeout: FINISH_TIMEOUT });
  expect(await text(finance, sel('refund-money-state'))).toBe('退款失败');
  expect(await text(finance, sel('refund-fail-reason'))).not.toBe('');
  await finance.locator(sel('refund-action-retry_money')).waitFor();
  expect(await act(finance, refund.id, 'offline', '原支付订单无法退款，改为窗口退现金')).toBe(200);
  await withText(finance, 'refund-state', '待窗口退款').waitFor();
  // Finance sees every refund under 全部.
  await finance.click(sel('menu-refunds'));
  await finance.click(sel('refund-tab-all'));
  await finance.locator(`${sel('refund-list')}[data-loading="false"][data-box="all"]`).waitFor();
  const inAll = finance.locator(`${sel('refund-list')} .el-table__row`, { has: withText(finance, 'refund-row-no', refund.refundNo) });
  expect(((await inAll.locator(sel('refund-row-state')).textContent()) ?? '').trim()).toBe('待窗口退款');
  expect(Number(await text(finance, sel('refund-tab-count-all')))).toBeGreaterThanOrEqual(1);
  // The bill link opens the bill's page.
  await inAll.locator(sel('refund-row-bill')).click();
  await finance.waitForURL(/\/console\/bills\/\d+/);
  await finance.goBack();
  await finance.locator(`${sel('refund-list')}[data-loading="false"][data-box="all"]`).waitFor();

  // The cashier of the bill's point: a to-do; 确认已退款 needs the receipt number.
  const cashier = await signIn('cashier', 'cashier123');
  await cashier.locator(sel('refund-badge')).waitFor();
  await cashier.goto(`${base()}/console/refunds/${refund.id}`);
  await refusedByForm(cashier, 'cashier_confirm', '请填写收据号或银联参考号');
  await cashier.locator(sel('refund-action-cashier_confirm')).click();
  const confirm = cashier.locator(`${sel('refund-action-dialog')}[data-action="cashier_confirm"]`);
  await confirm.waitFor({ state: 'visible' });
  await confirm.locator(sel('refund-dialog-voucher')).fill('SJ-2026-0001');
  const confirmed = cashier.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/refunds/${refund.id}/actions`);
  await confirm.locator(sel('refund-dialog-confirm')).click();
  expect((await confirmed).status()).toBe(200);
  expect(JSON.parse((await confirmed).request().postData() ?? '{}')).toMatchObject({ action: 'cashier_confirm', voucherNo: 'SJ-2026-0001' });
  await withText(cashier, 'refund-state', '已完成').waitFor({ timeout: FINISH_TIMEOUT });
  expect(await text(cashier, sel('refund-money-state'))).toBe('退款成功');
  expect(await text(cashier, sel('refund-voucher'))).toBe('SJ-2026-0001');
  await cashier.locator(sel('refund-reissued-bill-link')).waitFor();
  for (const p of [finance, cashier]) await p.context().close();
}, 300_000);
