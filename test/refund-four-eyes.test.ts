/**
 * Four eyes in refunds (issue 14, point 2) through the console API on the real stack: one person
 * holding two deciding roles decides one step only; the applicant decides no step of their own
 * request; nobody overrides the chain.
 */
import { startPlatform, signIn, type Platform } from './harness';
import { User } from '../orm/entities';
import { hashPassword } from '../common/password';

let p: Platform;
const PASSWORDS: Record<string, string> = { finance: 'finance123', cashier: 'cashier123', doctor: 'doctor123', admin: 'admin123' };

beforeAll(async () => {
  p = await startPlatform();
  const em = p.orm.em.fork();
  for (const u of [
    { username: 'docfin', displayName: '医生兼财务 周明', roles: 'doctor,finance' },
    { username: 'cashfin', displayName: '收费兼财务 吴芳', roles: 'cashier,finance', placeCode: 'MZ01' },
    { username: 'onlyadmin', displayName: '仅管理员 郑强', roles: 'admin' },
  ]) {
    em.create(User, { ...u, passwordHash: await hashPassword('FourEyes#2026'), active: true, mustChangePassword: false, passwordChangedAt: new Date(), createdAt: new Date() });
    PASSWORDS[u.username] = 'FourEyes#2026';
  }
  await em.flush();
});
afterAll(async () => {
  await p?.stop();
});

const tokens = new Map<string, string>();
async function api<T = Record<string, any>>(user: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  if (!tokens.has(user)) tokens.set(user, await signIn(p.baseUrl, user, PASSWORDS[user]));
  const r = await fetch(`${p.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie: tokens.get(user)!, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as T };
}
const detail = async (user: string, id: number) => (await api(user, `/api/refunds/${id}`)).body;
const act = (user: string, id: number, body: Record<string, unknown>) => api(user, `/api/refunds/${id}/actions`, body);
const todo = async (user: string) => (await api(user, '/api/refunds?box=todo')).body.items.map((i: { id: number }) => i.id) as number[];

async function cashRefund(applicant: string): Promise<number> {
  const bill = await p.his.issueOutpatient({});
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from bill where bill_batch_code = ? and bill_no = ?', [bill.billBatchCode, bill.billNo]);
  const r = await api(applicant, '/api/refunds', { billId: row.id, channel: 'cash', amount: '1.00', reason: '四眼原则测试' });
  expect(r.status).toBe(201);
  return r.body.id as number;
}

test('one person holding doctor and finance decides the doctor step and is refused the finance step; another finance user approves', async () => {
  const id = await cashRefund('cashier');
  let d = await detail('docfin', id);
  expect(d.actions).toContain('approve');
  expect((await act('docfin', id, { action: 'approve', version: d.version, comment: '同意' })).status).toBe(200);
  d = await detail('docfin', id);
  expect(d.state).toBe('approving');
  expect(d.currentStep?.name).toBe('计财科审核');
  expect(d.actions).not.toContain('approve');
  expect(await todo('docfin')).not.toContain(id);
  const refused = await act('docfin', id, { action: 'approve', version: d.version, comment: '同意' });
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('E0092');
  expect(refused.body.error.message).toContain('同一人不能审批同一退费申请的两个环节（四眼原则）');
  expect((await act('docfin', id, { action: 'return', version: d.version, toStep: 0, comment: '退回' })).status).toBe(409);
  // A user holding only the old all-powerful admin role does not override the chain any more: the role grants nothing.
  expect((await act('onlyadmin', id, { action: 'approve', version: d.version, comment: '管理员' })).status).toBe(403);
  expect(await todo('finance')).toContain(id);
  expect((await act('finance', id, { action: 'approve', version: d.version, comment: '财务同意' })).status).toBe(200);
  expect((await detail('finance', id)).state).toBe('awaiting_cashier');
});

test('after a return the decider may decide the same step again, not the step of the one who returned it', async () => {
  const id = await cashRefund('cashier');
  let d = await detail('docfin', id);
  expect((await act('docfin', id, { action: 'approve', version: d.version, comment: '同意' })).status).toBe(200);
  d = await detail('finance', id);
  expect((await act('finance', id, { action: 'return', version: d.version, toStep: 0, comment: '请核实' })).status).toBe(200);
  d = await detail('docfin', id);
  expect(d.currentStep?.name).toBe('门诊医生审核');
  expect(d.actions).toContain('approve');
  expect((await act('docfin', id, { action: 'approve', version: d.version, comment: '已核实' })).status).toBe(200);
  d = await detail('finance', id);
  expect((await act('docfin', id, { action: 'approve', version: d.version, comment: '同意' })).status).toBe(409);
  expect((await act('finance', id, { action: 'approve', version: d.version, comment: '财务同意' })).status).toBe(200);
});

test('the applicant (a cashier also holding finance) is refused approving their own request', async () => {
  const id = await cashRefund('cashfin');
  let d = await detail('doctor', id);
  expect((await act('doctor', id, { action: 'approve', version: d.version, comment: '同意' })).status).toBe(200);
  d = await detail('cashfin', id);
  expect(d.actions).not.toContain('approve');
  expect(await todo('cashfin')).not.toContain(id);
  const refused = await act('cashfin', id, { action: 'approve', version: d.version, comment: '同意' });
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toContain('申请人不能审批自己发起的退费申请');
  expect((await act('finance', id, { action: 'approve', version: d.version, comment: '财务同意' })).status).toBe(200);
  // The applicant cashier still pays back at the window.
  d = await detail('cashfin', id);
  expect(d.state).toBe('awaiting_cashier');
  expect(d.actions).toContain('cashier_confirm');
});
