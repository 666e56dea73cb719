/**
 * The bill page (issue 15 point 7) in a real browser: a banner names what is pending on the bill
 * (here a refund still in approval, with its link); the signature's technical panel is open for
 * finance and folded for a doctor (no bill:signed-text), who opens it on demand; the bill list's
 * row actions 告知单 (its link) and 重发 (the SMS again).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { animationsDone, sel, signedInPage, withPlatformAndBrowser } from './browser';
import { apiCall, signIn, startPlatform } from './harness';
import { simUrl } from '../config/simulators';

const RESULTS_DIR = path.resolve(__dirname, '..', 'test-results');
const ctx = withPlatformAndBrowser(() => startPlatform());

test('a refund in approval shows in the bill page banner; the technical panel is folded for a doctor', async () => {
  const p = ctx.p;
  const bill = await p.his.issueOutpatient();
  const outTradeNo = `WX${bill.billNo}`;
  await fetch(`${simUrl(p.cfg.sim.payment.wechatpayPort)}/_sim/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ out_trade_no: outTradeNo, total: 10000 }) });
  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  const billId = (await apiCall(p.baseUrl, cashier, 'GET', `/api/bills?busNo=${encodeURIComponent(bill.busNo)}`)).body.items[0].id as number;
  const refund = await apiCall(p.baseUrl, cashier, 'POST', '/api/refunds', { billId, channel: 'wechat', outTradeNo, amount: '10.00', reason: '页面测试' });
  expect(refund.status).toBe(201);
  // The doctor decides the first step: a party of the refund, they may open the bill.
  const doc = await signIn(p.baseUrl, 'doctor', 'doctor123');
  const d = await apiCall(p.baseUrl, doc, 'GET', `/api/refunds/${refund.body.id}`);
  expect((await apiCall(p.baseUrl, doc, 'POST', `/api/refunds/${refund.body.id}/actions`, { action: 'approve', version: d.body.version })).status).toBe(200);

  const fin = await signedInPage(ctx.browser, p.baseUrl, 'finance', 'finance123');
  await fin.goto(`${p.baseUrl}/console/bills/${billId}`);
  const banner = fin.locator(sel('bill-pending'));
  await banner.waitFor();
  expect(await fin.locator(sel('bill-pending-refund')).innerText()).toContain(refund.body.refundNo);
  await fin.locator(sel('signature-status')).waitFor(); // open for finance
  expect(await fin.locator(sel('bill-technical')).count()).toBe(0);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  await animationsDone(fin);
  await fin.screenshot({ path: path.join(RESULTS_DIR, 'console-bill-pending.png'), fullPage: false });
  await fin.locator(`${sel('bill-pending-refund')} a`).click();
  await fin.waitForURL(new RegExp(`/console/refunds/${refund.body.id}$`));

  // 票据查询's row actions: 重发 → 短信 sends the bill's SMS notice again (a resend on the bill's record).
  await fin.goto(`${p.baseUrl}/console/bills?busNo=${encodeURIComponent(bill.busNo)}`);
  const row = fin.locator(`${sel('bill-list')} .el-table__row`).first();
  await row.locator(sel('bill-row-slip')).waitFor();
  expect(await row.locator(sel('bill-row-slip')).getAttribute('href')).toBe(`/api/bills/${billId}/notice-slip`);
  const resent = fin.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/bills/${billId}/notices/resend`);
  await row.locator(sel('bill-row-resend')).click();
  await fin.locator(`${sel('bill-row-resend-sms')}:visible`).click();
  expect((await resent).status()).toBe(202);

  const docPage = await signedInPage(ctx.browser, p.baseUrl, 'doctor', 'doctor123');
  await docPage.goto(`${p.baseUrl}/console/bills/${billId}`);
  const fold = docPage.locator(sel('bill-technical'));
  await fold.waitFor();
  expect(await docPage.locator(sel('signature-status')).isVisible()).toBe(false);
  await fold.locator('.el-collapse-item__header').click();
  await docPage.locator(sel('signature-status')).waitFor();
  await fin.context().close();
  await docPage.context().close();
});
