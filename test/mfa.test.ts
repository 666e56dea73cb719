/**
 * Two-factor sign-in (issue 14 point 3) on the real stack with MEDBILL_MFA_ENFORCE=1:
 * - finance must enrol a TOTP authenticator before anything else (403 E0009 elsewhere); enrolment
 *   answers a QR code (PNG) of an otpauth:// URI, is confirmed with a code, and gives ten recovery
 *   codes once;
 * - then every password sign-in asks for a code (401 E0015 naming `code`); a code's time step is
 *   accepted once (the enrolment code replayed is refused); a recovery code works once; a wrong code
 *   counts toward the lockout and is in the operation log;
 * - the security administrator resets a lost authenticator: the user's sessions end and they enrol
 *   again; a doctor may enrol but need not.
 * Own platform: it turns the second factor on and enrols demo users.
 */
import { totpAt, TOTP_STEP_SECONDS } from '../common/totp';
import { apiCall, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_MFA_ENFORCE: '1' }, { own: true });
}, 180_000);
afterAll(async () => {
  await p?.stop();
}, 120_000);

const call = (cookie: string | undefined, method: string, path: string, body?: unknown) => apiCall(p.baseUrl, cookie, method, path, body);
const login = (username: string, password: string, code?: string) => call(undefined, 'POST', '/api/auth/login', { username, password, ...(code === undefined ? {} : { code }) });
/** A code of the step after now's: inside the ±1 window, and later than any step accepted so far in this test. */
const nextCode = (secret: string) => totpAt(secret, Date.now() + TOTP_STEP_SECONDS * 1000);

let secret = '';
let recovery: string[] = [];

test('finance must enrol first; enrolment is a QR code confirmed by a code, with ten recovery codes shown once', async () => {
  const c = await signIn(p.baseUrl, 'finance', 'finance123');
  expect((await call(c, 'GET', '/api/auth/me')).body.user.mfa).toEqual({ required: true, enrolled: false });
  const blocked = await call(c, 'GET', '/api/bills');
  expect(blocked.status).toBe(403);
  expect(blocked.body.error.code).toBe('E0009');
  expect(blocked.body.error.message).toContain('身份验证器');

  const begun = await call(c, 'POST', '/api/auth/mfa/enrol');
  expect(begun.status).toBe(200);
  secret = begun.body.secret;
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(begun.body.uri).toMatch(/^otpauth:\/\/totp\/.+finance\?secret=[A-Z2-7]{32}&/);
  expect(Buffer.from(begun.body.qrPng, 'base64').subarray(1, 4).toString()).toBe('PNG');

  const wrong = await call(c, 'POST', '/api/auth/mfa/confirm', { code: totpAt(secret, Date.now() - 10 * TOTP_STEP_SECONDS * 1000) });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.field).toBe('code');
  expect((await call(c, 'POST', '/api/auth/mfa/confirm', { code: 'abc' })).body.error.message).toContain('6 位数字');

  const enrolCode = totpAt(secret, Date.now());
  const done = await call(c, 'POST', '/api/auth/mfa/confirm', { code: enrolCode });
  expect(done.status).toBe(200);
  recovery = done.body.recoveryCodes;
  expect(recovery).toHaveLength(10);
  expect(new Set(recovery).size).toBe(10);
  expect((await call(c, 'GET', '/api/bills')).status).toBe(200);
  expect((await call(c, 'GET', '/api/auth/mfa')).body).toEqual({ required: true, enrolled: true, recoveryCodesLeft: 10 });
  // Enrolled: a second enrolment is refused (a reset by the security administrator comes first).
  expect((await call(c, 'POST', '/api/auth/mfa/enrol')).status).toBe(409);

  // The enrolment code's step was used: replayed at sign-in it is refused.
  const replay = await login('finance', 'finance123', enrolCode);
  expect(replay.status).toBe(401);
  expect(replay.body.error).toMatchObject({ code: 'E0004', field: 'code' });
});

test('every sign-in asks for the code; a step is accepted once; a recovery code works once; wrong codes are logged and count toward the lockout', async () => {
  const bare = await login('finance', 'finance123');
  expect(bare.status).toBe(401);
  expect(bare.body.error).toMatchObject({ code: 'E0015', field: 'code' });
  expect(bare.cookie).toBeUndefined();

  const code = nextCode(secret);
  const ok = await login('finance', 'finance123', code);
  expect(ok.status).toBe(200);
  expect(ok.cookie).toBeDefined();
  expect(ok.body.user.mfa).toEqual({ required: true, enrolled: true });
  expect((await login('finance', 'finance123', code)).status).toBe(401);

  const rc = await login('finance', 'finance123', recovery[0].toUpperCase().replace('-', ' '));
  expect(rc.status).toBe(200);
  expect((await login('finance', 'finance123', recovery[0])).status).toBe(401);
  expect((await call(ok.cookie, 'GET', '/api/auth/mfa')).body.recoveryCodesLeft).toBe(9);

  const bad = await login('finance', 'finance123', '000000');
  expect(bad.body.error.message).toMatch(/再错 \d 次将锁定/);
  const aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026').catch(() => undefined);
  // auditadmin must enrol too before reading the log: enrol it here.
  const audSession = aud!;
  const a = await call(audSession, 'POST', '/api/auth/mfa/enrol');
  expect((await call(audSession, 'POST', '/api/auth/mfa/confirm', { code: totpAt(a.body.secret, Date.now()) })).status).toBe(200);
  const log = await call(audSession, 'GET', '/api/audit/operations?username=finance&action=login-failed');
  expect(log.status).toBe(200);
  expect(JSON.stringify(log.body)).toContain('动态口令');
  const enrolled = await call(audSession, 'GET', '/api/audit/operations?username=finance&action=mfa-enrol');
  expect(enrolled.body.rows).toHaveLength(1);
  // A business change in the console is logged too, refused ones included.
  expect((await call(ok.cookie, 'POST', '/api/refunds', {})).status).toBe(400);
  const change = await call(audSession, 'GET', '/api/audit/operations?username=finance&action=business-change');
  expect(change.body.rows).toEqual(expect.arrayContaining([expect.objectContaining({ objectType: 'refunds', result: 'refused', detail: expect.stringContaining('POST /api/refunds') })]));
});

test('the security administrator resets a lost authenticator: the sessions end and the user enrols again; a doctor may enrol but need not', async () => {
  // A recovery code (the previous test may have used the latest step the window allows).
  const fin = await login('finance', 'finance123', recovery[1]);
  expect(fin.status).toBe(200);
  const finSession = fin.cookie!;
  expect((await call(finSession, 'GET', '/api/bills')).status).toBe(200);

  const sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  const e = await call(sec, 'POST', '/api/auth/mfa/enrol');
  expect((await call(sec, 'POST', '/api/auth/mfa/confirm', { code: totpAt(e.body.secret, Date.now()) })).status).toBe(200);
  const users = (await call(sec, 'GET', '/api/system/users?q=finance')).body.rows as Array<{ id: number; username: string; mfaEnrolled: boolean }>;
  const f = users.find((u) => u.username === 'finance')!;
  expect(f.mfaEnrolled).toBe(true);
  const reset = await call(sec, 'POST', `/api/system/users/${f.id}/reset-mfa`);
  expect(reset.status).toBe(200);
  expect(reset.body.user.mfaEnrolled).toBe(false);
  expect((await call(finSession, 'GET', '/api/auth/me')).status).toBe(401);
  expect((await call(sec, 'POST', `/api/system/users/${f.id}/reset-mfa`)).status).toBe(409);
  const again = await signIn(p.baseUrl, 'finance', 'finance123');
  expect((await call(again, 'GET', '/api/bills')).body.error.code).toBe('E0009');

  const doc = await signIn(p.baseUrl, 'doctor', 'doctor123');
  expect((await call(doc, 'GET', '/api/auth/me')).body.user.mfa).toEqual({ required: false, enrolled: false });
  expect((await call(doc, 'GET', '/api/refunds/counts')).status).not.toBe(403);
  expect((await call(doc, 'POST', '/api/auth/mfa/enrol')).status).toBe(200);
});
