/**
 * The audit administrator in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM),
 * with the second factor enforced (MEDBILL_MFA_ENFORCE=1):
 * - the first sign-in leads to 双因素认证 only: enrol by the secret shown beside the QR code, confirm
 *   with a code, see the ten recovery codes once, then land on 操作日志 (the only menu it has);
 * - 操作日志 lists its own sign-in; 校验完整性 answers that the chain is intact; 交互日志 lists the
 *   platform's exchanges, decrypts one (which 操作日志 then lists) and verifies its chain;
 * - after logout the login page asks for 动态口令 once the password is right, and lets it in.
 * Own platform: it turns the second factor on and enrols a demo user.
 */
import { newConsolePage, sel, submitLogin, withPlatformAndBrowser } from './browser';
import { totpAt, TOTP_STEP_SECONDS } from '../common/totp';
import { startPlatform } from './harness';

const suite = withPlatformAndBrowser(() => startPlatform({ MEDBILL_MFA_ENFORCE: '1' }, { own: true }));

test('auditadmin enrols a TOTP authenticator first, reads and verifies the operation log, and signs in again with a code', async () => {
  const { p, browser } = suite;
  // One bill through the HIS interface: its exchanges (HIS in, fiscal / notices out) are in 交互日志 later.
  const issued = await p.his.issueOutpatient({ totalAmt: '0.10', payChannelDetail: [{ payChannelCode: '05', payChannelValue: '0.10' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '0.10' }], listDetail: [] });
  expect(issued.billNo).toMatch(/^\d+$/);
  const page = await newConsolePage(browser);
  await submitLogin(page, p.baseUrl, 'auditadmin', 'Auditadmin#2026');
  await page.waitForURL(/\/console\/mfa/);
  await page.locator(sel('mfa-required')).waitFor();
  // Any other page leads back here until enrolled.
  await page.goto(`${p.baseUrl}/console/audit/operations`);
  await page.waitForURL(/\/console\/mfa/);

  await page.click(sel('mfa-start'));
  await page.locator(`${sel('mfa-qr')}`).waitFor();
  const secret = (await page.locator(sel('mfa-secret')).innerText()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(await page.locator(sel('mfa-qr')).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(50);
  await page.fill(sel('mfa-code'), totpAt(secret, Date.now()));
  await page.click(sel('mfa-confirm'));
  await page.locator(`${sel('mfa-recovery-codes')} li`).nth(9).waitFor();
  const codes = (await page.locator(`${sel('mfa-recovery-codes')} li`).allInnerTexts()).map((t) => t.trim());
  expect(codes).toHaveLength(10);
  await page.click(sel('mfa-done'));

  // Its first (and only) menu page: 操作日志, with its own sign-in listed.
  await page.waitForURL(/\/console\/audit\/operations/);
  await page.locator(`${sel('oplog-table')} :text("auditadmin")`).first().waitFor();
  await expect(page.locator('.el-menu').innerText()).resolves.not.toContain('票据查询');
  await page.click(sel('oplog-verify'));
  await page.locator(`${sel('oplog-verify-result')}:has-text("校验通过")`).waitFor();

  // 交互日志: the bill's exchanges; one entry decrypted, and the decryption is in the operation log.
  await page.goto(`${p.baseUrl}/console/audit/exchanges`);
  // The log is written in batches: search again until the rows are there (bounded).
  for (let i = 0; i < 30 && (await page.locator(`${sel('xlog-table')} .el-table__row`).count()) === 0; i++) {
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/audit/exchanges');
    await page.click(sel('xlog-search'));
    await answered;
  }
  await page.locator(`${sel('xlog-table')} .el-table__row`).first().waitFor();
  await page.locator(`${sel('xlog-table')} .el-table__row`).first().locator('button:has-text("解密查看")').click();
  await page.locator(sel('xlog-request')).waitFor();
  expect((await page.locator(sel('xlog-request')).innerText()).length).toBeGreaterThan(2);
  await page.keyboard.press('Escape');
  await page.click(sel('xlog-verify'));
  await page.locator(`${sel('xlog-verify-result')}:has-text("校验通过")`).waitFor();
  await page.goto(`${p.baseUrl}/console/audit/operations`);
  await page.locator(`${sel('oplog-table')} :text("解密")`).first().waitFor();

  await page.click(sel('logout'));
  await page.waitForURL(/\/console\/login/);
  await page.fill(sel('login-username'), 'auditadmin');
  await page.fill(sel('login-password'), 'Auditadmin#2026');
  await page.click(sel('login-submit'));
  await page.locator(sel('login-code')).waitFor();
  // The step after the enrolment's: inside the window and not used yet.
  await page.fill(sel("login-code"), totpAt(secret, Date.now() + TOTP_STEP_SECONDS * 1000));
  await page.click(sel('login-submit'));
  await page.waitForURL(/\/console\/audit\/operations/);
});
