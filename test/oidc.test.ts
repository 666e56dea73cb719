/**
 * Single sign-on with the hospital's identity platform (services/oidc.ts) against a real OpenID
 * Connect provider: the identity platform simulator (sim/oidc/server.ts, oidc-provider) runs as a
 * child process from dist/ (oidc-provider is ESM-only), the platform is started with SSO on, and
 * a cookie-keeping fetch plays the browser (redirects followed by hand).
 */
import { startPlatform, signIn, sessionCookieOf, type Platform } from './harness';
import { freePort } from '../scripts/temporal-dev';
import { oidcEnv, startOidcSimProcess, type OidcSimProcess } from './oidc-sim';

let p: Platform;
let sim: OidcSimProcess;
let issuer: string;

/** A browser's cookies (per host:port, paths ignored) and one request at a time with manual redirects. */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  private jar(url: URL): Map<string, string> {
    let j = this.jars.get(url.host);
    if (!j) this.jars.set(url.host, (j = new Map()));
    return j;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar(new URL(url)).get(name);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const jar = this.jar(u);
    const headers: Record<string, string> = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const r = await fetch(u, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = !value || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now()));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    return r;
  }

  /** Follows redirects from `url` until an answer that is not one, or a redirect to a URL `stop` accepts (not requested). */
  async follow(url: string, stop: (u: string) => boolean = () => false): Promise<{ url: string; response?: Response }> {
    let current = url;
    for (let hop = 0; hop < 15; hop++) {
      const r = await this.request(current);
      const loc = r.headers.get('location');
      if (r.status < 300 || r.status >= 400 || !loc) return { url: current, response: r };
      current = new URL(loc, current).href;
      if (stop(current)) return { url: current };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

const callbackPath = '/api/auth/oidc/callback';
const isCallback = (u: string) => u.startsWith(`${p.baseUrl}${callbackPath}`);

/**
 * Starts a single sign-on in `b`, signs in at the identity platform as `account` when its form is
 * shown, and answers the platform's callback URL (not yet requested) and whether the form was shown.
 */
async function throughIdp(b: Browser, account: string, password = 'Sso#2026'): Promise<{ callback: string; formShown: boolean }> {
  const start = await b.request(`${p.baseUrl}/api/auth/oidc/start`);
  expect(start.status).toBe(302);
  const auth = start.headers.get('location')!;
  expect(auth.startsWith(`${issuer}/auth?`)).toBe(true);
  const q = new URL(auth).searchParams;
  expect(q.get('code_challenge_method')).toBe('S256');
  expect(q.get('state')).toBeTruthy();
  expect(q.get('nonce')).toBeTruthy();
  const first = await b.follow(auth, isCallback);
  if (!first.response) return { callback: first.url, formShown: false };
  const html = await first.response.text();
  expect(first.response.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1];
  const posted = await b.request(new URL(action, first.url).href, { form: { login: account, password } });
  expect(posted.status).toBe(303);
  const back = await b.follow(new URL(posted.headers.get('location')!, first.url).href, isCallback);
  expect(isCallback(back.url)).toBe(true);
  return { callback: back.url, formShown: true };
}

async function api(cookie: string | undefined, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${p.baseUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

const sessionOf = (b: Browser) => {
  const v = b.cookie(p.baseUrl, 'medbill_session');
  return v ? `medbill_session=${v}` : undefined;
};

async function logRows(objectId: string): Promise<Array<{ action: string; result: string; detail: string; username: string }>> {
  return (await p.orm.em.getConnection().execute('select action, result, detail, username from operation_log where object_id = ? order by seq', [objectId])) as any;
}

let sec: string;

beforeAll(async () => {
  const simPort = await freePort();
  p = await startPlatform(oidcEnv(simPort), { own: true });
  // The platform's port is known only now: the identity platform registers its callback after.
  sim = await startOidcSimProcess(simPort, p.baseUrl);
  issuer = sim.issuer;
  sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  const users = (await api(sec, 'GET', '/api/system/users?pageSize=100')).body.rows as Array<{ id: number; username: string }>;
  const idOf = (n: string) => users.find((u) => u.username === n)!.id;
  for (const [username, subject] of [['finance', 'sso-finance'], ['auditadmin', 'sso-secadmin']]) {
    const r = await api(sec, 'PUT', `/api/system/users/${idOf(username)}`, { oidcSubject: subject });
    expect(r.status).toBe(200);
  }
});

afterAll(async () => {
  await sim?.stop();
  await p?.stop();
});

test('the login page learns that single sign-on is on, and its button text', async () => {
  const r = await api(undefined, 'GET', '/api/auth/oidc');
  expect(r.body).toEqual({ enabled: true, buttonText: '使用医院统一身份认证登录' });
});

test('a mapped account signs in through the identity platform and gets a working session; the same callback again opens none', async () => {
  const b = new Browser();
  const { callback, formShown } = await throughIdp(b, 'sso-finance');
  expect(formShown).toBe(true);
  const stateCookie = b.cookie(p.baseUrl, 'medbill_oidc');
  expect(stateCookie).toBe(new URL(callback).searchParams.get('state'));
  const r = await b.request(callback);
  expect(r.status).toBe(302);
  expect(r.headers.get('location')).toBe('/console/');
  const session = sessionOf(b);
  expect(session).toBeTruthy();
  const me = await api(session, 'GET', '/api/auth/me');
  expect(me.status).toBe(200);
  expect(me.body.user).toMatchObject({ username: 'finance', signedInWith: 'sso' });
  expect((await api(session, 'GET', '/api/bills?pageSize=1')).status).toBe(200);
  const log = await logRows('finance');
  expect(log.at(-1)).toMatchObject({ action: 'login', result: 'ok', detail: '登录成功（统一身份认证，账号 sso-finance）' });

  // Replayed: the same state and code, even with the state cookie the browser had.
  const replay = await fetch(callback, { redirect: 'manual', headers: { cookie: `medbill_oidc=${stateCookie}` } });
  expect(replay.status).toBe(302);
  expect(replay.headers.get('location')).toBe('/console/login?sso_error=state');
  expect(sessionCookieOf(replay)).toBeUndefined();
  // A made-up state, no state at all, an answer of another browser: the login page, never an error page.
  for (const q of ['?state=x&code=y', '', '?code=abc']) {
    const bad = await fetch(`${p.baseUrl}${callbackPath}${q}`, { redirect: 'manual' });
    expect(bad.status).toBe(302);
    expect(bad.headers.get('location')).toBe('/console/login?sso_error=state');
  }
});

test('a callback from another browser (no state cookie) opens no session', async () => {
  const b = new Browser();
  const { callback } = await throughIdp(b, 'sso-finance');
  const r = await fetch(callback, { redirect: 'manual' });
  expect(r.headers.get('location')).toBe('/console/login?sso_error=state');
  expect(sessionCookieOf(r)).toBeUndefined();
  // and the request is used up: the right browser now gets the same refusal
  const again = await b.request(callback);
  expect(again.headers.get('location')).toBe('/console/login?sso_error=state');
  expect(sessionOf(b)).toBeUndefined();
});

test('an account the identity platform knows but the platform does not: no session, 尚未开通, a failed sign-in in the log', async () => {
  const b = new Browser();
  const { callback } = await throughIdp(b, 'sso-stranger');
  const r = await b.request(callback);
  expect(r.status).toBe(302);
  expect(r.headers.get('location')).toBe('/console/login?sso_error=unknown&sso_subject=sso-stranger');
  expect(sessionOf(b)).toBeUndefined();
  const log = await logRows('sso-stranger');
  expect(log.at(-1)).toMatchObject({ action: 'login-failed', result: 'refused', detail: '统一身份认证账号（sso-stranger）尚未开通本平台权限' });
});

test('an administrator mapped to an account is refused single sign-on (password and TOTP only)', async () => {
  const b = new Browser();
  const { callback } = await throughIdp(b, 'sso-secadmin');
  const r = await b.request(callback);
  expect(r.headers.get('location')).toBe('/console/login?sso_error=admin');
  expect(sessionOf(b)).toBeUndefined();
  expect((await logRows('auditadmin')).at(-1)).toMatchObject({ action: 'login-failed', result: 'refused' });
});

test('while single sign-on is on, a business user may not sign in with a password; an administrator still may', async () => {
  const r = await api(undefined, 'POST', '/api/auth/login', { username: 'finance', password: 'finance123' });
  expect(r.status).toBe(403);
  expect(r.body.error.code).toBe('E0016');
  expect(r.body.error.message).toContain('统一身份认证');
  // a wrong password gets the usual answer (a guess learns nothing about the account)
  expect((await api(undefined, 'POST', '/api/auth/login', { username: 'cashier', password: 'wrong-Password1' })).status).toBe(401);
  expect((await logRows('finance')).at(-1)).toMatchObject({ action: 'login-failed', result: 'refused', detail: '登录失败：已启用统一身份认证，业务用户不能使用本地密码登录' });
  const admin = await signIn(p.baseUrl, 'sysadmin', 'Sysadmin#2026');
  expect((await api(admin, 'GET', '/api/auth/me')).body.user).toMatchObject({ username: 'sysadmin', signedInWith: 'password' });
});

test('logout ends the session and answers the identity platform\'s end-session URL, which signs the person out there too', async () => {
  const b = new Browser();
  const first = await throughIdp(b, 'sso-finance');
  await b.request(first.callback);
  const session = sessionOf(b)!;
  expect(session).toBeTruthy();
  // signed in at the identity platform: a second start comes straight back (no form)
  const again = await throughIdp(b, 'sso-finance');
  expect(again.formShown).toBe(false);
  // The ID token is kept for the logout, sealed: the table alone gives no token to replay.
  const tokens = (await p.orm.em.getConnection().execute('select sso_id_token as t from console_session where sso_id_token is not null')) as Array<{ t: string }>;
  expect(tokens.length).toBeGreaterThan(0);
  for (const { t } of tokens) expect(t).toMatch(/^v1:/);

  const out = await api(session, 'POST', '/api/auth/logout');
  expect(out.status).toBe(200);
  const end = new URL(out.body.endSessionUrl);
  expect(`${end.origin}${end.pathname}`).toBe(`${issuer}/session/end`);
  expect(end.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // the token itself, opened
  expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${p.baseUrl}/console/login`);
  expect((await api(session, 'GET', '/api/auth/me')).status).toBe(401);
  expect((await logRows('finance')).at(-1)).toMatchObject({ action: 'logout', detail: '退出登录（统一身份认证会话）' });

  // The identity platform's logout page: confirm, and it sends the browser back to the console.
  const page = await b.request(end.href);
  expect(page.status).toBe(200);
  const html = await page.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)![1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1];
  const confirmed = await b.request(new URL(action, end.href).href, { form: { xsrf, logout: 'yes' } });
  expect(confirmed.status).toBe(303);
  expect(confirmed.headers.get('location')).toBe(`${p.baseUrl}/console/login`);
  // signed out there: the next single sign-on asks for the password again
  const after = await throughIdp(b, 'sso-finance');
  expect(after.formShown).toBe(true);

  // A password session's logout answers no end-session URL.
  const admin = await signIn(p.baseUrl, 'sysadmin', 'Sysadmin#2026');
  expect((await api(admin, 'POST', '/api/auth/logout')).body).toEqual({ ok: true });
});

test('a code the identity platform refuses, or an identity platform that cannot be reached: the login page with the reason, no session', async () => {
  const b = new Browser();
  const start = await b.request(`${p.baseUrl}/api/auth/oidc/start`);
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  const refused = await b.request(`${p.baseUrl}${callbackPath}?code=made-up&state=${state}&iss=${encodeURIComponent(issuer)}`);
  expect(refused.headers.get('location')).toBe('/console/login?sso_error=protocol');
  expect(sessionOf(b)).toBeUndefined();
  const [row] = (await p.orm.em.getConnection().execute("select detail from operation_log where action = 'login-failed' and detail like '%未通过校验%' order by seq desc limit 1")) as Array<{ detail: string }>;
  expect(row.detail).toContain('统一身份认证登录失败');

  await sim.stop();
  const b2 = new Browser();
  const start2 = await b2.request(`${p.baseUrl}/api/auth/oidc/start`); // the discovery is cached: the URL is still made
  const state2 = new URL(start2.headers.get('location')!).searchParams.get('state')!;
  const down = await b2.request(`${p.baseUrl}${callbackPath}?code=made-up&state=${state2}&iss=${encodeURIComponent(issuer)}`);
  expect(down.status).toBe(302);
  expect(down.headers.get('location')).toBe('/console/login?sso_error=unavailable');
  expect(sessionOf(b2)).toBeUndefined();
});
