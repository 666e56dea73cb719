/**
 * Browser journey through the web console, on the real platform (Temporal, database, worker, API)
 * started by the harness, driven with playwright-core and the system's Chromium:
 * a bill issued through the HIS interface is found by its busNo, its detail page shows it as
 * normal and correctly signed, links to its Temporal workflow, serves its PDF, and signing out
 * returns to the login page. Then an administrator reverses (冲红) a bill from its detail page: the
 * original shows as reversed with its reversal details and a link to the red bill, whose page shows
 * the negative amount and links back to the original; the list marks the red bill.
 *
 * Needs Chromium at /usr/bin/chromium (Debian package `chromium`) or MEDBILL_CHROMIUM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPlatform, type Platform } from './harness';

const CHROMIUM = process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium';
const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const SCREENSHOT = path.join(RESULTS_DIR, 'console-bill-detail.png');
const SCREENSHOT_REVERSED = path.join(RESULTS_DIR, 'console-bill-reversed.png');
const SCREENSHOT_RED = path.join(RESULTS_DIR, 'console-bill-red.png');
const UI_TIMEOUT = 30_000;
/** The layout file is made by the workflow after the bill is issued; the page polls for it. */
const LAYOUT_TIMEOUT = 60_000;

const sel = (name: string) => `[data-test="${name}"]`;

let platform: Platform | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;

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
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await platform?.stop();
}, 120_000);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The data-test element whose whole text (trimmed) is `exact` (it may be inside child elements). */
const withText = (name: string, exact: string) => page.locator(sel(name), { hasText: new RegExp(`^\\s*${escapeRegExp(exact)}\\s*$`) });

/** Text of the single element matching `selector`, trimmed. */
async function text(selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

test('a cashier finds an issued bill in the console and checks it', async () => {
  if (!platform) throw new Error('platform did not start');
  const base = platform.baseUrl.replace(/\/+$/, '');

  const issued = await platform.his.issueOutpatient();
  expect(issued.busNo).toBeTruthy();
  expect(issued.billNo).toBeTruthy();

  // Not signed in: the console sends us to the login page.
  await page.goto(`${base}/console/`);
  await page.waitForURL(/\/console\/login(\?|$)/);

  // Wrong password: the API's reason is shown, we stay on the login page.
  await page.fill(sel('login-username'), 'admin');
  await page.fill(sel('login-password'), 'not-the-password');
  await page.click(sel('login-submit'));
  await page.locator(sel('login-error')).waitFor();
  expect(await text(sel('login-error'))).not.toBe('');
  expect(page.url()).toMatch(/\/console\/login/);

  // Sign in as the demo administrator.
  await page.fill(sel('login-username'), 'admin');
  await page.fill(sel('login-password'), 'admin123');
  await page.click(sel('login-submit'));
  // The landing page is 首页 (today's figures and the work waiting); 票据查询 is one click away.
  await page.waitForURL(/\/console\/home/);
  await page.locator(`${sel('home-page')}[data-loading="false"]`).waitFor();
  expect(Number((await text(sel('home-bills'))).replace(/[^\d]/g, ''))).toBeGreaterThanOrEqual(1);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-home.png'), fullPage: true });
  expect(await text(sel('user-name'))).not.toBe('');
  await page.click(sel('menu-bills'));
  await page.waitForURL(/\/console\/bills(\?|$)/);
  await page.locator(`${sel('bill-list')}[data-loading="false"]`).waitFor();

  // Search by busNo: exactly one row, with the issued bill's number.
  await page.fill(sel('search-busno'), issued.busNo);
  const searched = page.waitForResponse(
    (r) => new URL(r.url()).pathname === '/api/bills' && new URL(r.url()).searchParams.get('busNo') === issued.busNo,
  );
  await page.click(sel('search-submit'));
  expect((await searched).status()).toBe(200);
  await page.locator(`${sel('bill-list')}[data-loading="false"]`).waitFor();
  expect(new URL(page.url()).searchParams.get('busNo')).toBe(issued.busNo); // the search is in the URL
  expect(await page.locator(sel('bill-detail-link')).count()).toBe(1);
  expect(await text(sel('row-bill-no'))).toBe(issued.billNo);
  expect(await text(sel('bill-total'))).toBe('1');

  // Open the detail page.
  await page.click(sel('bill-detail-link'));
  await page.waitForURL(/\/console\/bills\/[^/?#]+$/);
  await page.locator(sel('bill-no')).waitFor();
  expect(await text(sel('bill-no'))).toBe(issued.billNo);
  expect(await text(sel('bill-batch-code'))).toBe(issued.billBatchCode);
  expect(await text(sel('bill-random'))).toBe(issued.random);
  expect(await text(sel('bill-state'))).toBe('正常');
  expect(await text(sel('signature-status'))).toBe('验签通过');

  // The workflow link points into the Temporal UI at the bill's workflow.
  const meta = await context!.request.get(`${base}/api/meta`);
  expect(meta.status()).toBe(200);
  const temporalUiUrl = String(((await meta.json()) as { temporalUiUrl: string }).temporalUiUrl).replace(/\/+$/, '');
  expect(temporalUiUrl).toMatch(/^https?:\/\//);
  const workflowHref = await page.locator(sel('workflow-link')).getAttribute('href');
  expect(workflowHref).toBeTruthy();
  expect(workflowHref!.startsWith(temporalUiUrl)).toBe(true);
  expect(workflowHref).toContain('bill-');
  expect(await page.locator(sel('workflow-link')).getAttribute('target')).toBe('_blank');

  // The layout file: once made, the download link answers with a PDF.
  await page.locator(sel('pdf-link')).waitFor({ timeout: LAYOUT_TIMEOUT });
  const pdfHref = await page.locator(sel('pdf-link')).getAttribute('href');
  expect(pdfHref).toBeTruthy();
  const pdf = await context!.request.get(new URL(pdfHref!, page.url()).toString());
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toContain('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)'); // the header and menu are sticky (a string: no DOM types here)
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Sign out: back to the login page, and the console is closed again.
  await page.click(sel('logout'));
  await page.waitForURL(/\/console\/login(\?|$)/);
  expect((await context!.request.get(`${base}/api/auth/me`)).status()).toBe(401);
  await page.goto(`${base}/console/bills`);
  await page.waitForURL(/\/console\/login(\?|$)/);
  await page.locator(sel('login-submit')).waitFor();
}, 180_000);

test('an administrator reverses a bill from its detail page and follows the red bill', async () => {
  if (!platform) throw new Error('platform did not start');
  const base = platform.baseUrl.replace(/\/+$/, '');
  const api = context!.request;

  // A fresh session, whatever the first test left behind.
  await context!.clearCookies();
  await page.goto(`${base}/console/login`);
  await page.fill(sel('login-username'), 'admin');
  await page.fill(sel('login-password'), 'admin123');
  await page.click(sel('login-submit'));
  await page.waitForURL(/\/console\/home/);
  const operator = await text(sel('user-name'));
  expect(operator).not.toBe('');

  const issued = await platform.his.issueOutpatient();
  const found = await api.get(`${base}/api/bills?busNo=${encodeURIComponent(issued.busNo)}`);
  expect(found.status()).toBe(200);
  const items = ((await found.json()) as { items: Array<{ id: number; billNo: string }> }).items;
  expect(items.map((i) => i.billNo)).toEqual([issued.billNo]);
  const originalId = items[0]!.id;

  // The original: normal, with a 冲红 button.
  await page.goto(`${base}/console/bills/${originalId}`);
  await withText('bill-no', issued.billNo).waitFor();
  expect(await text(sel('bill-state'))).toBe('正常');
  expect(await page.locator(sel('write-off-info')).count()).toBe(0);
  const originalAmount = await text(sel('bill-amount'));
  expect(originalAmount).toMatch(/^¥\d/);
  await page.locator(sel('write-off-button')).waitFor({ state: 'visible' });

  // The dialog warns, and will not go on without a reason.
  await page.click(sel('write-off-button'));
  const dialog = page.locator('.el-dialog', { has: page.locator(sel('write-off-reason')) });
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.textContent()).toContain('冲红后原票据作废，将开具一张红字票据（负数金额），此操作不可撤销');
  await page.click(sel('write-off-confirm'));
  await dialog.locator('.el-form-item__error', { hasText: '请填写冲红原因' }).waitFor();

  // Reason, confirm: one POST, answered with the red bill.
  const reason = '患者退费（控制台测试）';
  await page.fill(sel('write-off-reason'), reason);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/bills/${originalId}/write-off`);
  await page.click(sel('write-off-confirm'));
  const answer = await posted;
  expect(answer.status()).toBe(200);
  const red = (await answer.json()) as { eScarletBillBatchCode: string; eScarletBillNo: string };
  expect(red.eScarletBillBatchCode).toBeTruthy();
  expect(red.eScarletBillNo).toBeTruthy();
  expect(red.eScarletBillNo).not.toBe(issued.billNo);
  const redLabel = `${red.eScarletBillBatchCode}-${red.eScarletBillNo}`;
  await page.locator('.el-message--success', { hasText: `已冲红，红字票据 ${redLabel}` }).waitFor();
  await dialog.waitFor({ state: 'hidden' });

  // The original, reloaded: reversed, with who, why, when, the red bill and the reversal workflow.
  await withText('bill-state', '已冲红').waitFor();
  expect(await text(sel('bill-state'))).toBe('已冲红');
  expect(await page.locator(sel('write-off-button')).count()).toBe(0);
  await page.locator(sel('write-off-info')).waitFor();
  expect(await text(sel('write-off-reason-text'))).toBe(reason);
  expect(await text(sel('write-off-operator'))).toBe(operator);
  expect(await text(sel('write-off-time'))).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  expect(await text(sel('scarlet-bill-link'))).toBe(redLabel);
  expect(await text(sel('scarlet-bill-amount'))).toBe(originalAmount.replace(/^¥/, '-¥'));
  const redHref = await page.locator(sel('scarlet-bill-link')).getAttribute('href');
  expect(redHref).toMatch(/^\/console\/bills\/\d+$/);
  const redId = Number(redHref!.split('/').pop());
  expect(redId).not.toBe(Number(originalId));
  const woHref = await page.locator(sel('write-off-workflow-link')).getAttribute('href');
  expect(woHref).toContain(encodeURIComponent(`writeoff-${issued.billBatchCode}-${issued.billNo}`));
  expect(await page.locator(sel('write-off-workflow-link')).getAttribute('target')).toBe('_blank');

  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: SCREENSHOT_REVERSED, fullPage: true });

  // Reversing again answers with the same red bill; a red bill cannot be reversed.
  const again = await api.post(`${base}/api/bills/${originalId}/write-off`, { data: { reason } });
  expect(again.status()).toBe(200);
  expect(((await again.json()) as { eScarletBillNo: string }).eScarletBillNo).toBe(red.eScarletBillNo);
  const ofRed = await api.post(`${base}/api/bills/${redId}/write-off`, { data: { reason } });
  expect(ofRed.status()).toBeGreaterThanOrEqual(400);
  expect(((await ofRed.json()) as { error: { code: string } }).error.code).toBe('E0031');

  // The red bill: its own number, 红字票据, the negative amount, a link back to the original.
  await page.click(sel('scarlet-bill-link'));
  await page.waitForURL(new RegExp(`/console/bills/${redId}$`));
  await withText('bill-no', red.eScarletBillNo).waitFor();
  expect(await text(sel('scarlet-tag'))).toBe('红字票据');
  expect(await text(sel('bill-state'))).toBe('正常');
  const redAmount = await text(sel('bill-amount'));
  expect(redAmount).toBe(originalAmount.replace(/^¥/, '-¥'));
  expect(redAmount).toMatch(/^-¥\d/);
  expect(await page.locator(sel('write-off-button')).count()).toBe(0);
  expect(await page.locator(sel('write-off-info')).count()).toBe(0);
  expect(await text(sel('related-bill-link'))).toBe(`${issued.billBatchCode}-${issued.billNo}`);
  expect(await page.locator(sel('related-bill-link')).getAttribute('href')).toBe(`/console/bills/${originalId}`);
  expect(await text(sel('related-bill-amount'))).toBe(originalAmount);

  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: SCREENSHOT_RED, fullPage: true });

  // Back to the original through the link.
  await page.click(sel('related-bill-link'));
  await page.waitForURL(new RegExp(`/console/bills/${originalId}$`));
  await withText('bill-no', issued.billNo).waitFor();
  expect(await text(sel('bill-state'))).toBe('已冲红');

  // In the list the red bill is an ordinary row with a negative amount and a 红票 tag.
  await page.goto(`${base}/console/bills?billNo=${encodeURIComponent(red.eScarletBillNo)}`);
  await page.locator(`${sel('bill-list')}[data-loading="false"]`).waitFor();
  // Other files on the shared platform issue on other batch codes, where the same number exists:
  // the red bill's row is the one linking to its detail page.
  const redLink = page.locator(`${sel('row-bill-no')}[href$="/console/bills/${redId}"]`);
  await redLink.waitFor();
  expect(((await redLink.textContent()) ?? '').trim()).toBe(red.eScarletBillNo);
  const redRow = page.locator('.bill-row', { has: redLink });
  expect(((await redRow.locator(sel('row-amount')).textContent()) ?? '').trim()).toBe(redAmount);
  expect(((await redRow.locator(sel('row-scarlet')).textContent()) ?? '').trim()).toBe('红票');
}, 180_000);
