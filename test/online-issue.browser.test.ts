/**
 * 在线开具 in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM): finance opens
 * 在线开具 from the menu, issues a bill by hand (an item, the single pay channel taking the total)
 * and opens it; then imports an Excel file: 检查 lists the accepted bill and the refused row with its
 * reason, 开具 issues the accepted one. Screenshots kept under test-results/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { animationsDone, inputHolds, newConsolePage, sel, submitLogin, withPlatformAndBrowser } from './browser';
import { signIn as apiSignIn, startPlatform } from './harness';
import { IMPORT_COLUMNS } from '../services/online-issue';

const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const ctx = withPlatformAndBrowser(() => startPlatform());

/** Picks an option of an Element Plus select, again if the click met the dropdown while it opened (at most three times). */
async function choose(page: Page, select: string, option: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.locator(select).click();
    const item = page.locator('.el-select-dropdown__item:visible', { hasText: option }).first();
    await item.waitFor();
    await item.click();
    try {
      await page.locator(select, { hasText: option }).waitFor({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

const shot = async (page: Page, name: string) => {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await animationsDone(page);
  await page.screenshot({ path: path.join(RESULTS_DIR, name), fullPage: true });
};

test('finance issues a bill by hand and imports a file of bills from 在线开具', async () => {
  const p = ctx.p;
  const page = await newConsolePage(ctx.browser);
  await submitLogin(page, p.baseUrl, 'finance', 'finance123');
  await page.click(sel('menu-online-issue'));
  await page.locator(sel('online-issue-page')).waitFor();

  await page.fill(sel('oi-payer'), '周八');
  await page.fill(sel('oi-patient'), 'P0200');
  await choose(page, sel('oi-item-code'), '（GH →');
  await page.fill(sel('oi-item-amt'), '12.5');
  await page.locator(sel('oi-item-amt')).blur();
  // One pay channel takes the total.
  await inputHolds(page, sel('oi-pay-amt'), '12.50');
  expect(await page.locator(sel('oi-pay-amt')).inputValue()).toBe('12.50');
  expect((await page.locator(sel('oi-total')).innerText()).trim()).toBe('合计：¥12.50');
  await shot(page, 'console-online-issue-form.png');
  await page.click(sel('oi-submit'));
  const issued = page.locator(sel('oi-issued'));
  await issued.waitFor();
  const text = await issued.innerText();
  const m = /(\d{8})-(\d{10})/.exec(text);
  expect(m).not.toBeNull();
  // The form is cleared for the next bill, with a new request key.
  expect(await page.locator(sel('oi-payer')).inputValue()).toBe('');
  await page.click(sel('oi-issued-link'));
  await page.waitForURL(/\/console\/bills\/\d+/);
  await page.locator(`text=${m![2]}`).first().waitFor();

  // 批量导入: a file with one good bill and one refused row.
  const fin = await apiSignIn(p.baseUrl, 'finance', 'finance123');
  const t = await fetch(`${p.baseUrl}/api/online-issue/template`, { headers: { cookie: fin } });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await t.arrayBuffer()) as ArrayBuffer);
  const ws = wb.worksheets[0];
  ws.spliceRows(3, 1);
  const k = `B${Date.now().toString(36)}`;
  const rows: Array<Record<string, string>> = [
    { key: `${k}-1`, placeCode: 'MZ01', busType: '02', payer: '吴九', patientNo: 'P0201', chargeCode: 'GH', amt: '5', payChannelCode: '02' },
    { key: `${k}-2`, placeCode: 'MZ01', busType: '02', payer: '郑十', patientNo: 'P0202', chargeCode: 'NOPE', amt: '5', payChannelCode: '02' },
  ];
  for (const r of rows) ws.addRow(IMPORT_COLUMNS.map(([c]) => r[c] ?? ''));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-import-')), '导入.xlsx');
  fs.writeFileSync(file, Buffer.from(await wb.xlsx.writeBuffer()));

  await page.goto(`${p.baseUrl}/console/online-issue`);
  await page.getByRole('tab', { name: '批量导入' }).click();
  expect(await page.locator(sel('oi-template')).getAttribute('href')).toBe('/api/online-issue/template');
  await page.setInputFiles(sel('oi-file'), file);
  await page.click(sel('oi-check'));
  await page.locator(`${sel('oi-accepted')} .el-table__row`).first().waitFor();
  expect(await page.locator(`${sel('oi-accepted')} .el-table__row`).count()).toBe(1);
  expect(await page.locator(`${sel('oi-refused')} .el-table__row`).innerText()).toContain('NOPE');
  await shot(page, 'console-online-issue-import-check.png');
  await page.click(sel('oi-import'));
  await page.locator(`${sel('oi-result')} .el-table__row`).first().waitFor();
  expect(await page.locator(`${sel('oi-result')} .el-table__row`).innerText()).toContain(`${k}-1`);
  await page.context().close();
});

test('finance issues a donation bill (捐赠): no patient number asked, the bill of its own kind', async () => {
  const p = ctx.p;
  const page = await newConsolePage(ctx.browser);
  await submitLogin(page, p.baseUrl, 'finance', 'finance123');
  await page.click(sel('menu-online-issue'));
  await page.locator(sel('online-issue-page')).waitFor();
  expect(await page.locator(sel('oi-patient')).count()).toBe(1);
  await choose(page, sel('oi-bustype'), '捐赠');
  await page.locator(sel('oi-patient')).waitFor({ state: 'detached' });
  expect(await page.locator(sel('oi-payer')).getAttribute('placeholder')).toBe('单位或个人名称');
  await page.fill(sel('oi-payer'), '示范市慈善基金会');
  await choose(page, sel('oi-item-code'), '（JZ →');
  await page.fill(sel('oi-item-amt'), '2000');
  await page.locator(sel('oi-item-amt')).blur();
  await inputHolds(page, sel('oi-pay-amt'), '2000.00');
  await shot(page, 'console-online-issue-donation.png');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/online-issue') && r.request().method() === 'POST');
  await page.click(sel('oi-submit'));
  const res = await answer;
  expect(res.status()).toBe(201);
  const body = (await res.json()) as { billBatchCode: string; billNo: string };
  expect(body.billBatchCode.slice(2, 6)).toBe('0601');
  await page.locator(sel('oi-issued')).waitFor();
  expect(await page.locator(sel('oi-issued')).innerText()).toContain(body.billNo);
});
