/**
 * 票据申领 in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM): quantities with
 * thousands separators; 提交 asks for a confirmation naming the requisition and its lines before
 * anything goes to the fiscal bureau (cancel sends nothing), and the list shows the new state after
 * the submission without a reload.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { apiCall, signIn as apiSignIn, startPlatform, type Platform } from './harness';

const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const sel = (name: string) => `[data-test="${name}"]`;

let p: Platform;
let browser: Browser;
beforeAll(async () => {
  p = await startPlatform();
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await p?.stop();
}, 120_000);

async function openAs(username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  await page.goto(`${p.baseUrl}/console/login`);
  await page.fill(sel('login-username'), username);
  await page.fill(sel('login-password'), password);
  await page.click(sel('login-submit'));
  await page.waitForURL((u) => !u.pathname.endsWith('/login'));
  return page;
}

test('提交 asks first (cancel sends nothing), then the list shows the submitted requisition; counts carry separators', async () => {
  const api = await apiSignIn(p.baseUrl, 'finance', 'finance123');
  const created = await apiCall(p.baseUrl, api, 'POST', '/api/stock/requisitions', { lines: [{ billKindCode: '0401', quantity: 12000 }], remark: '浏览器测试' });
  expect(created.status).toBe(200);
  const { id, requisitionNo } = created.body as { id: number; requisitionNo: string };
  const state = async () => (await apiCall(p.baseUrl, api, 'GET', `/api/stock/requisitions/${id}`)).body.state as string;

  const page = await openAs('finance', 'finance123');
  await page.goto(`${p.baseUrl}/console/requisitions`);
  const row = page.locator(`${sel('req-table')} .el-table__row`, { has: page.locator(sel('req-no'), { hasText: requisitionNo }) });
  await row.waitFor();
  expect((await row.locator(sel('req-line')).innerText()).trim()).toBe('医疗门诊收费票据（电子）（0401）× 12,000');
  expect((await row.locator(sel('req-state')).innerText()).trim()).toBe('草稿');

  // 提交 → the confirmation; 取消 leaves the draft as it was.
  await row.locator(sel('req-submit')).click();
  const box = page.locator('.req-submit-confirm');
  await box.waitFor();
  const asked = await box.innerText();
  expect(asked).toContain(requisitionNo);
  expect(asked).toContain('× 12,000 张');
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.waitForFunction("document.getAnimations().every((a) => a.playState !== 'running')"); // the dialog's fade-in is over
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-requisition-confirm.png'), fullPage: true });
  await box.getByRole('button', { name: '取消' }).click();
  await box.waitFor({ state: 'hidden' });
  expect(await state()).toBe('draft');
  expect((await row.locator(sel('req-state')).innerText()).trim()).toBe('草稿');

  // 提交 again and confirm: the row changes state in place, no reload.
  await row.locator(sel('req-submit')).click();
  await box.waitFor();
  await box.getByRole('button', { name: '提交' }).click();
  await page.locator('.el-message--success', { hasText: '已提交' }).waitFor();
  expect(await state()).not.toBe('draft');
  await row.locator(sel('req-state'), { hasNotText: '草稿' }).waitFor();
  await row.locator(sel('req-submit')).waitFor({ state: 'detached' });
  await page.context().close();
});
