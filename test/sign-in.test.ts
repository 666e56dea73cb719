/**
 * Sign-in and sessions as 等保 2.0 level 3 asks (issue 13 point 3), on the real stack and its
 * database (SQLite, or MariaDB with MEDBILL_TEST_DB_URL):
 * - the session is a server-side row behind an HttpOnly, SameSite=Strict cookie (Secure over
 *   HTTPS); the login answer carries no token; logout, the idle and the absolute lifetime end it;
 * - five wrong passwords lock a user name (known or not, the same answers) for the lock time; an
 *   address that fails too often gets 429; every sign-in runs exactly one password hash;
 * - the password policy, no reuse of the last five, a change ends the other sessions; a reset
 *   (npm run users -- reset) and an expired password admit only to the change-password route;
 * - the patient's H5 page answers 429 after too many wrong check codes per bill and per address;
 * - a production start refuses the demo's secrets and passwords, naming each.
 * Own platform: it trusts X-Forwarded-For (MEDBILL_TRUST_PROXY) so that each case signs in from
 * an address of its own, and uses small limits.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as password from '../common/password';
import { masterKey } from '../common/keys';
import { loadConfig } from '../config';
import { SignInService } from '../services/sign-in';
import { configProblems, dataProblems } from '../services/production-check';
import { REPO_ROOT } from '../common/paths';
import { sessionCookieOf, startPlatform, type Platform } from './harness';

let p: Platform;
const ENV = {
  MEDBILL_TRUST_PROXY: '1',
  MEDBILL_LOGIN_IP_LIMIT: '8',
  MEDBILL_H5_CODE_LIMIT_PER_BILL: '4',
  MEDBILL_H5_CODE_LIMIT_PER_ADDRESS: '6',
};
beforeAll(async () => {
  p = await startPlatform(ENV);
});
afterAll(async () => {
  await p?.stop();
});

const exec = (q: string, params: unknown[] = []) => p.orm.em.fork().getConnection().execute(q, params);
const dbTime = (d: Date) => p.orm.em.getPlatform().processDateProperty(d);
let nextAddress = 10;
/** A fresh client address (the trusted proxy's X-Forwarded-For). */
const address = () => `10.13.0.${nextAddress++}`;

async function login(username: string, pw: string, from: string, extra: Record<string, string> = {}) {
  const r = await fetch(`${p.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from, ...extra },
    body: JSON.stringify({ username, password: pw }),
  });
  return { status: r.status, body: (await r.json()) as any, cookie: sessionCookieOf(r), setCookie: r.headers.getSetCookie() };
}
async function get(cookie: string | undefined, path: string) {
  const r = await fetch(`${p.baseUrl}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as any };
}
async function post(cookie: string, path: string, body: unknown) {
  const r = await fetch(`${p.baseUrl}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json().catch(() => ({}))) as any };
}
const sessionRow = async (cookie: string) => {
  // The table holds the token's HMAC only: find the newest row of the user instead.
  const me = await get(cookie, '/api/auth/me');
  const rows = (await exec('select id, revoked_reason from console_session where user_id = ? order by created_at desc', [me.body.user.id])) as Array<{ id: string; revoked_reason: string | null }>;
  return rows[0];
};

test('the session lives in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS), never in the answer; the table keeps only its HMAC', async () => {
  const r = await login('finance', 'finance123', address());
  expect(r.status).toBe(200);
  expect(r.body.user.username).toBe('finance');
  expect(JSON.stringify(r.body)).not.toMatch(/token/i);
  const set = r.setCookie.find((c) => c.startsWith('medbill_session='))!;
  expect(set).toMatch(/; httponly/i);
  expect(set).toMatch(/; samesite=strict/i);
  expect(set).toMatch(/; path=\//i);
  expect(set).not.toMatch(/; secure/i); // plain HTTP here
  const token = r.cookie!.split('=')[1];
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const stored = (await exec('select id from console_session')) as Array<{ id: string }>;
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.map((s) => s.id)).not.toContain(token);
  // Behind the trusted proxy over HTTPS the cookie is Secure.
  const https = await login('finance', 'finance123', address(), { 'x-forwarded-proto': 'https' });
  expect(https.setCookie.find((c) => c.startsWith('medbill_session='))).toMatch(/; secure/i);
  // An Authorization header opens nothing (there are no bearer tokens).
  const bearer = await fetch(`${p.baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(bearer.status).toBe(401);
});

test('logout revokes the session on the server: the same cookie, sent again, is refused', async () => {
  const { cookie } = await login('cashier', 'cashier123', address());
  expect((await get(cookie, '/api/bills')).status).toBe(200);
  const out = await fetch(`${p.baseUrl}/api/auth/logout`, { method: 'POST', headers: { cookie: cookie! } });
  expect(out.status).toBe(200);
  const again = await get(cookie, '/api/bills');
  expect(again.status).toBe(401);
  expect(again.body.error.code).toBe('E0004');
  const [row] = (await exec('select revoked_reason from console_session where revoked_reason = ?', ['logout'])) as Array<{ revoked_reason: string }>;
  expect(row.revoked_reason).toBe('logout');
});

test('a session unused for the idle time ends, and one past the absolute lifetime ends even while in use', async () => {
  const idle = await login('doctor', 'doctor123', address());
  expect((await get(idle.cookie, '/api/auth/me')).status).toBe(200);
  const idleRow = await sessionRow(idle.cookie!);
  await exec('update console_session set last_seen_at = ? where id = ?', [dbTime(new Date(Date.now() - p.cfg.sessions.idleMs - 1000)), idleRow.id]);
  expect((await get(idle.cookie, '/api/auth/me')).status).toBe(401);
  expect(((await exec('select revoked_reason from console_session where id = ?', [idleRow.id])) as any[])[0].revoked_reason).toBe('idle');

  const old = await login('doctor2', 'doctor123', address());
  const oldRow = await sessionRow(old.cookie!);
  // Used a second ago, but signed in 12 hours ago.
  await exec('update console_session set created_at = ?, last_seen_at = ? where id = ?', [dbTime(new Date(Date.now() - p.cfg.sessions.maxMs - 1000)), dbTime(new Date(Date.now() - 1000)), oldRow.id]);
  expect((await get(old.cookie, '/api/auth/me')).status).toBe(401);
  expect(((await exec('select revoked_reason from console_session where id = ?', [oldRow.id])) as any[])[0].revoked_reason).toBe('expired');
});

test('five wrong passwords lock the name for the lock time, the right one included; the lock runs out; an unknown name answers the same', async () => {
  const from = address();
  const answers: Array<[number, string]> = [];
  let firstWrong = '';
  for (let i = 0; i < 5; i++) {
    const r = await login('dept', 'wrong-password', from);
    answers.push([r.status, r.body.error.code]);
    firstWrong ||= r.body.error.message;
  }
  expect(firstWrong).toBe('用户名或密码错误（再错 4 次将锁定 15 分钟）');
  expect(answers).toEqual([[401, 'E0004'], [401, 'E0004'], [401, 'E0004'], [401, 'E0004'], [423, 'E0006']]);
  const right = await login('dept', 'dept123', address());
  expect(right.status).toBe(423);
  expect(right.body.error.message).toMatch(/账号已锁定.*分钟后再试/);
  expect(right.cookie).toBeUndefined();
  // The lock runs out (moved into the past here rather than waited for).
  await exec('update login_guard set locked_until = ? where username = ?', [dbTime(new Date(Date.now() - 1000)), 'dept']);
  const after = await login('dept', 'dept123', address());
  expect(after.status).toBe(200);
  expect((await exec('select * from login_guard where username = ?', ['dept'])) as any[]).toEqual([]); // a success clears the count

  // A name the platform does not know: the same answers, in the same order, with the same texts.
  const ghostFrom = address();
  const ghost: Array<[number, string]> = [];
  for (let i = 0; i < 6; i++) {
    const r = await login('nobody-here', 'wrong-password', ghostFrom);
    ghost.push([r.status, r.body.error.message]);
  }
  expect(ghost.map(([s]) => s)).toEqual([401, 401, 401, 401, 423, 423]);
  expect(ghost[0][1]).toBe(firstWrong);
  expect(ghost[5][1]).toBe(right.body.error.message.replace(/\d+ 分钟/, ghost[5][1].match(/\d+ 分钟/)![0]));
});

test('every sign-in runs exactly one password hash: an unknown name, a wrong password, a locked name and a success alike', async () => {
  const cfg = { sessions: { ...p.cfg.sessions, ipLimit: 1000 } };
  let hashes = 0;
  const verify = (pw: string, stored: string) => {
    hashes++;
    return password.verifyPassword(pw, stored);
  };
  const service = new SignInService({ orm: p.orm, masterKey: masterKey(p.cfg), cfg }, { verify });
  const attempt = async (username: string, pw: string) => {
    hashes = 0;
    const outcome = await service.login({ username, password: pw, address: '10.13.9.9', userAgent: 'jest' }).then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
    return [outcome, hashes];
  };
  expect(await attempt('no-such-user', 'x')).toEqual(['E0004', 1]);
  expect(await attempt('finance', 'x')).toEqual(['E0004', 1]);
  expect(await attempt('finance', 'finance123')).toEqual(['ok', 1]);
  for (let i = 0; i < 5; i++) await attempt('ghost2', 'x');
  expect(await attempt('ghost2', 'x')).toEqual(['E0006', 1]);
});

test('an address that fails too often gets 429 (other addresses do not), before any password is checked', async () => {
  const from = address();
  const statuses: number[] = [];
  // Different names, so no account lock interferes: the address limit is 8 failures.
  for (let i = 0; i < 9; i++) statuses.push((await login(`probe${i}`, 'x', from)).status);
  expect(statuses.slice(0, 8)).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
  expect(statuses[8]).toBe(429);
  const blocked = await login('finance', 'finance123', from);
  expect(blocked.status).toBe(429);
  expect(blocked.body.error.code).toBe('E0007');
  expect(blocked.body.error.message).toMatch(/登录失败次数过多，请 \d+ 分钟后再试/);
  expect((await login('finance', 'finance123', address())).status).toBe(200);
});

test('a new password follows the policy and repeats none of the last five; a change ends the other sessions and keeps this one', async () => {
  const a = await login('doctor2', 'doctor123', address());
  const b = await login('doctor2', 'doctor123', address());
  const weak = await post(a.cookie!, '/api/auth/password', { currentPassword: 'doctor123', newPassword: 'abcdefgh' });
  expect(weak.status).toBe(400);
  expect(weak.body.error).toMatchObject({ code: 'E0010', field: 'newPassword' });
  expect(weak.body.error.message).toMatch(/至少 3 类/);
  const wrong = await post(a.cookie!, '/api/auth/password', { currentPassword: 'nope', newPassword: 'Kq7-river' });
  expect(wrong.body.error).toMatchObject({ code: 'E0010', field: 'currentPassword' });
  const chain = ['Kq7-river1', 'Kq7-river2', 'Kq7-river3', 'Kq7-river4', 'Kq7-river5'];
  let current = 'doctor123';
  for (const next of chain) {
    const r = await post(a.cookie!, '/api/auth/password', { currentPassword: current, newPassword: next });
    expect(r.status).toBe(200);
    current = next;
  }
  // Any of the last five is refused; the sixth back (the demo password) would pass the history, not the policy.
  const reuse = await post(a.cookie!, '/api/auth/password', { currentPassword: current, newPassword: 'Kq7-river2' });
  expect(reuse.body.error).toMatchObject({ code: 'E0010', field: 'newPassword' });
  expect(reuse.body.error.message).toMatch(/最近 5 次/);
  expect((await get(a.cookie, '/api/auth/me')).status).toBe(200);
  expect((await get(b.cookie, '/api/auth/me')).status).toBe(401);
  expect((await login('doctor2', 'doctor123', address())).status).toBe(401);
  expect((await login('doctor2', current, address())).status).toBe(200);
});

test('a reset by `npm run users -- reset` ends the sessions, lifts the lock and admits only to the change-password route until it is changed', async () => {
  const before = await login('dept', 'dept123', address());
  for (let i = 0; i < 5; i++) await login('dept', 'wrong', address());
  const env = { ...process.env, ...loadEnvOf(p) };
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'users.js'), 'reset', 'dept'], { env, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const once = /one-time password (\S+)/.exec(r.stdout)![1];
  expect(once).toMatch(/^.{12}$/);
  expect((await get(before.cookie, '/api/auth/me')).status).toBe(401);
  const s = await login('dept', once, address());
  expect(s.status).toBe(200);
  expect(s.body.user.passwordChange).toBe('reset');
  const blocked = await get(s.cookie, '/api/bills');
  expect(blocked.status).toBe(403);
  expect(blocked.body.error.code).toBe('E0008');
  expect((await get(s.cookie, '/api/auth/me')).status).toBe(200);
  expect((await post(s.cookie!, '/api/auth/password', { currentPassword: once, newPassword: 'Lab#2026ok' })).status).toBe(200);
  expect((await get(s.cookie, '/api/bills')).status).toBe(200);
  const unknown = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'users.js'), 'reset', 'nobody'], { env, encoding: 'utf8' });
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toMatch(/用户 nobody 不存在/);
});

test('an expired password must be changed at the next sign-in', async () => {
  await exec("update user set password_changed_at = ? where username = 'cashier'", [dbTime(new Date(Date.now() - p.cfg.sessions.passwordMaxAgeMs - 60_000))]);
  const s = await login('cashier', 'cashier123', address());
  expect(s.body.user.passwordChange).toBe('expired');
  expect((await get(s.cookie, '/api/bills')).body.error.code).toBe('E0008');
  expect((await post(s.cookie!, '/api/auth/password', { currentPassword: 'cashier123', newPassword: 'Win#dow01' })).status).toBe(200);
  expect((await get(s.cookie, '/api/bills')).status).toBe(200);
});

test('the H5 page answers 429 after too many wrong check codes for one bill, and from one address', async () => {
  const a = await p.his.issueOutpatient();
  const page = (bill: { billBatchCode: string; billNo: string }, random: string, from: string) =>
    fetch(`${p.baseUrl}/h5/bill/${bill.billBatchCode}/${bill.billNo}?random=${random}`, { headers: { 'x-forwarded-for': from } }).then((r) => r.status);
  const wrong = a.random === 'zzzzzz' ? 'yyyyyy' : 'zzzzzz';
  // Per bill (limit 4), from different addresses each time.
  const perBill: number[] = [];
  for (let i = 0; i < 5; i++) perBill.push(await page(a, wrong, address()));
  expect(perBill).toEqual([404, 404, 404, 404, 429]);
  expect(await page(a, a.random, address())).toBe(429); // the right code too, until the window ends
  // Per address (limit 6), over different bill numbers, known or not.
  const b = await p.his.issueOutpatient();
  const from = address();
  const perAddress: number[] = [];
  for (let i = 0; i < 6; i++) perAddress.push(await page({ billBatchCode: b.billBatchCode, billNo: String(9_000_000_000 + i) }, wrong, from));
  expect(perAddress).toEqual([404, 404, 404, 404, 404, 404]);
  expect(await page(b, b.random, from)).toBe(429);
  expect(await page(b, b.random, address())).toBe(200);
  const body = await (await fetch(`${p.baseUrl}/h5/bill/${b.billBatchCode}/${b.billNo}?random=${wrong}`, { headers: { 'x-forwarded-for': from } })).text();
  expect(body).toMatch(/校验码错误次数过多，请 \d+ 分钟后再试/);
});

test('a production start refuses the demo: every demo secret, the simulators, the demo HIS key and each demo password are named', async () => {
  const prod = loadConfig({ ...loadEnvOf(p), MEDBILL_PRODUCTION: '1' });
  const cfgProblems = configProblems(prod);
  for (const v of ['MEDBILL_DEMO', 'MEDBILL_SIM_PORT', 'MEDBILL_EMBEDDED_TEMPORAL', 'MEDBILL_FISCAL_SECRET', 'MEDBILL_WECHAT_SECRET', 'MEDBILL_WECHATPAY_APIV3_KEY', 'MEDBILL_ALIPAY_PRIVATE_KEY']) {
    expect(cfgProblems.join('\n')).toContain(v);
  }
  expect(cfgProblems.join('\n')).toMatch(/master key is the demo key/);
  const data = await dataProblems(p.orm.em.fork(), masterKey(p.cfg));
  expect(data.join('\n')).toContain('HIS application MEDBILL_DEMO_HIS');
  // admin, finance and the three administrators still have their demo passwords; doctor2, dept and cashier changed theirs above.
  expect(data.filter((x) => x.startsWith('console user')).map((x) => /console user (\S+)/.exec(x)![1]).sort()).toEqual(['admin', 'auditadmin', 'doctor', 'finance', 'secadmin', 'sysadmin']);
  // The real start: it stops before starting anything, listing the reasons.
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'start.js')], { env: { ...process.env, ...loadEnvOf(p), MEDBILL_PRODUCTION: '1', MEDBILL_PORT: '0' }, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).not.toBe(0);
  expect(r.stderr + r.stdout).toMatch(/MEDBILL_PRODUCTION=1 refuses to start:[\s\S]*MEDBILL_FISCAL_SECRET is the demo secret/);
});

/** The platform's settings as environment variables (for child processes and loadConfig). */
function loadEnvOf(pl: Platform): Record<string, string> {
  return { MEDBILL_DATA_DIR: pl.dataDir, MEDBILL_DB_URL: pl.dbUrl, MEDBILL_SIM_PORT: String(new URL(pl.simUrl).port), MEDBILL_LOG_LEVEL: 'warn' };
}
