/**
 * The finance reports in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM) at
 * 1440x1000: each report opens, its amount column header is inside the viewport without scrolling
 * the table sideways (key columns fixed at the left, compact widths), the grand total shows, and a
 * screenshot of each is saved under test-results/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { busDateTime } from '../sim/his/client';
import { launchChromium, sel, signedInPage } from './browser';
import { apiCall, signIn, startPlatform, type Platform } from './harness';

const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');

let p: Platform;
let browser: Browser;
beforeAll(async () => {
  p = await startPlatform();
  browser = await launchChromium();
  const sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  expect((await apiCall(p.baseUrl, sec, 'PUT', '/api/system/collectors', { rows: [{ hisCode: '李敏', hisName: '李敏', username: 'cashier' }] })).status).toBe(200);
  // Four channels and a reversal, so the channel columns are there.
  await p.his.issueOutpatient();
  await p.his.issueOutpatient({ busType: '06', totalAmt: '10.00', payChannelDetail: [{ payChannelCode: '04', payChannelValue: '10.00' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '10.00' }], listDetail: [] });
  const d = await p.his.issueOutpatient({ placeCode: 'ZY01', payee: '陈静', totalAmt: '70.00', payChannelDetail: [{ payChannelCode: '08', payChannelValue: '50.00' }, { payChannelCode: '01', payChannelValue: '20.00' }], chargeDetail: [{ sortNo: 1, chargeCode: 'JC', chargeName: '检查费', amt: '70.00' }], listDetail: [] });
  expect((await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: d.billBatchCode, billNo: d.billNo, reason: '退费', operator: '陈静', busDateTime: busDateTime(), placeCode: 'ZY01' })).result).toBe('S0000');
}, 180_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await p?.stop();
}, 120_000);

const openAs = (username: string, password: string): Promise<Page> => signedInPage(browser, p.baseUrl, username, password, { acceptDownloads: true });

/** Each report, the amount column whose header must be visible, and a parameter to set first. */
const REPORTS: Array<{ id: string; title: string; amount: string; header: string }> = [
  { id: 'ebill-summary', title: '医疗电子票据汇总表', amount: 'netAmt', header: '合计金额' },
  { id: 'channel-summary', title: '交费渠道汇总表', amount: 'netAmt', header: '合计金额' },
  { id: 'daily-detail', title: '日报明细', amount: 'totalAmt', header: '票据金额' },
  { id: 'unit-charges', title: '单位收费情况', amount: 'netAmt', header: '合计金额' },
  { id: 'refund-ledger', title: '退费台账', amount: 'amount', header: '退费金额' },
];

test('each finance report opens at 1440x1000 with its amount columns in view, the total shown; screenshots saved', async () => {
  const page = await openAs('finance', 'finance123');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${p.baseUrl}/console/reports`);
  await page.locator(sel('report-form')).waitFor();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  for (const r of REPORTS) {
    await page.click(sel('report-select'));
    await page.locator('.el-select-dropdown__item:visible', { hasText: r.title }).first().click();
    await page.locator('.el-select-dropdown__item', { hasText: '退费台账' }).waitFor({ state: 'hidden' }); // the report list has closed
    // The filters of the finance reports: 开票员 and 业务类别 are pick lists (the mapped users, the categories).
    if (r.id === 'ebill-summary') {
      await page.click(sel('param-collector'));
      const options = page.locator('.el-select-dropdown__item:visible');
      await options.first().waitFor();
      expect(await options.allInnerTexts()).toEqual(['门诊收费员 李敏']);
      await page.keyboard.press('Escape');
    }
    const answered = page.waitForResponse((x) => new URL(x.url()).pathname === `/api/reports/${r.id}`);
    await page.click(sel('report-run'));
    expect((await answered).status()).toBe(200);
    const table = page.locator(sel('report-table'));
    await table.waitFor();
    if (r.id !== 'refund-ledger') await table.locator('tr.subtotal-row', { hasText: '合计（' }).first().waitFor();
    // Every amount column's header lies inside the viewport, with the table not scrolled sideways.
    const headers = table.locator(`.el-table__header-wrapper th.col-${r.amount}`);
    await headers.first().waitFor();
    // Inside the window and inside the table's visible area (not clipped at its right edge).
    const frame = (await table.boundingBox())!;
    const right = Math.min(1440, frame.x + frame.width) + 1; // sub-pixel borders
    const box = (await headers.first().boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(right);
    expect(box.y + box.height).toBeLessThanOrEqual(1000);
    expect((await headers.first().innerText()).trim()).toBe(r.header);
    const scrolled = await table.locator('.el-scrollbar__wrap').first().evaluate((el) => (el as { scrollLeft: number }).scrollLeft);
    expect(scrolled).toBe(0);
    // The money columns of the channels too (every one left of the window's right edge).
    for (const th of await table.locator('.el-table__header-wrapper th[class*="col-ch"]').all()) {
      const b = (await th.boundingBox())!;
      expect(b.x + b.width).toBeLessThanOrEqual(right);
    }
    await page.screenshot({ path: path.join(RESULTS_DIR, `console-report-${r.id}.png`), fullPage: true });
  }
  expect(errors).toEqual([]);
});
