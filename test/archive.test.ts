/**
 * The e-bill archive (票据档案, issue 15 point 3) on the real stack: bills issued through the HIS
 * interface become archival packages when the `archive-check` schedule runs (MEDBILL_ARCHIVE_AFTER_DAYS=0:
 * due as soon as their layout file exists), each passes the 四性 checks and the console counts them
 * by class; a package file tampered with on disk is named by the next run, which opens the to-do;
 * every access is in the operation log; destruction is refused before the retention ends and for
 * the proposer, approved by another person, and the register keeps both.
 * Own platform: the test tampers with the archive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';
import { ARCHIVE_CHECK_SCHEDULE, triggerSchedule } from '../temporal/schedules';
import { busDateTime } from '../sim/his/client';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_ARCHIVE_AFTER_DAYS: '0' }, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

const sql = <T = any>(q: string, params: unknown[] = []): Promise<T> => p.orm.em.getConnection().execute(q, params) as unknown as Promise<T>;
const get = (c: string, path: string) => apiCall(p.baseUrl, c, 'GET', path);
const post = (c: string, path: string, body: unknown = {}) => apiCall(p.baseUrl, c, 'POST', path, body);

let fin: string;
let admin: string;
let bills: Array<{ billBatchCode: string; billNo: string }>;
let packages: Array<Record<string, any>>;

/** Triggers the schedule and waits for the scheduled (定期检测) run that starts after the call. */
async function runCheck(): Promise<Record<string, any>> {
  const before = Math.max(0, ...((await get(fin, '/api/archive/runs')).body.runs as Array<{ id: number }>).map((r) => r.id));
  await triggerSchedule(p.client, ARCHIVE_CHECK_SCHEDULE.id);
  const run = await eventually(async () => {
    const runs = (await get(fin, '/api/archive/runs')).body.runs as Array<Record<string, any>>;
    return runs.find((r) => r.id > before && r.trigger === 'schedule' && r.finishedAt);
  }, 'a finished 四性 check run', 120_000);
  return (await get(fin, `/api/archive/runs/${run.id}`)).body;
}

test('issued bills are archived by the schedule; every package passes the 四性 checks and is counted by class', async () => {
  fin = await signIn(p.baseUrl, 'finance', 'finance123');
  admin = await signIn(p.baseUrl, 'admin', 'admin123');
  bills = [];
  for (let i = 0; i < 3; i++) bills.push(await p.his.issueOutpatient());
  await eventually(async () => {
    const rows = await sql<Array<{ n: number }>>(`select count(*) as n from bill where layout_path is not null and bill_no in (${bills.map(() => '?').join(',')})`, bills.map((b) => b.billNo));
    return Number(rows[0].n) === 3;
  }, 'the layout files of the three bills');

  const run = await runCheck();
  expect(run.checked).toBeGreaterThanOrEqual(3);
  expect(run.failures).toEqual([]);
  expect(run.failed).toBe(0);
  expect(run.passed).toBe(run.checked);
  expect(run.triggerName).toBe('定期检测');

  const list = await get(fin, '/api/archive/packages?state=archived&pageSize=100');
  expect(list.status).toBe(200);
  packages = (list.body.rows as Array<Record<string, any>>).filter((r) => bills.some((b) => b.billNo === r.billNo)).sort((a, b) => a.id - b.id);
  expect(packages).toHaveLength(3);
  const year = new Date().getUTCFullYear();
  for (const pk of packages) {
    expect(pk).toMatchObject({ state: 'archived', stateName: '在库', lastCheckOk: true, failedChecks: [], retentionEnded: false, reason: 'age' });
    expect(pk.year).toBeGreaterThanOrEqual(year - 1);
    expect(new Date(pk.retainUntil).getUTCFullYear()).toBeGreaterThanOrEqual(pk.year + 30);
    const dir = path.join(p.dataDir, 'archive', pk.storeKey);
    expect(fs.readdirSync(dir).sort()).toEqual(['layout.pdf', 'manifest.json', 'public-key.txt', 'signature.txt', 'signed-data.txt', 'timeline.json']);
    // The signed text holds the patient's ID number: the package keeps it sealed, as the database does.
    const signedText = fs.readFileSync(path.join(dir, 'signed-data.txt'), 'utf8');
    expect(signedText).toMatch(/^v1:/);
    expect(signedText).not.toContain('440101199001031234');
  }
  // The checksums kept in the database, apart from the package.
  const [row] = await sql<Array<{ manifest_sm3: string; parts_json: string }>>('select manifest_sm3, parts_json from archive_package where id = ?', [packages[0].id]);
  expect(row.manifest_sm3).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.parse(row.parts_json).map((x: { name: string }) => x.name)).toContain('layout.pdf');

  const byKind = await get(fin, `/api/archive/packages?year=${packages[0].year}&kindCode=${packages[0].kindCode}&placeCode=${packages[0].placeCode}&check=ok`);
  expect(byKind.body.total).toBeGreaterThanOrEqual(1);
  expect((await get(fin, '/api/archive/packages?year=abc')).status).toBe(400);
  expect((await get(fin, '/api/archive/packages?state=lost')).body.error.field).toBe('state');

  const stats = await get(fin, '/api/archive/statistics');
  expect(stats.status).toBe(200);
  expect(stats.body.totals.archived).toBeGreaterThanOrEqual(3);
  expect(stats.body.byKind.find((k: { key: string }) => k.key === packages[0].kindCode).archived).toBeGreaterThanOrEqual(1);
  expect(stats.body.retentionYears).toBe(30);
  expect(stats.body.alarm).toBeNull();

  // The archiving run checked them at archiving too.
  const runs = (await get(fin, '/api/archive/runs')).body.runs as Array<Record<string, any>>;
  expect(runs.some((r) => r.trigger === 'archive' && r.checked >= 3 && r.failed === 0)).toBe(true);
});

test("a package's report and part downloads are in the operation log; a cashier has no access", async () => {
  const detail = await get(fin, `/api/archive/packages/${packages[0].id}`);
  expect(detail.status).toBe(200);
  expect(detail.body.lastCheck.ok).toBe(true);
  expect(detail.body.lastCheck.checks.map((c: { name: string }) => c.name)).toEqual(['真实性', '完整性', '可用性', '安全性']);
  expect(detail.body.parts.map((x: { name: string }) => x.name)).toContain('manifest.json');
  const pdf = await fetch(`${p.baseUrl}/api/archive/packages/${packages[0].id}/parts/layout.pdf`, { headers: { cookie: fin } });
  expect(pdf.status).toBe(200);
  expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

  const aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');
  const reads = await get(aud, `/api/audit/operations?action=archive-read&objectType=archive-package&objectId=${packages[0].id}`);
  expect(reads.body.total).toBe(2);
  expect(reads.body.rows.map((r: { username: string }) => r.username)).toEqual(['finance', 'finance']);
  expect(reads.body.rows[0].detail).toContain('layout.pdf');
  const checks = await get(aud, '/api/audit/operations?action=archive-check&username=system');
  expect(checks.body.total).toBeGreaterThanOrEqual(2);

  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  expect((await get(cashier, '/api/archive/packages')).status).toBe(403);
  expect((await post(cashier, '/api/archive/destructions', { packageId: packages[1].id, reason: 'x' })).status).toBe(403);
});

test('a package file tampered with on disk is named by the next run, which raises the to-do', async () => {
  const target = packages[0];
  const file = path.join(p.dataDir, 'archive', target.storeKey, 'layout.pdf');
  const b = fs.readFileSync(file);
  const at = b.indexOf('stream') + 20;
  b[at] ^= 0x01;
  fs.writeFileSync(file, b);

  const run = await runCheck();
  expect(run.failed).toBe(1);
  expect(run.passed).toBe(run.checked - 1);
  const f = run.failures.find((x: { billNo: string }) => x.billNo === target.billNo);
  expect(f).toBeDefined();
  expect(f.checks).toContain('authenticity');
  expect(f.checkNames).toContain('真实性');
  expect(f.detail).toContain('layout.pdf');

  const stats = await get(fin, '/api/archive/statistics');
  expect(stats.body.alarm.title).toContain('票据档案四性检测未通过');
  expect(stats.body.alarm.title).toContain(target.billNo);
  expect(stats.body.totals.failed).toBe(1);
  const [todo] = await sql<Array<{ state: string; title: string }>>("select state, title from issue_todo where bus_no = 'archive-four-checks'");
  expect(todo.state).toBe('open');
  const failedList = await get(fin, '/api/archive/packages?check=failed');
  expect(failedList.body.rows.map((r: { id: number }) => r.id)).toEqual([target.id]);
  expect(failedList.body.rows[0].failedChecks).toContain('真实性');
});

test('destruction: refused before the retention ends (409), refused to the proposer, approved by another person; the register keeps it', async () => {
  const pk = packages[1];
  const early = await post(fin, '/api/archive/destructions', { packageId: pk.id, reason: '保管期满' });
  expect(early.status).toBe(409);
  expect(early.body.error.message).toContain('保管期限未满');
  expect((await post(fin, '/api/archive/destructions', { packageId: pk.id, reason: '  ' })).status).toBe(400);

  // Let the retention of this one package end (as 30 years later).
  const past = p.orm.em.getConnection().getPlatform().processDateProperty(new Date(Date.now() - 86_400_000));
  await p.orm.em.getConnection().execute('update archive_package set retain_until = ? where id = ?', [past, pk.id], 'run');

  // A proposal rejected by another person stays in the register; the package may be proposed again.
  const first = await post(fin, '/api/archive/destructions', { packageId: pk.id, reason: '误提' });
  expect(first.status).toBe(201);
  const rejected = await post(admin, `/api/archive/destructions/${first.body.id}/reject`);
  expect(rejected.body).toMatchObject({ state: 'rejected', stateName: '已驳回', approvedBy: 'admin' });
  expect((await post(admin, `/api/archive/destructions/${first.body.id}/approve`)).status).toBe(409);

  const proposed = await post(fin, '/api/archive/destructions', { packageId: pk.id, reason: '保管期满，经鉴定无继续保存价值' });
  expect(proposed.status).toBe(201);
  expect(proposed.body).toMatchObject({ state: 'proposed', stateName: '待审批', proposedBy: 'finance', packageId: pk.id });
  expect((await post(admin, '/api/archive/destructions', { packageId: pk.id, reason: '再提一次' })).status).toBe(409);

  const self = await post(fin, `/api/archive/destructions/${proposed.body.id}/approve`);
  expect(self.status).toBe(409);
  expect(self.body.error.message).toContain('提出人不能审批');
  expect(fs.existsSync(path.join(p.dataDir, 'archive', pk.storeKey, 'layout.pdf'))).toBe(true);

  const approved = await post(admin, `/api/archive/destructions/${proposed.body.id}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ state: 'approved', stateName: '已销毁', proposedBy: 'finance', approvedBy: 'admin' });
  expect(fs.existsSync(path.join(p.dataDir, 'archive', pk.storeKey))).toBe(false);
  expect((await post(admin, `/api/archive/destructions/${proposed.body.id}/approve`)).status).toBe(409);

  const detail = await get(fin, `/api/archive/packages/${pk.id}`);
  expect(detail.body).toMatchObject({ state: 'destroyed', stateName: '已销毁' });
  expect(detail.body.destructions.map((d: { state: string }) => d.state)).toEqual(['approved', 'rejected']);
  const register = await get(fin, '/api/archive/destructions');
  expect(register.body.rows.find((r: { id: number }) => r.id === proposed.body.id)).toMatchObject({ approvedBy: 'admin', reason: '保管期满，经鉴定无继续保存价值' });

  // A destroyed package is no longer checked; the register and the package's row stay.
  const run = await runCheck();
  expect(run.failures.some((x: { packageId: number }) => x.packageId === pk.id)).toBe(false);
  const [kept] = await sql<Array<{ n: number }>>('select count(*) as n from archive_destruction where package_id = ?', [pk.id]);
  expect(Number(kept.n)).toBe(2);

  const aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');
  const approvals = await get(aud, `/api/audit/operations?action=archive-destroy-approve&objectId=${pk.id}`);
  expect(approvals.body.rows.map((r: { username: string; result: string }) => [r.username, r.result])).toEqual([['admin', 'refused'], ['admin', 'ok'], ['finance', 'refused'], ['admin', 'refused'], ['admin', 'ok']]);
});

test('a bill reversed after it was archived gets a second version (补充归档) with its new state and timeline; the first is kept as it was', async () => {
  const pk = packages[2];
  const b = bills.find((x) => x.billNo === pk.billNo)!;
  const firstDir = path.join(p.dataDir, 'archive', pk.storeKey);
  const firstManifest = fs.readFileSync(path.join(firstDir, 'manifest.json'));
  const rev = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '患者退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(rev.result).toBe('S0000');

  const run = await eventually(async () => {
    const r = await runCheck();
    const rows = (await get(fin, `/api/archive/packages?pageSize=100`)).body.rows as Array<Record<string, any>>;
    return rows.some((x) => x.billNo === b.billNo && x.version === 2) && r;
  }, 'the second version of the reversed bill', 240_000);
  expect(run.failures.some((x: { billNo: string }) => x.billNo === b.billNo)).toBe(false);

  const versions = ((await get(fin, `/api/archive/packages?pageSize=100`)).body.rows as Array<Record<string, any>>).filter((x) => x.billNo === b.billNo).sort((x, y) => x.version - y.version);
  expect(versions.map((v) => [v.version, v.reason, v.state, v.lastCheckOk])).toEqual([[1, 'age', 'archived', true], [2, 'changed', 'archived', true]]);
  expect(versions[1].reasonName).toBe('状态变更（补充归档）');
  expect(versions[1].storeKey).toBe(`${pk.storeKey}-v2`);
  const secondDir = path.join(p.dataDir, 'archive', versions[1].storeKey);
  const manifest = JSON.parse(fs.readFileSync(path.join(secondDir, 'manifest.json'), 'utf8'));
  expect(JSON.stringify(manifest)).toContain('"reversed"');
  const timeline = JSON.parse(fs.readFileSync(path.join(secondDir, 'timeline.json'), 'utf8')) as Array<{ type: string }>;
  expect(timeline.map((e) => e.type)).toContain('reversed');
  // The first package is as it was archived, and still passes.
  expect(fs.readFileSync(path.join(firstDir, 'manifest.json')).equals(firstManifest)).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(firstDir, 'timeline.json'), 'utf8')).map((e: { type: string }) => e.type)).not.toContain('reversed');

  // Once archived with its state, the bill is not archived again.
  const again = await runCheck();
  expect(again.failures.some((x: { billNo: string }) => x.billNo === b.billNo)).toBe(false);
  const [n] = await sql<Array<{ n: number }>>('select count(*) as n from archive_package where bill_no = ? and bill_batch_code = ?', [b.billNo, b.billBatchCode]);
  expect(Number(n.n)).toBe(2);
});
