/**
 * System management (issue 14 points 1-2) on the real stack and its database:
 * - the security administrator manages users (create with a one-time password, edit, deactivate,
 *   reset, unlock, sessions) and roles; the system and audit administrators and business users
 *   get 403 there, and the security administrator gets 403 in business processes (三员分立);
 * - an administrator role is held alone, a role holds only its kind's permissions, the built-in
 *   administrator roles keep theirs, nobody edits their own account;
 * - a role's permissions and a user's data scope (a campus covers its nested points) take effect
 *   on the user's next request; the HIS cashier mapping names active users only;
 * - bad input answers 400 naming the field, never a 5xx.
 * Own platform: it adds users, a campus and moves a billing point under it.
 */
import { apiCall, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

const call = async (cookie: string | undefined, method: string, path: string, body?: unknown) => {
  const a = await apiCall(p.baseUrl, cookie, method, path, body);
  // An error answer is {error: {code, message, field}}: its fields are read as the body's.
  return { ...a, body: a.body && typeof a.body === 'object' && a.body.error && typeof a.body.error === 'object' ? a.body.error : a.body };
};
const get = (c: string | undefined, path: string) => call(c, 'GET', path);
const post = (c: string | undefined, path: string, body: unknown = {}) => call(c, 'POST', path, body);
const put = (c: string | undefined, path: string, body: unknown) => call(c, 'PUT', path, body);

let sec: string;
let sys: string;
let aud: string;
let cashier: string;
beforeAll(async () => {
  sec = await signIn(p.baseUrl, 'secadmin', 'Secadmin#2026');
  sys = await signIn(p.baseUrl, 'sysadmin', 'Sysadmin#2026');
  aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');
  cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
});

/** Signs in with a one-time password, sets a new one, and returns the session. */
async function firstSignIn(username: string, once: string, newPassword = 'Xin#Mima2026q'): Promise<string> {
  const c = await signIn(p.baseUrl, username, once);
  expect((await get(c, '/api/bills')).body.code).toBe('E0008');
  expect((await post(c, '/api/auth/password', { currentPassword: once, newPassword })).status).toBe(200);
  return c;
}

const userId = async (username: string): Promise<number> => {
  const r = await get(sec, `/api/system/users?q=${username}`);
  return r.body.rows.find((u: { username: string }) => u.username === username).id;
};

test('the demo has one user for each administrator, each holding that role alone; the all-round demo user holds no administrator role', async () => {
  const r = await get(sec, '/api/system/users?pageSize=100');
  expect(r.status).toBe(200);
  const by = (n: string) => r.body.rows.find((u: { username: string }) => u.username === n);
  expect(by('sysadmin').roles).toEqual(['sysadmin']);
  expect(by('secadmin').roles).toEqual(['secadmin']);
  expect(by('auditadmin').roles).toEqual(['auditadmin']);
  expect(by('admin').roles).toEqual(['finance', 'cashier', 'audit']);
  expect(by('cashier')).toMatchObject({ placeCode: 'MZ01', active: true, locked: false });
  expect(by('cashier').sessions).toBeGreaterThanOrEqual(1);
  expect(r.body.rows.every((u: Record<string, unknown>) => !('passwordHash' in u))).toBe(true);
});

test('三员分立: only the security administrator manages users and roles; the administrators cannot act in business processes', async () => {
  for (const c of [sys, aud, cashier]) {
    const r = await get(c, '/api/system/users');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('E0005');
    expect(r.body.message).toContain('用户管理');
  }
  expect((await post(sys, '/api/system/roles', { code: 'x1', name: 'x', permissions: [] })).status).toBe(403);
  // The security administrator: no refund, no reversal, no report; the system administrator: no money either.
  const bill = await p.his.issueOutpatient();
  const [row] = (await p.orm.em.fork().getConnection().execute('select id from bill where bus_no = ?', [bill.busNo])) as Array<{ id: number }>;
  for (const c of [sec, sys, aud]) {
    expect((await post(c, `/api/bills/${row.id}/write-off`, { reason: '测试' })).status).toBe(403);
    expect((await post(c, '/api/refunds', { billId: row.id })).status).toBe(403);
    expect((await get(c, '/api/reports/bills-by-place/export?dateFrom=2026-12-01&dateTo=2026-12-01')).status).toBe(403);
  }
  // The system administrator keeps configuration: billing points.
  expect((await post(sys, '/api/stock/points', { code: 'SYS01', name: '系统管理员新建开票点' })).status).toBe(200);
  expect((await post(sec, '/api/stock/points', { code: 'SEC01', name: 'x' })).status).toBe(403);
  // The audit administrator reads the other administrators' actions: the new point as it was saved, and the refusal.
  const seen = await get(aud, '/api/audit/operations?action=business-change&objectType=stock');
  expect(seen.body.rows).toEqual(expect.arrayContaining([
    expect.objectContaining({ username: 'sysadmin', result: 'ok', objectId: 'points', after: expect.objectContaining({ code: 'SYS01' }) }),
    expect.objectContaining({ username: 'secadmin', result: 'refused', after: null }),
  ]));
  // What each one's console shows comes from the server's permissions.
  const me = async (c: string) => (await get(c, '/api/auth/me')).body.user;
  expect((await me(sec)).permissions).toEqual(expect.arrayContaining(['menu:system-users', 'user:edit', 'role:edit']));
  expect((await me(sec)).permissions).not.toContain('menu:bills');
  expect((await me(aud)).permissions.every((c: string) => /^(menu:audit-|exchange:|log:)/.test(c))).toBe(true);
  expect((await me(sys)).permissions).not.toContain('bill:write-off');
  // The second factor is off in the shared test settings (MEDBILL_MFA_ENFORCE=0); test/mfa.test.ts has it on.
  expect((await me(sec)).mfa).toEqual({ required: false, enrolled: false });
});

test('a new user gets a one-time password, must change it, then works with the role\'s permissions; deactivation ends the session', async () => {
  const r = await post(sec, '/api/system/users', { username: 'newcash', displayName: '新收费员 陈晨', roles: ['cashier'], placeCode: 'MZ01' });
  expect(r.status).toBe(201);
  expect(r.body.initialPassword).toMatch(/^.{12}$/);
  expect(r.body.user).toMatchObject({ username: 'newcash', roles: ['cashier'], roleNames: ['收费员'], mustChangePassword: true });
  const c = await firstSignIn('newcash', r.body.initialPassword);
  const me = (await get(c, '/api/auth/me')).body.user;
  expect(me.permissions).toContain('bill:write-off');
  expect(me.permissions).not.toContain('user:edit');
  expect(me.scope).toEqual({ kind: 'points', points: ['MZ01'] });
  expect((await get(c, '/api/bills')).status).toBe(200);
  expect((await get(c, '/api/system/users')).status).toBe(403);

  const again = await post(sec, '/api/system/users', { username: 'newcash', displayName: 'x', roles: ['cashier'] });
  expect(again.status).toBe(409);
  expect(again.body.message).toContain('已存在');

  const id = await userId('newcash');
  const off = await post(sec, `/api/system/users/${id}/deactivate`);
  expect(off.body.user.active).toBe(false);
  expect((await get(c, '/api/auth/me')).status).toBe(401);
  const refused = await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'newcash', password: 'Xin#Mima2026q' }) });
  expect(refused.status).toBe(401);
  expect((await post(sec, `/api/system/users/${id}/activate`)).body.user.active).toBe(true);
  const reset = await post(sec, `/api/system/users/${id}/reset-password`);
  expect(reset.status).toBe(200);
  await firstSignIn('newcash', reset.body.initialPassword, 'Zweit#Mima2026q');
});

test('a lock after wrong passwords shows in the user list and the security administrator lifts it; sessions can be ended', async () => {
  const r = await post(sec, '/api/system/users', { username: 'lockme', displayName: '锁定测试', roles: ['doctor'] });
  const c = await firstSignIn('lockme', r.body.initialPassword, 'Lock#me2026xyz');
  for (let i = 0; i < 5; i++) await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'lockme', password: 'wrong-password' }) });
  const id = await userId('lockme');
  const locked = (await get(sec, `/api/system/users/${id}`)).body.user;
  expect(locked.locked).toBe(true);
  expect(locked.sessions).toBe(1);
  expect((await get(sec, `/api/system/users/${id}/sessions`)).body.sessions).toHaveLength(1);
  const unlocked = await post(sec, `/api/system/users/${id}/unlock`);
  expect(unlocked).toMatchObject({ status: 200, body: { user: { locked: false } } });
  expect((await signIn(p.baseUrl, 'lockme', 'Lock#me2026xyz')).length).toBeGreaterThan(10);
  const ended = await post(sec, `/api/system/users/${id}/revoke-sessions`);
  expect(ended.body.revoked).toBe(2);
  expect((await get(c, '/api/auth/me')).status).toBe(401);
});

test('三员分立 rules: an administrator role is held alone, a role holds only its kind\'s permissions, built-in administrator roles are fixed, nobody edits their own account', async () => {
  const two = await post(sec, '/api/system/users', { username: 'twohats', displayName: '兼职', roles: ['secadmin', 'cashier'] });
  expect(two.status).toBe(409);
  expect(two.body).toMatchObject({ code: 'E0013', field: 'roles' });
  expect(two.body.message).toContain('三员分立');
  const grab = await post(sec, '/api/system/roles', { code: 'superclerk', name: '超级收费员', permissions: ['menu:bills', 'user:edit'] });
  expect(grab.status).toBe(409);
  expect(grab.body.message).toContain('新增/修改/停用用户');
  const widen = await put(sec, '/api/system/roles/sysadmin', { permissions: ['menu:points', 'point:edit', 'bill:write-off'] });
  expect(widen.status).toBe(409);
  const narrow = await put(sec, '/api/system/roles/secadmin', { permissions: ['menu:system-users'] });
  expect(narrow.status).toBe(409);
  expect(narrow.body.message).toContain('固定');
  const self = await put(sec, `/api/system/users/${await userId('secadmin')}`, { displayName: '给自己改名' });
  expect(self.status).toBe(409);
  expect(self.body.message).toContain('自己');
  expect((await post(sec, `/api/system/users/${await userId('secadmin')}/deactivate`)).status).toBe(409);
  expect((await post(sec, '/api/system/roles', { code: 'auditadmin2', name: '第二审计', kind: 'auditadmin', permissions: [] })).status).toBe(400);
  expect((await call(sec, 'DELETE', '/api/system/roles/cashier')).status).toBe(409);
});

test('a role edited in the console changes what its holders may do on their next request; a role in use is not deleted', async () => {
  const role = await post(sec, '/api/system/roles', { code: 'reviewer', name: '票据查阅', permissions: ['report:export'] });
  expect(role.status).toBe(201);
  // A button brings its menu.
  expect(role.body.role.permissions).toEqual(['menu:reports', 'report:export']);
  const u = await post(sec, '/api/system/users', { username: 'reader1', displayName: '查阅员', roles: ['reviewer'], scope: { kind: 'hospital' } });
  const c = await firstSignIn('reader1', u.body.initialPassword);
  expect((await get(c, '/api/reports')).body.reports.length).toBeGreaterThan(0);
  expect((await get(c, '/api/reports/bills-by-place/export?dateFrom=2026-12-01&dateTo=2026-12-01')).status).not.toBe(403);
  expect((await put(sec, '/api/system/roles/reviewer', { permissions: ['menu:bills'] })).status).toBe(200);
  expect((await get(c, '/api/reports/bills-by-place/export?dateFrom=2026-12-01&dateTo=2026-12-01')).status).toBe(403);
  expect((await get(c, '/api/auth/me')).body.user.permissions).toEqual(['menu:bills']);
  const del = await call(sec, 'DELETE', '/api/system/roles/reviewer');
  expect(del.status).toBe(409);
  expect(del.body.message).toContain('1 位用户');
  const roles = (await get(sec, '/api/system/roles')).body.rows;
  expect(roles.find((r: { code: string }) => r.code === 'reviewer')).toMatchObject({ users: 1, builtin: false, kind: 'business' });
  expect(roles.find((r: { code: string }) => r.code === 'finance')).toMatchObject({ builtin: true, kindName: '业务角色' });
});

test('data scope by campus covers the billing points nested below it; a scope naming a point as a campus is refused', async () => {
  expect((await post(sys, '/api/stock/points', { code: 'YQ01', name: '本部院区', kind: 'campus' })).status).toBe(200);
  expect((await put(sys, '/api/stock/points/MZ01', { parentCode: 'YQ01' })).status).toBe(200);
  const tree = (await get(sec, '/api/system/points')).body.rows;
  expect(tree.find((t: { code: string }) => t.code === 'MZ01')).toMatchObject({ parentCode: 'YQ01', kind: 'point' });
  expect(tree.find((t: { code: string }) => t.code === 'YQ01')).toMatchObject({ kind: 'campus' });

  const bad = await post(sec, '/api/system/users', { username: 'campus0', displayName: '院区', roles: ['cashier'], scope: { kind: 'campus', campuses: ['MZ01'] } });
  expect(bad.status).toBe(400);
  expect(bad.body.field).toBe('scope.campuses');
  const u = await post(sec, '/api/system/users', { username: 'campus1', displayName: '院区收费组长', roles: ['cashier'], scope: { kind: 'campus', campuses: ['YQ01'] } });
  expect(u.status).toBe(201);
  const c = await firstSignIn('campus1', u.body.initialPassword);
  expect((await get(c, '/api/auth/me')).body.user.scope).toEqual({ kind: 'points', points: ['MZ01', 'YQ01'] });
  const mz = await p.his.issueOutpatient();
  const zy = await p.his.issueOutpatient({ placeCode: 'ZY01' });
  const list = (await get(c, '/api/bills?pageSize=100')).body.items.map((b: { busNo: string }) => b.busNo);
  expect(list).toContain(mz.busNo);
  expect(list).not.toContain(zy.busNo);
  expect((await get(c, '/api/bills?placeCode=ZY01')).status).toBe(403);
  // Back to the role's default (its own point: none).
  const id = await userId('campus1');
  expect((await put(sec, `/api/system/users/${id}`, { scope: null })).body.user.scope).toBeNull();
  expect((await get(c, '/api/auth/me')).body.user.scope).toEqual({ kind: 'points', points: [] });
});

test('开票员: HIS cashier codes map to active users only', async () => {
  const ok = await put(sec, '/api/system/collectors', { rows: [{ hisCode: 'SF001', hisName: '李敏', username: 'cashier' }, { hisCode: 'SF002', username: 'admin' }] });
  expect(ok.status).toBe(200);
  expect(ok.body.rows).toEqual([
    expect.objectContaining({ hisCode: 'SF001', username: 'cashier', displayName: '门诊收费员 李敏' }),
    expect.objectContaining({ hisCode: 'SF002', username: 'admin' }),
  ]);
  const unknown = await put(sec, '/api/system/collectors', { rows: [{ hisCode: 'SF003', username: 'nobody' }] });
  expect(unknown.status).toBe(400);
  expect(unknown.body.field).toBe('rows[0].username');
  const dup = await put(sec, '/api/system/collectors', { rows: [{ hisCode: 'SF1', username: 'cashier' }, { hisCode: 'SF1', username: 'admin' }] });
  expect(dup.body.field).toBe('rows[1].hisCode');
  expect((await get(sec, '/api/system/collectors')).body.rows).toHaveLength(2);
  expect((await put(cashier, '/api/system/collectors', { rows: [] })).status).toBe(403);
});

test('bad input answers 400 naming the field, in Chinese, never a 5xx', async () => {
  const cases: Array<[unknown, string]> = [
    [{ username: 'a', displayName: 'x', roles: ['cashier'] }, 'username'],
    [{ username: 'x'.repeat(40), displayName: 'x', roles: ['cashier'] }, 'username'],
    [{ username: 'okname', displayName: '', roles: ['cashier'] }, 'displayName'],
    [{ username: 'okname', displayName: 'x', roles: 'cashier' }, 'roles'],
    [{ username: 'okname', displayName: 'x', roles: ['nosuchrole'] }, 'roles'],
    [{ username: 'okname', displayName: 'x', roles: ['cashier'], placeCode: 'NOPE' }, 'placeCode'],
    [{ username: 'okname', displayName: 'x', roles: ['cashier'], scope: { kind: 'galaxy' } }, 'scope.kind'],
    [{ username: 'okname', displayName: 'x', roles: ['cashier'], scope: { kind: 'points', points: [] } }, 'scope.points'],
    [{ username: 'okname', displayName: 'x', roles: ['cashier'], password: 'chosen' }, 'password'],
    [[1, 2], ''],
  ];
  for (const [body, field] of cases) {
    const r = await post(sec, '/api/system/users', body);
    expect([r.status, r.body.field ?? '']).toEqual([400, field]);
    expect(r.body.message).toMatch(/[\u4e00-\u9fa5]/);
  }
  expect((await get(sec, '/api/system/users?pageSize=1000')).status).toBe(400);
  expect((await get(sec, '/api/system/users/abc')).status).toBe(400);
  expect((await get(sec, '/api/system/users/999999')).status).toBe(404);
  expect((await put(sec, '/api/system/roles/nosuch', { name: 'x' })).status).toBe(404);
  expect((await get(sec, '/api/system/users?q=okname')).body.total).toBe(0);
});
