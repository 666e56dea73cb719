/**
 * The change-password page in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM):
 * after a reset the one-time password signs in to the change-password page only, every other page
 * leads back to it, a weak password is refused under its field in Chinese, a good one lets the
 * user in; logout ends the session on the server. Own platform: it resets a demo user.
 */
import { newConsolePage, sel, submitLogin, withPlatformAndBrowser } from './browser';
import { masterKey } from '../common/keys';
import { SignInService } from '../services/sign-in';
import { startPlatform } from './harness';

const suite = withPlatformAndBrowser(() => startPlatform({}, { own: true }));

test('after a reset the user must choose a new password before anything else; logout ends the session', async () => {
  const { p, browser } = suite;
  const once = await new SignInService({ orm: p.orm, masterKey: masterKey(p.cfg), cfg: p.cfg }).resetPassword('dept');
  const page = await newConsolePage(browser);
  await submitLogin(page, p.baseUrl, 'dept', once);
  await page.waitForURL(/\/console\/password/);
  await page.locator(`${sel('password-forced')}:has-text("您的密码已被管理员重置")`).waitFor();
  await page.locator(`${sel('password-policy')}:has-text("至少 8 位")`).waitFor();
  // The session is not readable by the page's JavaScript.
  expect(await page.evaluate('document.cookie')).not.toContain('medbill_session');

  // Any other page leads back here.
  await page.goto(`${p.baseUrl}/console/bills`);
  await page.waitForURL(/\/console\/password/);

  await page.fill(sel('password-current'), once);
  await page.fill(sel('password-new'), 'abcdefgh');
  await page.fill(sel('password-confirm'), 'abcdefgh');
  await page.click(sel('password-submit'));
  await page.getByText('新密码须含小写字母、大写字母、数字、符号中的至少 3 类').waitFor();

  await page.fill(sel('password-new'), 'Lab#2026ok');
  await page.fill(sel('password-confirm'), 'Lab#2026ok');
  await page.click(sel('password-submit'));
  await page.waitForURL(/\/console\/home/);

  const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'medbill_session');
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  await page.click(sel('logout'));
  await page.waitForURL(/\/console\/login/);
  const after = await fetch(`${p.baseUrl}/api/auth/me`, { headers: { cookie: `medbill_session=${cookie.value}` } });
  expect(after.status).toBe(401);
});
