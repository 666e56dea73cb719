/**
 * Browser journey through the web console, on the real platform (Temporal, database, worker, API)
 * started by the harness, driven with playwright-core and the system's Chromium:
 * a bill issued through the HIS interface is found by its busNo, its detail page shows it as
 * normal and correctly signed, links to its Temporal workflow, serves its PDF, and signing out
 * returns to the login page.
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
  await page.waitForURL(/\/console\/bills(\?|$)/);
  expect(await text(sel('user-name'))).not.toBe('');
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
