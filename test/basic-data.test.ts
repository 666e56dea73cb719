/**
 * Basic data sync and the code mapping on the real stack: the `basic-data-sync` Temporal Schedule
 * (triggered from the console's 立即同步) upserts bill kinds and fiscal items from the fiscal
 * simulator, never deleting; the console's 编码对照 routes with role guards and field-named errors;
 * an issuance refused for an unmapped HIS charge code (E0021) is listed as unmapped, mapped in the
 * console, and the HIS's retry of the same request then issues the bill.
 */
import { sampleOutpatient } from '../sim/his/client';
import { freePort } from '../scripts/temporal-dev';
import { eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
let fiscalUrl: string;
let finance: string;
let admin: string;
let cashier: string;
let doctor: string;

type Row = Record<string, any>;
const q = (sql: string, params: unknown[] = []) => p.orm.em.fork().getConnection().execute<Row[]>(sql, params);
const login = async (username: string, password: string) =>
  signIn(p.baseUrl, username, password);
const api = async (token: string | undefined, method: string, path: string, body?: unknown) => {
  const r = await fetch(`${p.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { cookie: token } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : undefined) as any };
};
const sim = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${fiscalUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;

beforeAll(async () => {
  const port = await freePort();
  fiscalUrl = `http://127.0.0.1:${port}`;
  p = await startPlatform({ MEDBILL_FISCAL_SIM_PORT: String(port) });
  [finance, admin, cashier, doctor] = await Promise.all([
    login('finance', 'finance123'), login('admin', 'admin123'), login('cashier', 'cashier123'), login('doctor', 'doctor123'),
  ]);
});
afterAll(async () => {
  await p?.stop();
});

test('the launcher registered the demo hospital with the fiscal simulator, the ranges it received counted as issued', async () => {
  const hospitals = await sim('GET', '/_sim/hospitals');
  expect(hospitals).toEqual([expect.objectContaining({ code: 'H44000001', appId: p.cfg.fiscal.appId, regionCode: '44' })]);
  const segs = (await sim('GET', '/_sim/segments')) as Row[];
  // What the fiscal platform issued is what the hospital received (stock_receipt), whatever was distributed since.
  const stock = await q('select bill_batch_code, start_no, end_no from stock_receipt order by id');
  expect(segs.map((s) => [s.billBatchCode, s.startNo, s.endNo])).toEqual(stock.map((s: Row) => [s.bill_batch_code, Number(s.start_no), Number(s.end_no)]));
});

test('立即同步 triggers the schedule: kinds and items upserted, dropped ones marked inactive with the change recorded, nothing deleted', async () => {
  const desc = await p.client.schedule.getHandle('basic-data-sync').describe();
  expect(desc.action).toMatchObject({ workflowType: 'basicDataSyncWorkflow' });
  // A fresh install syncs at once (the schedule was created with triggerImmediately), not an interval later.
  expect(p.cfg.fiscal.basicSyncEveryMs).toBeGreaterThanOrEqual(60_000);
  const first = await eventually(async () => {
    const d = await p.client.schedule.getHandle('basic-data-sync').describe();
    return d.info.recentActions.length > 0 && d.info;
  }, 'the first basic-data sync');
  expect(first.numActionsTaken).toBeGreaterThanOrEqual(1);
  expect(first.recentActions[0].takenAt.getTime()).toBeLessThan(desc.info.createdAt.getTime() + p.cfg.fiscal.basicSyncEveryMs);

  // the fiscal side renames 14, drops 13 (护理费, mapped by HL/HLF) and serves 15-17
  const served = await sim('POST', '/_sim/basic-data', {});
  const items = (served.chargeItems as Row[]).filter((i) => i.code !== '13').map((i) => (i.code === '14' ? { ...i, name: '其他医疗费' } : i));
  const changed = await sim('POST', '/_sim/basic-data', { chargeItems: [...items, { code: '17', name: '会诊费' }] });

  expect((await api(cashier, 'POST', '/api/basic-data/sync')).status).toBe(403);
  expect((await api(doctor, 'GET', '/api/basic-data')).status).toBe(403);
  const trig = await api(finance, 'POST', '/api/basic-data/sync');
  expect(trig).toMatchObject({ status: 202, body: { scheduleId: 'basic-data-sync' } });

  const bd = await eventually(async () => {
    const r = await api(finance, 'GET', '/api/basic-data');
    return r.body.lastSync?.version === changed.version ? r.body : undefined;
  }, 'basic data synced to the new version');
  expect(bd.lastSync).toMatchObject({ kinds: changed.billKinds.length, items: changed.chargeItems.length });
  const kind = (c: string) => bd.billKinds.find((k: Row) => k.code === c);
  const item = (c: string) => bd.fiscalItems.find((i: Row) => i.code === c);
  expect(kind('0401')).toMatchObject({ name: '医疗门诊收费票据（电子）', active: true });
  expect(kind('0403')).toMatchObject({ active: true, electronic: true });
  expect(kind('0101')).toMatchObject({ active: true, electronic: false });
  expect(item('13')).toMatchObject({ name: '护理费', active: false, mappedCount: 2 });
  expect(item('14')).toMatchObject({ name: '其他医疗费', active: true });
  expect(item('17')).toMatchObject({ name: '会诊费', active: true, mappedCount: 0 });
  const change = (code: string) => bd.changes.filter((c: Row) => c.code === code && c.entity === 'fiscal_item').map((c: Row) => c.change);
  expect(change('13')).toEqual(['deactivated']);
  expect(change('14')).toEqual(['updated']);
  expect(change('17')).toEqual(['added']);
  expect((await q("select count(*) as n from fiscal_item where code = '13'"))[0]!.n).toBe(1);

  // the same data again: a new run is recorded, nothing changes
  const runs = Number((await q('select count(*) as n from basic_data_sync'))[0]!.n);
  expect((await api(admin, 'POST', '/api/basic-data/sync')).status).toBe(202);
  const last = await eventually(async () => {
    const rows = await q('select id, changes from basic_data_sync order by id desc');
    return rows.length > runs ? rows[0] : undefined;
  }, 'a second sync run');
  expect(Number(last.changes)).toBe(0);

  // an item served again is reactivated
  await sim('POST', '/_sim/basic-data', { chargeItems: [...items, { code: '17', name: '会诊费' }, { code: '13', name: '护理费' }] });
  await api(finance, 'POST', '/api/basic-data/sync');
  await eventually(async () => (await api(finance, 'GET', '/api/basic-data')).body.fiscalItems.find((i: Row) => i.code === '13')?.active === true, 'item 13 reactivated');
});

test('编码对照: finance and admins only; create, edit, delete with errors naming the field', async () => {
  expect((await api(undefined, 'GET', '/api/code-mappings')).status).toBe(401);
  expect((await api(cashier, 'GET', '/api/code-mappings')).status).toBe(403);
  expect((await api(doctor, 'POST', '/api/code-mappings', { hisCode: 'X', fiscalItemCode: '01' })).status).toBe(403);
  const list = await api(finance, 'GET', '/api/code-mappings');
  expect(list.status).toBe(200);
  expect(list.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ hisCode: 'GH', fiscalItemCode: '01', fiscalItemName: '挂号费' })]));

  const err = async (body: unknown, field: string, code: string, status = 400) => {
    const r = await api(finance, 'POST', '/api/code-mappings', body);
    expect(r).toMatchObject({ status, body: { error: { code, field } } });
    expect(r.body.error.message).toMatch(new RegExp(`^${field.replace(/[[\]]/g, '\\$&')}: `));
  };
  await err({ hisCode: '', fiscalItemCode: '01' }, 'hisCode', 'E0010');
  await err({ hisCode: 'A B', fiscalItemCode: '01' }, 'hisCode', 'E0010');
  await err({ hisCode: 'NEW1' }, 'fiscalItemCode', 'E0010');
  await err({ hisCode: 'NEW1', fiscalItemCode: '99' }, 'fiscalItemCode', 'E0062');
  await err({ hisCode: 'GH', fiscalItemCode: '02' }, 'hisCode', 'E0063', 409);

  const made = await api(finance, 'POST', '/api/code-mappings', { hisCode: 'HZF', hisName: '会诊费', fiscalItemCode: '17' });
  expect(made).toMatchObject({ status: 201, body: { hisCode: 'HZF', hisName: '会诊费', fiscalItemCode: '17', fiscalItemName: '会诊费', updatedBy: '财务科 王会计' } });
  const edited = await api(admin, 'PUT', `/api/code-mappings/${made.body.id}`, { fiscalItemCode: '14' });
  expect(edited).toMatchObject({ status: 200, body: { hisCode: 'HZF', hisName: '会诊费', fiscalItemCode: '14', updatedBy: '演示综合账号' } });
  expect((await api(finance, 'PUT', `/api/code-mappings/${made.body.id}`, { fiscalItemCode: 'nope!' })).body.error.field).toBe('fiscalItemCode');
  expect((await api(finance, 'PUT', '/api/code-mappings/999999', { fiscalItemCode: '14' })).status).toBe(404);
  expect((await api(finance, 'DELETE', `/api/code-mappings/${made.body.id}`)).status).toBe(204);
  expect((await api(finance, 'DELETE', `/api/code-mappings/${made.body.id}`)).status).toBe(404);
  expect((await q("select count(*) as n from charge_code_map where his_code = 'HZF'"))[0]!.n).toBe(0);

  // business categories (busType -> bill kind)
  expect((await api(finance, 'POST', '/api/business-categories', { busType: '7', name: '互联网', billKindCode: '0401' })).body.error.field).toBe('busType');
  expect((await api(finance, 'POST', '/api/business-categories', { busType: '07', name: '互联网', billKindCode: '0999' })).body.error).toMatchObject({ field: 'billKindCode', code: 'E0064' });
  expect((await api(finance, 'POST', '/api/business-categories', { busType: '02', name: '门诊', billKindCode: '0401' })).body.error).toMatchObject({ field: 'busType', code: 'E0063' });
  const cat = await api(finance, 'POST', '/api/business-categories', { busType: '07', name: '互联网医院', billKindCode: '0401' });
  expect(cat).toMatchObject({ status: 201, body: { busType: '07', billKindCode: '0401' } });
  expect(await api(finance, 'PUT', `/api/business-categories/${cat.body.id}`, { name: '互联网医院', billKindCode: '0402' })).toMatchObject({ status: 200, body: { billKindCode: '0402' } });
  expect((await api(cashier, 'GET', '/api/business-categories')).status).toBe(403);
  expect((await api(finance, 'GET', '/api/business-categories')).body.items.map((c: Row) => c.busType)).toContain('07');
  expect((await api(finance, 'DELETE', `/api/business-categories/${cat.body.id}`)).status).toBe(204);

  // item groups (项目分组): every HIS code must be mapped
  const bad = await api(finance, 'POST', '/api/item-groups', { name: '门诊常规', hisCodes: ['GH', 'NOPE1'] });
  expect(bad).toMatchObject({ status: 400, body: { error: { field: 'hisCodes[1]', code: 'E0021' } } });
  expect((await api(finance, 'POST', '/api/item-groups', { name: '', hisCodes: ['GH'] })).body.error.field).toBe('name');
  const g = await api(finance, 'POST', '/api/item-groups', { name: '门诊常规', hisCodes: ['GH', 'ZC', 'GH'], remark: '挂号+诊察' });
  expect(g).toMatchObject({ status: 201, body: { name: '门诊常规', hisCodes: ['GH', 'ZC'] } });
  expect((await api(finance, 'POST', '/api/item-groups', { name: '门诊常规', hisCodes: ['GH'] })).status).toBe(409);
  expect(await api(finance, 'PUT', `/api/item-groups/${g.body.id}`, { name: '门诊常规', hisCodes: ['GH', 'ZC', 'HY'] })).toMatchObject({ status: 200, body: { hisCodes: ['GH', 'ZC', 'HY'] } });
  expect((await api(finance, 'GET', '/api/item-groups')).body.items).toHaveLength(1);
  expect((await api(cashier, 'GET', '/api/item-groups')).status).toBe(403);
  expect((await api(finance, 'DELETE', `/api/item-groups/${g.body.id}`)).status).toBe(204);
});

test('an unmapped HIS charge code: refused (E0021), listed as unmapped, mapped in the console, then the HIS retry issues the bill', async () => {
  const charge = { sortNo: 1, chargeCode: 'ZZHZ', chargeName: '远程会诊费', unit: '次', std: 126.5, number: 1, amt: 126.5, selfAmt: 126.5 };
  const req1 = sampleOutpatient({ chargeDetail: [charge], listDetail: [] });
  const req2 = sampleOutpatient({ chargeDetail: [charge], listDetail: [] });
  const r1 = await p.hisClient.callWithRetry('invoiceEBillOutpatient', req1);
  expect(r1.result).toBe('E0021');
  expect(String(r1.message)).toMatch(/^chargeDetail\[0\]\.chargeCode: .*ZZHZ/);
  expect((await p.hisClient.callWithRetry('invoiceEBillOutpatient', req2)).result).toBe('E0021');

  expect((await api(cashier, 'GET', '/api/code-mappings/unmapped')).status).toBe(403);
  const unmapped = await api(finance, 'GET', '/api/code-mappings/unmapped');
  const row = unmapped.body.items.find((u: Row) => u.hisCode === 'ZZHZ');
  expect(row).toMatchObject({ hisCode: 'ZZHZ', hisName: '远程会诊费', requests: 2, lastBusNo: req2.busNo });
  expect(Date.parse(row.lastAt)).not.toBeNaN();

  const made = await api(finance, 'POST', '/api/code-mappings', { hisCode: 'ZZHZ', hisName: '远程会诊费', fiscalItemCode: '17' });
  expect(made.status).toBe(201);
  expect((await api(finance, 'GET', '/api/code-mappings/unmapped')).body.items.map((u: Row) => u.hisCode)).not.toContain('ZZHZ');

  // the HIS sends the same request again (same busNo, same content): now it is issued
  const r3 = await p.hisClient.callWithRetry('invoiceEBillOutpatient', req1);
  expect(r3.result).toBe('S0000');
  expect(r3.message).toMatchObject({ billBatchCode: expect.stringMatching(/^\d{8}$/), billNo: expect.stringMatching(/^\d{10}$/) });
  const [bill] = await q('select id, total_amt from bill where bill_batch_code = ? and bill_no = ?', [r3.message.billBatchCode, r3.message.billNo]);
  expect(Number(bill!.total_amt)).toBe(12650);
  const [issued] = await q('select status, error_code from issue_request where bus_no = ?', [req1.busNo]);
  expect(issued).toMatchObject({ status: 'issued', error_code: null });
});
