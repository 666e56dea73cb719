/**
 * 票据档案 in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM): finance runs
 * 立即四性检测, the issued bills appear as packages that passed, a package's report names the four
 * checks, 分类统计 counts them; a package whose retention has ended is proposed for destruction by
 * finance, who cannot approve it; admin (another person) approves it in 销毁登记.
 * Own platform: MEDBILL_ARCHIVE_AFTER_DAYS=0 (bills due at once) and a retention ended by SQL.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium, sel, signedInPage } from './browser';
import { eventually, startPlatform, type Platform } from './harness';


let p: Platform;
let browser: Browser;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_ARCHIVE_AFTER_DAYS: '0' }, { own: true });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await p?.stop();
}, 120_000);

/** Closes the package drawer (after any message box has gone) and waits until it is gone. */
async function closeDrawer(page: Page): Promise<void> {
  await page.locator('.el-overlay.is-message-box').waitFor({ state: 'detached' }).catch(() => undefined);
  await page.click('.el-drawer__close-btn');
  await page.locator('.el-drawer').waitFor({ state: 'hidden' });
}

const signedIn = (username: string, password: string): Promise<Page> => signedInPage(browser, p.baseUrl, username, password);

test('finance archives and checks now, reads a report, proposes a destruction; another person approves it', async () => {
  const bills = [await p.his.issueOutpatient(), await p.his.issueOutpatient()];
  await eventually(async () => {
    const rows = (await p.orm.em.getConnection().execute('select count(*) as n from bill where layout_path is not null and bill_no in (?, ?)', bills.map((b) => b.billNo))) as Array<{ n: number }>;
    return Number(rows[0].n) === 2;
  }, 'the layout files');

  const page = await signedIn('finance', 'finance123');
  await page.goto(`${p.baseUrl}/console/archive`);
  await page.click(sel('archive-check-now'));
  await page.locator('.el-message--success').waitFor();
  const rows = page.locator(`${sel('archive-table')} .el-table__body tr`);
  await eventually(async () => {
    await page.click(sel('archive-search'));
    await page.waitForTimeout(300);
    return (await rows.count()) >= 2 && (await page.locator(`${sel('archive-table')} :text("通过")`).count()) >= 2;
  }, 'two packages that passed', 90_000);
  expect(await page.locator(`${sel('archive-table')}`).innerText()).toContain(bills[0].billNo);
  await eventually(async () => Number((await page.locator(`${sel('archive-total')} .el-statistic__number`).innerText()).replace(/\D/g, '')) >= 2, 'the statistics counting them');

  // A package's report: the four checks, each passed.
  const [pkg] = (await p.orm.em.getConnection().execute('select id from archive_package where bill_no = ?', [bills[0].billNo])) as Array<{ id: number }>;
  await page.click(sel(`archive-open-${pkg.id}`));
  const report = page.locator(sel('archive-report'));
  await report.waitFor();
  for (const name of ['真实性', '完整性', '可用性', '安全性']) await report.locator(`:text("${name}")`).first().waitFor();
  expect(await page.locator(sel('archive-propose')).isDisabled()).toBe(true);
  await closeDrawer(page);

  await page.click('.el-tabs__item:has-text("分类统计")');
  await page.locator(`${sel('archive-classes')} .el-table__body tr`).first().waitFor();

  // The retention of this package ends (as 30 years later): finance proposes its destruction.
  const past = p.orm.em.getConnection().getPlatform().processDateProperty(new Date(Date.now() - 86_400_000));
  await p.orm.em.getConnection().execute('update archive_package set retain_until = ? where id = ?', [past, pkg.id], 'run');
  await page.click('.el-tabs__item:has-text("档案列表")');
  await page.click(sel('archive-search'));
  await page.click(sel(`archive-open-${pkg.id}`));
  await page.locator(sel('archive-propose')).waitFor();
  expect(await page.locator(sel('archive-propose')).isDisabled()).toBe(false);
  await page.click(sel('archive-propose'));
  await page.fill('.el-message-box input', '保管期满，经鉴定无继续保存价值');
  await page.click('.el-message-box .el-button--primary');
  await page.locator('.el-message--success:has-text("待另一人审批")').waitFor();
  await closeDrawer(page);
  await page.click('.el-tabs__item:has-text("销毁登记")');
  await page.locator(`${sel('archive-register')} :text("待他人审批")`).waitFor();
  expect(await page.locator(`${sel('archive-register')} [data-test^="archive-approve-"]`).count()).toBe(0);

  // Another person approves.
  const other = await signedIn('admin', 'admin123');
  await other.goto(`${p.baseUrl}/console/archive`);
  await other.click('.el-tabs__item:has-text("销毁登记")');
  const approve = other.locator(`${sel('archive-register')} [data-test^="archive-approve-"]`);
  await approve.first().click();
  await other.click('.el-message-box .el-button--primary');
  await other.locator('.el-message--success:has-text("档案包已销毁")').waitFor();
  await other.locator(`${sel('archive-register')} :text("已销毁")`).waitFor();
  const [d] = (await p.orm.em.getConnection().execute('select state, proposed_by, approved_by from archive_destruction where package_id = ?', [pkg.id])) as Array<Record<string, string>>;
  expect(d).toEqual({ state: 'approved', proposed_by: 'finance', approved_by: 'admin' });
});
