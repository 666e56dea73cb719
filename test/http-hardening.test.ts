/**
 * HTTP hardening (api/security.ts): security headers on the API, the console and the H5 page;
 * console writes JSON-only and from this origin only. The browser tests (test/*.browser.test.ts)
 * run the console under the same Content-Security-Policy.
 */
import { CONTENT_SECURITY_POLICY } from '../api/security';
import { startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const login = (headers: Record<string, string>, body: string) => fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers, body });
const creds = JSON.stringify({ username: 'finance', password: 'finance123' });

test('the API, the console and the H5 page answer with the security headers', async () => {
  const bill = await p.his.issueOutpatient();
  const paths = ['/api/auth/me', '/console/', `/h5/bill/${bill.billBatchCode}/${bill.billNo}?random=${bill.random}`, '/h5/bill/00000000/0000000000?random=zzzzzz', '/health'];
  for (const path of paths) {
    const r = await fetch(`${p.baseUrl}${path}`);
    expect([path, r.headers.get('content-security-policy')]).toEqual([path, CONTENT_SECURITY_POLICY]);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('strict-transport-security')).toBeNull(); // plain HTTP here: no HSTS
  }
  expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'self'");
  expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
  // Behind a proxy that is not trusted, X-Forwarded-Proto does not make it HTTPS.
  const forged = await fetch(`${p.baseUrl}/api/auth/me`, { headers: { 'x-forwarded-proto': 'https' } });
  expect(forged.headers.get('strict-transport-security')).toBeNull();
});

test('console writes: JSON only (415), and a foreign Origin is refused (403) before anything runs', async () => {
  const plain = await login({ 'content-type': 'text/plain' }, creds);
  expect(plain.status).toBe(415);
  expect(((await plain.json()) as { error: { field: string } }).error.field).toBe('Content-Type');
  const form = await login({ 'content-type': 'application/x-www-form-urlencoded' }, 'username=finance&password=finance123');
  expect(form.status).toBe(415);
  const foreign = await login({ 'content-type': 'application/json', origin: 'https://evil.example' }, creds);
  expect(foreign.status).toBe(403);
  expect(((await foreign.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'E0005', field: 'Origin' });
  expect(foreign.headers.getSetCookie()).toEqual([]); // not signed in
  // The same request from the API's own origin, or without an Origin (a machine client), signs in.
  const own = await login({ 'content-type': 'application/json', origin: new URL(p.baseUrl).origin }, creds);
  expect(own.status).toBe(200);
  const none = await login({ 'content-type': 'application/json' }, creds);
  expect(none.status).toBe(200);
  // The HIS interface is outside /api/ and keeps its own rules (a signed envelope).
  const his = await p.hisClient.call('getBillByBusDate', { busDate: '20261203', placeCode: 'MZ01' }).catch((e: Error) => ({ result: e.message }));
  expect(his.result).not.toBe('E0005');
});
