/**
 * Access follows the job (issue 13 point 1): a matrix of console routes x roles x data scopes on
 * the real stack. Cashiers reach their billing point only (reads and every action, refunds
 * included); doctors and department users only the refunds they are a party to and those
 * refunds' bills; finance, audit and admin the hospital. Patient identity is masked for the roles
 * that do not need it, and the signed text (it holds the full ID number) goes only to roles that
 * act on bills. Out-of-scope reads answer 404, so an id reveals nothing.
 */
import { hashPassword } from '../common/password';
import { User } from '../orm/entities';
import { eventually, startPlatform, type Platform, signIn } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
  const em = p.orm.em.fork();
  // Users the demo seed lacks: a cashier of the inpatient window, an auditor, a cashier with no point.
  const extra = [
    { username: 'acc_zy', displayName: '住院收费员 周敏', roles: 'cashier', placeCode: 'ZY01' },
    { username: 'acc_audit', displayName: '审计 钱审', roles: 'audit' },
    { username: 'acc_nopoint', displayName: '收费员（未分配开票点）', roles: 'cashier' },
  ];
  for (const u of extra) {
    if (await em.findOne(User, { username: u.username })) continue;
    em.create(User, { ...u, passwordHash: await hashPassword(PASSWORD), active: true, createdAt: new Date() } as User);
  }
  await em.flush();
});
afterAll(async () => {
  await p?.stop();
});

const PASSWORD = 'Acc#Pass2026';
const DEMO_PASSWORDS: Record<string, string> = { admin: 'admin123', finance: 'finance123', cashier: 'cashier123', doctor: 'doctor123', doctor2: 'doctor123', dept: 'dept123' };
const cookies = new Map<string, string>();
async function cookieOf(username: string): Promise<string> {
  if (!cookies.has(username)) {
    cookies.set(username, await signIn(p.baseUrl, username, DEMO_PASSWORDS[username] ?? PASSWORD));
  }
  return cookies.get(username)!;
}
async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${p.baseUrl}${path}`, {
    method,
    headers: { cookie: await cookieOf(user), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* a PDF */
  }
  return { status: r.status, body: parsed };
}

async function billId(b: { billBatchCode: string; billNo: string }): Promise<number> {
  const [row] = await p.orm.em.getConnection().execute<Array<{ id: number }>>('select id from bill where bill_batch_code = ? and bill_no = ?', [b.billBatchCode, b.billNo]);
  return row.id;
}
async function issued(overrides: Record<string, unknown>) {
  const b = await p.his.issueOutpatient(overrides);
  const id = await billId(b);
  await eventually(async () => (await call('finance', 'GET', `/api/bills/${id}`)).body.bill?.layoutReady, `layout of bill ${id}`);
  return id;
}

interface Case {
  name: string;
  user: string;
  method: 'GET' | 'POST';
  path: () => string;
  body?: () => unknown;
  status: number;
  check?: (body: any) => void;
}

/** Runs the cases one by one, each reported with its own name when it fails. */
async function walk(cases: Case[]): Promise<number> {
  const failures: string[] = [];
  for (const c of cases) {
    const r = await call(c.user, c.method, c.path(), c.body?.());
    try {
      expect(r.status).toBe(c.status);
      c.check?.(r.body);
    } catch (e) {
      failures.push(`${c.name} [${c.user} ${c.method} ${c.path()}]: got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}\n  ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${cases.length} access cases failed:\n${failures.join('\n')}`);
  return cases.length;
}

const ids = (body: { items: Array<{ id: number }> }) => body.items.map((i) => i.id);
const hasField = (field: string) => (b: any) => expect(b.error.field).toBe(field);

test('a matrix of at least 40 route x role x scope cases holds', async () => {
  // Fixtures: bills at MZ01 (one with a refund naming doctor as the patient's doctor) and at ZY01.
  const mz = await issued({ tel: '13800138000', email: 'zhang.wei@example.com', patientId: '110101199003071233', idCardNo: '110101199003071233', cardType: '1' });
  const mz2 = await issued({});
  const zy = await issued({ placeCode: 'ZY01' });
  const r1 = await call('cashier', 'POST', '/api/refunds', { billId: mz, channel: 'cash', amount: '10.00', reason: '检查未做', doctor: 'doctor' });
  expect(r1.status).toBe(201);
  const rz = await call('acc_zy', 'POST', '/api/refunds', { billId: zy, channel: 'cash', amount: '5.00', reason: '住院退费' });
  expect(rz.status).toBe(201);
  const R1 = r1.body.id as number;
  const RZ = rz.body.id as number;
  let n = 0;

  // Phase 1: who reads which bill, list and PDF.
  n += await walk([
    { name: 'cashier reads another point\'s bill', user: 'cashier', method: 'GET', path: () => `/api/bills/${zy}`, status: 404 },
    { name: 'cashier reads own point\'s bill', user: 'cashier', method: 'GET', path: () => `/api/bills/${mz}`, status: 200 },
    { name: 'ZY01 cashier reads ZY01 bill', user: 'acc_zy', method: 'GET', path: () => `/api/bills/${zy}`, status: 200 },
    { name: 'ZY01 cashier reads MZ01 bill', user: 'acc_zy', method: 'GET', path: () => `/api/bills/${mz}`, status: 404 },
    { name: 'finance reads any point', user: 'finance', method: 'GET', path: () => `/api/bills/${zy}`, status: 200 },
    { name: 'audit reads any point', user: 'acc_audit', method: 'GET', path: () => `/api/bills/${zy}`, status: 200 },
    { name: 'admin reads any point', user: 'admin', method: 'GET', path: () => `/api/bills/${zy}`, status: 200 },
    { name: 'the patient\'s doctor reads the refund\'s bill', user: 'doctor', method: 'GET', path: () => `/api/bills/${mz}`, status: 200 },
    { name: 'another doctor does not', user: 'doctor2', method: 'GET', path: () => `/api/bills/${mz}`, status: 404 },
    { name: 'a doctor reads no bill without a refund of theirs', user: 'doctor', method: 'GET', path: () => `/api/bills/${mz2}`, status: 404 },
    { name: 'department is no party to a self-pay refund', user: 'dept', method: 'GET', path: () => `/api/bills/${mz}`, status: 404 },
    { name: 'a cashier with no point reads nothing', user: 'acc_nopoint', method: 'GET', path: () => `/api/bills/${mz}`, status: 404 },
    {
      name: 'cashier list holds only MZ01',
      user: 'cashier', method: 'GET', path: () => '/api/bills?pageSize=200', status: 200,
      check: (b) => {
        expect(b.items.every((i: { placeCode: string }) => i.placeCode === 'MZ01')).toBe(true);
        expect(ids(b)).toContain(mz);
      },
    },
    { name: 'cashier asks for ZY01 bills', user: 'cashier', method: 'GET', path: () => '/api/bills?placeCode=ZY01', status: 403, check: hasField('placeCode') },
    { name: 'doctor list holds the refund\'s bill', user: 'doctor', method: 'GET', path: () => '/api/bills?pageSize=200', status: 200, check: (b) => expect(ids(b)).toContain(mz) },
    {
      // RZ names no doctor: it is on every doctor's to-do list, so its ZY01 bill is in every doctor's list.
      name: 'doctor list holds the bills of their to-dos and no bill without a refund',
      user: 'doctor', method: 'GET', path: () => '/api/bills?pageSize=200', status: 200,
      check: (b) => {
        expect(ids(b)).not.toContain(mz2);
        expect(ids(b)).toContain(zy);
      },
    },
    { name: 'doctor2 list lacks the bill', user: 'doctor2', method: 'GET', path: () => '/api/bills?pageSize=200', status: 200, check: (b) => expect(ids(b)).not.toContain(mz) },
    { name: 'finance list holds both points', user: 'finance', method: 'GET', path: () => '/api/bills?pageSize=200', status: 200, check: (b) => expect(ids(b)).toEqual(expect.arrayContaining([mz, zy])) },
    { name: 'no-point cashier list is empty', user: 'acc_nopoint', method: 'GET', path: () => '/api/bills', status: 200, check: (b) => expect(b.total).toBe(0) },
    { name: 'cashier PDF of another point', user: 'cashier', method: 'GET', path: () => `/api/bills/${zy}/pdf`, status: 404 },
    { name: 'doctor2 PDF of a bill not theirs', user: 'doctor2', method: 'GET', path: () => `/api/bills/${mz}/pdf`, status: 404 },
    { name: 'doctor PDF of the refund\'s bill', user: 'doctor', method: 'GET', path: () => `/api/bills/${mz}/pdf`, status: 200 },
  ]);

  // Phase 2: what a bill page discloses to each role.
  const clear = (b: any) => {
    expect(b.bill.tel).toBe('13800138000');
    expect(b.bill.email).toBe('zhang.wei@example.com');
    expect(b.bill.patientId).toBe('110101199003071233');
    expect(b.bill.signature.signedData).toContain('110101199003071233');
  };
  const masked = (b: any) => {
    expect(b.bill.tel).toBe('138****8000');
    expect(b.bill.email).toBe('z***@example.com');
    expect(b.bill.patientId).toBe('**************1233');
    expect(b.bill.identityMasked).toBe(true);
    expect(b.bill.signature.signedData).toBeUndefined();
    expect(b.bill.signature.valid).toBe(true);
    expect(JSON.stringify(b)).not.toContain('110101199003071233');
    expect(JSON.stringify(b)).not.toContain('13800138000');
  };
  n += await walk([
    { name: 'cashier sees the patient in clear', user: 'cashier', method: 'GET', path: () => `/api/bills/${mz}`, status: 200, check: clear },
    { name: 'finance sees the patient in clear', user: 'finance', method: 'GET', path: () => `/api/bills/${mz}`, status: 200, check: clear },
    { name: 'doctor sees masked identity and no signed text', user: 'doctor', method: 'GET', path: () => `/api/bills/${mz}`, status: 200, check: masked },
    { name: 'audit sees masked identity and no signed text', user: 'acc_audit', method: 'GET', path: () => `/api/bills/${mz}`, status: 200, check: masked },
  ]);

  // Phase 3: actions on bills outside the scope.
  n += await walk([
    { name: 'cashier starts a refund on another point\'s bill', user: 'cashier', method: 'POST', path: () => '/api/refunds', body: () => ({ billId: zy, channel: 'cash', amount: '1.00', reason: '越权' }), status: 404, check: hasField('billId') },
    { name: 'a doctor cannot start a window refund', user: 'doctor', method: 'POST', path: () => '/api/refunds', body: () => ({ billId: mz, channel: 'cash', amount: '1.00', reason: '越权' }), status: 403 },
    { name: 'cashier reverses another point\'s bill', user: 'cashier', method: 'POST', path: () => `/api/bills/${zy}/write-off`, body: () => ({ reason: '越权' }), status: 404 },
    { name: 'doctor reverses the bill they may read', user: 'doctor', method: 'POST', path: () => `/api/bills/${mz}/write-off`, body: () => ({ reason: '越权' }), status: 403 },
    { name: 'cashier partial refund at another point', user: 'cashier', method: 'POST', path: () => `/api/bills/${zy}/partial-refund`, body: () => ({ reason: '越权', items: [{ sortNo: 1, amt: '1.00' }] }), status: 404 },
    { name: 'cashier resends another point\'s notice', user: 'cashier', method: 'POST', path: () => `/api/bills/${zy}/notices/resend`, body: () => ({ channel: 'sms' }), status: 404 },
    { name: 'cashier prints another point\'s notice slip', user: 'cashier', method: 'GET', path: () => `/api/bills/${zy}/notice-slip`, status: 404 },
    { name: 'cashier reads another point\'s paper state', user: 'cashier', method: 'GET', path: () => `/api/bills/${zy}/paper`, status: 404 },
    { name: 'cashier exchanges another point\'s bill for paper', user: 'cashier', method: 'POST', path: () => `/api/bills/${zy}/paper/exchange`, body: () => ({}), status: 404 },
    { name: 'cashier asks for another point\'s paper stock', user: 'cashier', method: 'GET', path: () => '/api/paper/stock?placeCode=ZY01', status: 403, check: hasField('placeCode') },
  ]);

  // Phase 4: refunds: reads, comments and the lists.
  n += await walk([
    { name: 'cashier reads another point\'s refund', user: 'cashier', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 404 },
    { name: 'cashier comments on another point\'s refund', user: 'cashier', method: 'POST', path: () => `/api/refunds/${RZ}/actions`, body: () => ({ action: 'comment', comment: '越权评论' }), status: 404 },
    { name: 'ZY01 cashier reads own refund', user: 'acc_zy', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 200 },
    { name: 'the named doctor reads R1', user: 'doctor', method: 'GET', path: () => `/api/refunds/${R1}`, status: 200 },
    { name: 'another doctor reads R1', user: 'doctor2', method: 'GET', path: () => `/api/refunds/${R1}`, status: 404 },
    { name: 'another doctor comments on R1', user: 'doctor2', method: 'POST', path: () => `/api/refunds/${R1}/actions`, body: () => ({ action: 'comment', comment: '越权评论' }), status: 404 },
    { name: 'department reads R1', user: 'dept', method: 'GET', path: () => `/api/refunds/${R1}`, status: 404 },
    { name: 'any doctor reads RZ while it waits for any doctor', user: 'doctor2', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 200 },
    { name: 'finance reads any refund', user: 'finance', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 200 },
    { name: 'audit reads any refund', user: 'acc_audit', method: 'GET', path: () => `/api/refunds/${R1}`, status: 200 },
    { name: 'cashier may not list all refunds', user: 'cashier', method: 'GET', path: () => '/api/refunds?box=all', status: 403 },
    { name: 'audit lists all refunds', user: 'acc_audit', method: 'GET', path: () => '/api/refunds?box=all', status: 200, check: (b) => expect(ids(b)).toEqual(expect.arrayContaining([R1, RZ])) },
  ]);

  // Phase 5: the scope moves with the process. doctor decides RZ; doctor2 loses it, doctor keeps it
  // (decided), and its bill; at the window, only a ZY01 cashier may confirm the cash payout.
  let d = (await call('doctor', 'GET', `/api/refunds/${RZ}`)).body;
  d = (await call('doctor', 'POST', `/api/refunds/${RZ}/actions`, { action: 'approve', version: d.version, comment: '同意' })).body;
  expect(d.currentStep.key).toBe('finance');
  d = (await call('finance', 'POST', `/api/refunds/${RZ}/actions`, { action: 'approve', version: d.version, comment: '同意' })).body;
  await eventually(async () => (await call('finance', 'GET', `/api/refunds/${RZ}`)).body.state === 'awaiting_cashier', 'RZ waits for the cashier');
  const version = (await call('finance', 'GET', `/api/refunds/${RZ}`)).body.version;
  n += await walk([
    { name: 'doctor2 still reads RZ (it was on their to-do) but may not act', user: 'doctor2', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 200, check: (b) => expect(b.actions).toEqual(['comment']) },
    { name: 'department never had RZ', user: 'dept', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 404 },
    { name: 'doctor keeps RZ (decided it)', user: 'doctor', method: 'GET', path: () => `/api/refunds/${RZ}`, status: 200 },
    { name: 'doctor now reads RZ\'s bill at ZY01', user: 'doctor', method: 'GET', path: () => `/api/bills/${zy}`, status: 200, check: (b) => expect(b.bill.signature.signedData).toBeUndefined() },
    { name: 'doctor2 does not read RZ\'s bill', user: 'doctor2', method: 'GET', path: () => `/api/bills/${zy}`, status: 404 },
    { name: 'MZ01 cashier confirms ZY01 cash payout', user: 'cashier', method: 'POST', path: () => `/api/refunds/${RZ}/actions`, body: () => ({ action: 'cashier_confirm', version, voucherNo: 'XJ-9' }), status: 404 },
    { name: 'no-point cashier confirms it', user: 'acc_nopoint', method: 'POST', path: () => `/api/refunds/${RZ}/actions`, body: () => ({ action: 'cashier_confirm', version, voucherNo: 'XJ-9' }), status: 404 },
    { name: 'MZ01 cashier has no such to-do', user: 'cashier', method: 'GET', path: () => '/api/refunds?box=todo', status: 200, check: (b) => expect(ids(b)).not.toContain(RZ) },
    { name: 'ZY01 cashier has it on the to-do list', user: 'acc_zy', method: 'GET', path: () => '/api/refunds?box=todo', status: 200, check: (b) => expect(ids(b)).toContain(RZ) },
    { name: 'ZY01 cashier confirms', user: 'acc_zy', method: 'POST', path: () => `/api/refunds/${RZ}/actions`, body: () => ({ action: 'cashier_confirm', version, voucherNo: 'XJ-9' }), status: 200 },
  ]);
  expect(n).toBeGreaterThanOrEqual(40);
  const refused = await p.orm.em.getConnection().execute<Array<{ n: number }>>("select count(*) as n from refund_action where comment = '越权评论'");
  expect(Number(refused[0].n)).toBe(0);
});

test('reports follow the point: a cashier gets their own point and is refused another', async () => {
  const list = (await call('cashier', 'GET', '/api/reports')).body.reports as Array<{ id: string; params: Array<{ key?: string; name?: string }> }>;
  const report = list.find((r) => JSON.stringify(r.params).includes('placeCode'));
  expect(report).toBeDefined();
  const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const other = await call('cashier', 'GET', `/api/reports/${report!.id}?dateFrom=${day}&dateTo=${day}&placeCode=ZY01`);
  expect(other.status).toBe(403);
  expect(other.body.error.field).toBe('placeCode');
  expect((await call('cashier', 'GET', `/api/reports/${report!.id}?dateFrom=${day}&dateTo=${day}&placeCode=MZ01`)).status).toBe(200);
  expect((await call('finance', 'GET', `/api/reports/${report!.id}?dateFrom=${day}&dateTo=${day}&placeCode=ZY01`)).status).toBe(200);
});
