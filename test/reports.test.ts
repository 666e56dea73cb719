/**
 * Console reports on the real platform: the 开票点汇总表 / 收费员汇总表 list what was issued in the
 * period with subtotals and a total summed in fen; the Excel export streams the same rows; a
 * cashier sees only their point; bad parameters name the field.
 */
import ExcelJS from 'exceljs';
import { busDateTime } from '../sim/his/client';
import { startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const login = async (username: string, password: string) =>
  ((await (await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;
const get = (token: string, path: string) => fetch(`${p.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

type Preview = { columns: Array<{ key: string; header: string }>; rows: Array<Record<string, string> & { _subtotal?: string }>; truncated: boolean };

test('开票点汇总表 lists the period by point with subtotals and a total; the export is the same sheet in Excel', async () => {
  const a = await p.his.issueOutpatient({ totalAmt: '0.10', payChannelDetail: [{ payChannelCode: '05', payChannelValue: '0.10' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '0.10' }], listDetail: [] });
  const b = await p.his.issueOutpatient({ totalAmt: '0.20', payChannelDetail: [{ payChannelCode: '02', payChannelValue: '0.20' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '0.20' }], listDetail: [] });
  await p.his.issueOutpatient({ placeCode: 'ZY01' });
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(w.result).toBe('S0000');

  const finance = await login('finance', 'finance123');
  const q = `dateFrom=${today()}&dateTo=${today()}`;
  const r = (await (await get(finance, `/api/reports/bills-by-place?${q}`)).json()) as Preview;
  const mz = r.rows.filter((x) => !x._subtotal && x.placeName === '门诊收费一号窗口');
  expect(mz.map((x) => [x.billNo, x.totalAmt, x.state])).toEqual([
    [a.billNo, '0.10', '正常'],
    [b.billNo, '0.20', '已冲红'],
    [w.message.eScarletBillNo, '-0.20', '红票'],
  ]);
  expect(mz[1].relatedNo).toBe(w.message.eScarletBillNo);
  expect(mz[2].relatedNo).toBe(b.billNo);
  expect(mz[0].channels).toBe('微信');
  // 0.10 + 0.20 - 0.20, exactly (no 0.30000000000000004): summed in fen.
  const sub = r.rows.find((x) => x._subtotal?.startsWith('小计：门诊收费一号窗口'));
  expect(sub).toMatchObject({ _subtotal: '小计：门诊收费一号窗口（MZ01）（3 张）', totalAmt: '0.10' });
  const total = r.rows[r.rows.length - 1];
  expect(total._subtotal).toBe('合计（4 张）');
  expect(total.totalAmt).toBe('126.60');

  const x = await get(finance, `/api/reports/bills-by-place/export?${q}`);
  expect(x.status).toBe(200);
  expect(x.headers.get('content-type')).toContain('spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  expect(ws.name).toBe('开票点汇总表');
  expect(ws.getRow(1).getCell(1).value).toBe('业务日期');
  expect(ws.rowCount).toBe(1 + r.rows.length);
  const last = ws.getRow(ws.rowCount);
  expect(last.getCell(1).value).toBe('合计（4 张）');
  const amountCol = r.columns.findIndex((c) => c.key === 'totalAmt') + 1;
  expect(last.getCell(amountCol).value).toBe(126.6);
});

test('收费员汇总表 groups by cashier; a cashier sees only their point; bad dates name the field', async () => {
  const cashier = await login('cashier', 'cashier123');
  const q = `dateFrom=${today()}&dateTo=${today()}`;
  const r = (await (await get(cashier, `/api/reports/bills-by-payee?${q}`)).json()) as Preview;
  expect(r.rows.filter((x) => !x._subtotal).every((x) => x.placeName === '门诊收费一号窗口')).toBe(true);
  expect(r.rows.some((x) => x._subtotal?.startsWith('小计：李敏'))).toBe(true);
  expect((await get(cashier, `/api/reports/bills-by-payee?${q}&placeCode=ZY01`)).status).toBe(403);
  const bad = await get(cashier, `/api/reports/bills-by-payee?dateFrom=2026-13-01&dateTo=${today()}`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('dateFrom');
  const reversed = await get(cashier, `/api/reports/bills-by-payee?dateFrom=${today()}&dateTo=2020-01-01`);
  expect(((await reversed.json()) as { error: { field: string } }).error.field).toBe('dateTo');
  const doctor = await login('doctor', 'doctor123');
  expect((await get(doctor, `/api/reports/bills-by-payee?${q}`)).status).toBe(403);
  expect(((await (await get(doctor, '/api/reports')).json()) as { reports: unknown[] }).reports).toEqual([]);
});
