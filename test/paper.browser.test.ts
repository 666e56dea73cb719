/**
 * The paper UI in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM): a cashier
 * exchanges a bill for paper from the bill detail page and voids it with a reason; the 纸质票据
 * page lists the point's stock with the used numbers; a doctor sees no paper buttons.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { newConsolePage, sel, submitLogin, withPlatformAndBrowser } from './browser';
import { startPlatform } from './harness';

const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');

const suite = withPlatformAndBrowser(() => startPlatform());

async function signIn(username: string, password: string): Promise<Page> {
  const { p, browser } = suite;
  const page = await newConsolePage(browser);
  await submitLogin(page, p.baseUrl, username, password);
  await page.waitForURL(/\/console\/home/);
  return page;
}

test('a cashier exchanges a bill for paper and voids it from the bill page; the paper page shows the stock', async () => {
  const { p } = suite;
  const issued = await p.his.issueOutpatient();
  const [bill] = await p.orm.em.fork().getConnection().execute<Array<{ id: number }>>('select id from bill where bill_no = ? and bill_batch_code = ?', [issued.billNo, issued.billBatchCode]);
  const page = await signIn('cashier', 'cashier123');
  await page.goto(`${p.baseUrl}/console/bills/${bill.id}`);
  await page.locator(sel('paper-panel')).waitFor();
  await page.locator(`${sel('paper-state')}:has-text("未换开")`).waitFor();

  await page.click(sel('paper-exchange'));
  await page.getByRole('button', { name: '换开并打印' }).click();
  await page.locator(`${sel('paper-state')}:has-text("已换开纸质票据")`).waitFor();
  const number = (await page.locator(sel('paper-number')).textContent())!.trim();
  expect(number).toMatch(/^\d{8}-\d{10}$/);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-paper-panel.png'), fullPage: true });

  // Void: the reason is required.
  await page.click(sel('paper-void'));
  await page.locator(sel('paper-reason-dialog')).waitFor();
  await page.click(sel('paper-reason-confirm'));
  await page.getByText('请填写作废原因').waitFor();
  await page.fill(sel('paper-reason'), '患者退费，收回纸质票据');
  await page.click(sel('paper-reason-confirm'));
  await page.locator(`${sel('paper-state')}:has-text("未换开")`).waitFor();
  const [row] = await p.orm.em.fork().getConnection().execute<Array<{ paper_state: string }>>('select paper_state from bill where id = ?', [bill.id]);
  expect(row.paper_state).toBe('none');

  // The paper page: the menu entry, the cashier's own point only, the voided number listed.
  await page.getByRole('menuitem', { name: '纸质票据' }).click();
  await page.waitForURL(/\/console\/paper/);
  await page.locator(sel('paper-segment')).first().waitFor();
  expect(await page.locator(sel('paper-segment')).count()).toBe(1);
  await page.getByText(number.split('-')[1]).first().waitFor();
  await page.screenshot({ path: path.join(RESULTS_DIR, 'console-paper-stock.png'), fullPage: true });
  await page.context().close();
});

test('a doctor sees the paper state but no paper buttons, and no 纸质票据 menu entry', async () => {
  const { p } = suite;
  const issued = await p.his.issueOutpatient();
  const [bill] = await p.orm.em.fork().getConnection().execute<Array<{ id: number }>>('select id from bill where bill_no = ? and bill_batch_code = ?', [issued.billNo, issued.billBatchCode]);
  // A doctor reads only the bills of refunds they are a party to: the cashier starts one naming them.
  const login = await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'cashier', password: 'cashier123' }) });
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('medbill_session='))!.split(';')[0];
  const refund = await fetch(`${p.baseUrl}/api/refunds`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ billId: bill.id, channel: 'cash', amount: '1.00', reason: '检查未做', doctor: 'doctor' }),
  });
  expect(refund.status).toBe(201);
  const page = await signIn('doctor', 'doctor123');
  await page.goto(`${p.baseUrl}/console/bills/${bill.id}`);
  await page.locator(`${sel('paper-state')}:has-text("未换开")`).waitFor();
  expect(await page.locator(sel('paper-exchange')).isVisible()).toBe(false);
  expect(await page.locator(sel('paper-print-layout')).isVisible()).toBe(false);
  expect(await page.getByRole('menuitem', { name: '纸质票据' }).count()).toBe(0);
  await page.context().close();
});
