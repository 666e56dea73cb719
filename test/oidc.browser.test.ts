/**
 * Single sign-on in a real browser (Chromium at /usr/bin/chromium or MEDBILL_CHROMIUM) against the
 * identity platform simulator: the login page's 统一身份认证 button, the identity platform's form,
 * the console signed in; logout through the identity platform's logout page back to the login
 * page; an account the platform does not know comes back to the login page with 尚未开通.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { startPlatform, signIn, type Platform } from './harness';
import { freePort } from '../scripts/temporal-dev';
import { oidcEnv, startOidcSimProcess, type OidcSimProcess } from './oidc-sim';

const sel = (name: string) => `[data-test="${name}"]`;

let p: Platform;
let sim: OidcSimProcess;
let browser: Browser;
beforeAll(async () => {
  const port = await freePort();
  p = await startPlatform(oidcEnv(port), { own: true });
  sim = await startOidcSimProcess(port, p.baseUrl);
  browser = await launchChromium();
  const sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  const users = (await (await fetch(`${p.baseUrl}/api/system/users?q=finance`, { headers: { cookie: sec } })).json()) as { rows: Array<{ id: number; username: string }> };
  const id = users.rows.find((u) => u.username === 'finance')!.id;
  const r = await fetch(`${p.baseUrl}/api/system/users/${id}`, { method: 'PUT', headers: { cookie: sec, 'content-type': 'application/json' }, body: JSON.stringify({ oidcSubject: 'sso-finance' }) });
  expect(r.status).toBe(200);
}, 180_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await sim?.stop();
  await p?.stop();
}, 120_000);

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  context.setDefaultTimeout(30_000);
  return context.newPage();
}

async function throughIdp(page: Page, account: string): Promise<void> {
  await page.goto(`${p.baseUrl}/console/login`);
  await page.locator(`${sel('login-sso')}:has-text("使用医院统一身份认证登录")`).click();
  await page.waitForURL((u) => u.href.startsWith(`${sim.issuer}/interaction/`));
  await page.fill('input[name="login"]', account);
  await page.fill('input[name="password"]', 'Sso#2026');
  await page.click('button[type="submit"]');
}

test('统一身份认证: the button, the identity platform, the console signed in; logout there too', async () => {
  const page = await newPage();
  await throughIdp(page, 'sso-finance');
  await page.waitForURL((u) => u.href.startsWith(`${p.baseUrl}/console/`) && !u.pathname.startsWith('/console/login'));
  await page.locator(sel('logout')).waitFor();
  const me = (await page.evaluate(async () => (await fetch('/api/auth/me')).json())) as { user: { username: string } };
  expect(me.user.username).toBe('finance');

  await page.click(sel('logout'));
  // the identity platform's logout page (oidc-provider's confirmation), then back to the login page
  await page.waitForURL((u) => u.href.startsWith(`${sim.issuer}/session/end`));
  await page.click('button[value="yes"]');
  await page.waitForURL(/\/console\/login/);
  expect((await page.evaluate(async () => (await fetch('/api/auth/me')).status))).toBe(401);
  // signed out at the identity platform as well: its form is asked again
  await page.locator(sel('login-sso')).click();
  await page.waitForURL((u) => u.href.startsWith(`${sim.issuer}/interaction/`));
  await page.locator('input[name="login"]').waitFor();
});

test('an account the platform does not know comes back to the login page with 尚未开通', async () => {
  const page = await newPage();
  await throughIdp(page, 'sso-stranger');
  await page.waitForURL(/\/console\/login/);
  await page.locator(`${sel('login-error')}:has-text("统一身份认证账号（sso-stranger）尚未开通本平台权限，请联系安全管理员")`).waitFor();
  // the reason leaves the address bar
  await page.waitForURL((u) => !u.search.includes('sso_error'));
});
