/**
 * Browser journey through the bill lifecycle screens of the console, on the real platform
 * (Temporal, database, worker, API) started by the harness, driven with playwright-core and the
 * system's Chromium:
 * (a) a cashier opens a bill issued through the HIS, refunds one charge line through the 部分退费
 *     dialog (a refund channel that paid too little is refused on the channel field first); the
 *     original shows as reversed with a link to the new bill, its timeline reads 开具, 申请部分退费重开,
 *     冲红, 重开, and the new bill links back to the original;
 * (b) a reissue blocked for lack of numbers at ZY01 shows on finance's 待办事项 page and in the menu
 *     badge; finance adds numbers (a stock-in, straight into the database), clicks 重试重开, and the
 *     item moves to 已处理 while the bill gets its new bill.
 *
 * Needs Chromium at /usr/bin/chromium (Debian package `chromium`) or MEDBILL_CHROMIUM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { StockSegment } from '../orm/entities';
import { busDateTime } from '../sim/his/client';
import { BACKGROUND_EVENTS, eventually, startPlatform, type Platform } from './harness';

const CHROMIUM = process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium';
const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const UI_TIMEOUT = 30_000;

const sel = (name: string) => `[data-test="${name}"]`;

let platform: Platform | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  platform = await startPlatform();
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
  context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  page = await context.newPage();
  // Script errors of the console (Vue logs the errors it catches): each test ends with none.
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
  });
}, 120_000);

afterEach(() => {
  const seen = pageErrors.splice(0);
  expect(seen).toEqual([]);
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await platform?.stop();
}, 120_000);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The data-test element whose whole text (trimmed) is `exact`. */
const withText = (name: string, exact: string) => page.locator(sel(name), { hasText: new RegExp(`^\\s*${escapeRegExp(exact)}\\s*$`) });
const text = async (selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();

async function signIn(username: string, password: string): Promise<string> {
  const base = platform!.baseUrl.replace(/\/+$/, '');
  await context!.clearCookies();
  await page.goto(`${base}/console/login`);
  await page.fill(sel('login-username'), username);
  await page.fill(sel('login-password'), password);
  await page.click(sel('login-submit'));
  await page.waitForURL(/\/console\/home/);
  return text(sel('user-name'));
}

async function billId(busNo: string): Promise<number> {
  const base = platform!.baseUrl.replace(/\/+$/, '');
  const found = await context!.request.get(`${base}/api/bills?busNo=${encodeURIComponent(busNo)}`);
  expect(found.status()).toBe(200);
  const items = ((await found.json()) as { items: Array<{ id: number }> }).items;
  expect(items).toHaveLength(1);
  return Number(items[0]!.id);
}

/** The labels on the bill's timeline, without the notices (they arrive in the background at their own pace). */
async function timelineLabels(): Promise<string[]> {
  const steps = page.locator(`${sel('bill-timeline')} ${sel('timeline-item')}`);
  const out: string[] = [];
  for (let i = 0; i < (await steps.count()); i++) {
    const step = steps.nth(i);
    const type = await step.getAttribute('data-type');
    if (BACKGROUND_EVENTS.includes(type ?? '')) continue;
    out.push(((await step.locator(sel('timeline-label')).textContent()) ?? '').trim());
  }
  return out;
}

/** A fresh number segment at a point (what a stock-in does), as in test/partial-refund.test.ts. */
async function addSegment(placeCode: string, size: number): Promise<StockSegment> {
  const em = platform!.orm.em.fork();
  const last = await em.findOneOrFail(StockSegment, { place: { code: placeCode }, billKind: { code: '0401' } }, { orderBy: { endNo: 'desc' } });
  await em.getConnection().execute('update stock_segment set next_no = end_no + 1 where place_id = ? and bill_kind_id = ?', [last.place.id, last.billKind.id], 'run');
  await em.getConnection().execute(
    `insert into stock_segment (hospital_id, place_id, bill_kind_id, bill_batch_code, start_no, end_no, next_no, status, created_at) values (?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
    [last.hospital.id, last.place.id, last.billKind.id, last.billBatchCode, last.endNo + 1, last.endNo + size, last.endNo + 1, em.getPlatform().processDateProperty(new Date())],
    'run',
  );
  return em.fork().findOneOrFail(StockSegment, { place: { code: placeCode }, billKind: { code: '0401' }, startNo: last.endNo + 1 });
}

test('a cashier refunds one charge line of a bill through the 部分退费 dialog and follows the new bill', async () => {
  if (!platform) throw new Error('platform did not start');
  const base = platform.baseUrl.replace(/\/+$/, '');

  const operator = await signIn('cashier', 'cashier123');
  expect(operator).toBe('门诊收费员 李敏');
  const issued = await platform.his.issueOutpatient();
  const originalId = await billId(issued.busNo);
  const originalLabel = `${issued.billBatchCode}-${issued.billNo}`;

  await page.goto(`${base}/console/bills/${originalId}`);
  await withText('bill-no', issued.billNo).waitFor();
  expect(await text(sel('bill-state'))).toBe('正常');
  expect(await text(sel('bill-amount'))).toBe('¥126.50');
  expect(await page.locator(sel('reissue-info')).count()).toBe(0);
  // Before anything happened the timeline starts with the issue.
  await page.locator(`${sel('timeline-item')}[data-type="issued"]`).waitFor();
  expect((await timelineLabels())[0]).toBe('开具');
  // Who issued it, by display name (domain/actors.ts): the HIS app by its name, never the raw key `HIS:{appid}`.
  const issuer = await text(`${sel('timeline-item')}[data-type="issued"] ${sel('timeline-actor')}`);
  expect(issuer).toBe('HIS 接口（HIS（演示））');
  for (const a of await page.locator(`${sel('bill-timeline')} ${sel('timeline-actor')}`).allTextContents()) expect(a).not.toMatch(/HIS:|^system/);

  // The dialog: nothing filled in → it asks for a line and a reason, and sends nothing.
  await page.locator(sel('partial-refund-button')).waitFor({ state: 'visible' });
  await page.click(sel('partial-refund-button'));
  const dialog = page.locator('.el-dialog', { has: page.locator(sel('partial-refund-reason')) });
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.locator(sel('partial-refund-lines')).locator('.el-table__row').count()).toBe(3);
  await page.click(sel('partial-refund-confirm'));
  await dialog.locator('.el-form-item__error', { hasText: '请至少填写一项的退费金额' }).waitFor();
  await dialog.locator('.el-form-item__error', { hasText: '请填写退费原因' }).waitFor();

  // More than the line: refused on that line. The remaining amount follows the entries exactly.
  await page.fill(sel('refund-line-amt-3'), '30');
  await dialog.locator('.el-form-item__error', { hasText: '不能超过 ¥25.50' }).waitFor();
  await page.fill(sel('refund-line-amt-3'), '0.1');
  await withText('refund-remaining', '¥126.40').waitFor();
  await page.click(sel('refund-line-full-2'));
  await withText('refund-total', '¥91.10').waitFor();
  expect(await text(sel('refund-remaining'))).toBe('¥35.40');

  // The API refuses a channel that paid less than the refund: the message shows on the channel field.
  await page.fill(sel('refund-line-amt-3'), '');
  // The choice must have landed before the request goes (a click during the dropdown's opening
  // animation can miss, most on a loaded machine): choose again, a bounded number of times, until it shows.
  const chosen = page.locator(sel('refund-channel'), { hasText: '¥26.50' });
  for (let i = 0; i < 3 && !(await chosen.isVisible()); i++) {
    await page.click(sel('refund-channel'));
    await page.locator('.el-select-dropdown__item:visible', { hasText: '¥26.50' }).click();
  }
  await chosen.waitFor();
  const reason = '部分药品退费（控制台测试）';
  await page.fill(sel('partial-refund-reason'), reason);
  const refused = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/bills/${originalId}/partial-refund`);
  await page.click(sel('partial-refund-confirm'));
  const refusedAnswer = await refused;
  expect(refusedAnswer.status()).toBe(400);
  expect(((await refusedAnswer.json()) as { error: { field: string } }).error.field).toBe('refundChannelCode');
  const channelItem = dialog.locator('.el-form-item', { has: page.locator(sel('refund-channel')) });
  await channelItem.locator('.el-form-item__error', { hasText: /支付渠道 02/ }).waitFor();
  expect(await dialog.isVisible()).toBe(true);
  expect(await text(sel('bill-state'))).toBe('正常');

  // The 西药费 line in full instead (its 全额 shortcut): the red bill and the new bill for the rest.
  await page.fill(sel('refund-line-amt-2'), '');
  await page.click(sel('refund-line-full-3'));
  expect(await page.inputValue(sel('refund-line-amt-3'))).toBe('25.50');
  await withText('refund-remaining', '¥101.00').waitFor();
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/bills/${originalId}/partial-refund`);
  await page.click(sel('partial-refund-confirm'));
  const answer = await posted;
  expect(answer.status()).toBe(200);
  expect(JSON.parse(answer.request().postData() ?? '{}')).toEqual({ reason, refundDetail: [{ sortNo: 3, amt: '25.50' }], refundChannelCode: '02' });
  const res = (await answer.json()) as {
    eScarletBillBatchCode: string;
    eScarletBillNo: string;
    reissueState: string;
    reissue: { billBatchCode: string; billNo: string; totalAmt: string };
  };
  expect(res).toMatchObject({ reissueState: 'issued', reissue: { totalAmt: '101.00' } });
  const redLabel = `${res.eScarletBillBatchCode}-${res.eScarletBillNo}`;
  const newLabel = `${res.reissue.billBatchCode}-${res.reissue.billNo}`;
  await page.locator('.el-message--success', { hasText: `已部分退费，红字票据 ${redLabel}，新票据 ${newLabel}` }).waitFor();
  await dialog.waitFor({ state: 'hidden' });

  // The original, reloaded: reversed by its red bill, replaced by the new bill, with the whole story.
  await withText('bill-state', '已冲红').waitFor();
  expect(await page.locator(sel('partial-refund-button')).count()).toBe(0);
  expect(await text(sel('write-off-reason-text'))).toBe(reason);
  expect(await text(sel('scarlet-bill-link'))).toBe(redLabel);
  expect(await text(sel('reissued-bill-link'))).toBe(newLabel);
  expect(await text(sel('reissued-bill-amount'))).toBe('¥101.00');
  expect((await page.locator(sel('reissue-new')).textContent()) ?? '').toContain('已部分退费重开为');
  await eventually(async () => JSON.stringify(await timelineLabels()) === JSON.stringify(['开具', '申请部分退费重开', '冲红', '重开']), 'the timeline of the partial refund', 30_000);
  const requested = page.locator(`${sel('timeline-item')}[data-type="reissue_requested"]`);
  expect(await text(`${sel('timeline-item')}[data-type="reissue_requested"] ${sel('timeline-actor')}`)).toBe(operator);
  expect(await requested.locator(sel('timeline-workflow-link')).getAttribute('href')).toContain(encodeURIComponent(`writeoff-${originalLabel}`));
  expect(await page.locator(`${sel('timeline-item')}[data-type="reversed"] .el-timeline-item__node--danger`).count()).toBe(1);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-partial-refund.png'), fullPage: true });

  // The new bill: normal, for the rest, linking back to the bill it replaced.
  await page.click(sel('reissued-bill-link'));
  await withText('bill-no', res.reissue.billNo).waitFor();
  expect(await text(sel('bill-state'))).toBe('正常');
  expect(await text(sel('bill-amount'))).toBe('¥101.00');
  expect((await page.locator(sel('reissue-origin')).textContent()) ?? '').toContain('部分退费重开自');
  expect(await text(sel('origin-bill-link'))).toBe(originalLabel);
  expect(await page.locator(sel('origin-bill-link')).getAttribute('href')).toBe(`/console/bills/${originalId}`);
  expect(await page.locator(sel('reissued-bill-link')).count()).toBe(0);
  await page.locator(sel('partial-refund-button')).waitFor({ state: 'visible' }); // it can be refunded again
}, 180_000);

test('finance retries a reissue blocked for lack of numbers from the 待办事项 page', async () => {
  if (!platform) throw new Error('platform did not start');
  const base = platform.baseUrl.replace(/\/+$/, '');

  // Two numbers left at ZY01: the original takes one, the red bill the other, the reissue finds none.
  const seg = await addSegment('ZY01', 2);
  const original = await platform.his.issueOutpatient({ placeCode: 'ZY01' });
  const r = await platform.hisClient.callWithRetry('partialRefundEBill', {
    billBatchCode: original.billBatchCode,
    billNo: original.billNo,
    reason: '部分药品退费',
    operator: '李敏',
    busDateTime: busDateTime(),
    placeCode: 'ZY01',
    refundAmt: '6.50',
  });
  expect(r.result).toBe('S0000');
  expect(r.message.reissueState).toBe('blocked');
  const label = `${original.billBatchCode}-${original.billNo}`;

  // Finance signs in: the menu shows the open to-do count.
  await signIn('finance', 'finance123');
  const counted = await context!.request.get(`${base}/api/todos/count`);
  const count = (await counted.json()) as { open: number };
  expect(count.open).toBeGreaterThanOrEqual(1);
  await withText('todo-badge', String(count.open)).waitFor();

  // The to-do page, through the menu: the blocked reissue, with what finance may do about it.
  await page.click(sel('menu-todos'));
  await page.waitForURL(/\/console\/todos(\?|$)/);
  await page.locator(`${sel('todo-list')}[data-loading="false"][data-tab="open"]`).waitFor();
  const row = page.locator(`${sel('todo-list')} .el-table__row`, { has: withText('todo-bill-link', label) });
  await row.waitFor();
  expect(((await row.locator(sel('todo-kind')).textContent()) ?? '').trim()).toBe('部分退费重开受阻');
  expect(((await row.locator(sel('todo-detail')).textContent()) ?? '').trim()).toContain('120.00');
  expect(await row.locator(sel('todo-workflow-link')).getAttribute('href')).toContain(encodeURIComponent(`writeoff-${label}`));
  await row.locator(sel('todo-retry')).waitFor({ state: 'visible' });
  await row.locator(sel('todo-abandon')).waitFor({ state: 'visible' });
  expect(await row.locator(sel('todo-confirm')).count()).toBe(0);
  expect(await row.locator(sel('todo-bill-link')).getAttribute('href')).toMatch(/^\/console\/bills\/\d+$/);

  // Finance adds numbers at ZY01 (a stock-in) and retries: the item leaves the open list.
  await addSegment('ZY01', 100);
  const retried = page.waitForResponse((x) => x.request().method() === 'POST' && /^\/api\/todos\/\d+\/retry$/.test(new URL(x.url()).pathname));
  await row.locator(sel('todo-retry')).click();
  expect((await retried).status()).toBe(200);
  await page.locator('.el-message--success', { hasText: '已发起重试' }).waitFor();
  await row.waitFor({ state: 'detached', timeout: 60_000 });
  if (count.open === 1) await page.locator(sel('todo-badge')).waitFor({ state: 'detached' });
  else await withText('todo-badge', String(count.open - 1)).waitFor();

  // 已处理: the item, done, by the workflow.
  await page.click(sel('todo-tab-closed'));
  await page.locator(`${sel('todo-list')}[data-loading="false"][data-tab="closed"]`).waitFor();
  expect(new URL(page.url()).searchParams.get('state')).toBe('closed');
  const closedRow = page.locator(`${sel('todo-list')} .el-table__row`, { has: withText('todo-bill-link', label) });
  await closedRow.waitFor();
  expect(((await closedRow.locator(sel('todo-state')).textContent()) ?? '').trim()).toBe('已完成');
  expect(await closedRow.locator(sel('todo-retry')).count()).toBe(0);

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-todos.png'), fullPage: true });

  // The bill: reissued with the next number at ZY01, and its timeline tells the blocked attempt.
  await closedRow.locator(sel('todo-bill-link')).click();
  await withText('bill-no', original.billNo).waitFor();
  const reissued = page.locator(sel('reissued-bill-link'));
  await reissued.waitFor();
  expect(((await reissued.textContent()) ?? '').trim()).toBe(`${original.billBatchCode}-${String(seg.endNo + 1).padStart(original.billNo.length, '0')}`);
  await page.locator(`${sel('timeline-item')}[data-type="reissued"]`).waitFor();
  const labels = await timelineLabels();
  expect(labels.slice(0, 3)).toEqual(['开具', '申请部分退费重开', '冲红']);
  expect(labels[labels.length - 1]).toBe('重开');
  expect(await page.locator(`${sel('timeline-item')}[data-type="reissue_blocked"]`).count()).toBe(1);
}, 180_000);
