/**
 * Console reports on the real platform: the 开票点汇总表 / 收费员汇总表 list what was issued in the
 * period with subtotals and a total summed in fen; the Excel export streams the same rows; a
 * cashier sees only their point; bad parameters name the field.
 */
import * as fs from 'node:fs';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { busDateTime } from '../sim/his/client';
import { Bill } from '../orm/entities';
import { signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true }); // the day's report totals cover every bill of the platform
});
afterAll(async () => {
  await p?.stop();
});

const login = async (username: string, password: string) =>
  signIn(p.baseUrl, username, password);
const get = (token: string, path: string) => fetch(`${p.baseUrl}${path}`, { headers: { cookie: token } });
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
  // Title, hospital, period, filters, then the header (frozen below it).
  expect(ws.getRow(1).getCell(1).value).toBe('开票点汇总表');
  expect(ws.getRow(2).getCell(1).value).toBe('单位：示范市第一人民医院');
  expect(ws.getRow(3).getCell(1).value).toBe(`统计期间：${today()} 至 ${today()}`);
  expect(ws.getRow(5).getCell(1).value).toBe('业务日期');
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 5 });
  expect(ws.rowCount).toBe(5 + r.rows.length);
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
  // 开票员对照: the security administrator maps the HIS cashier 李敏 to the platform user cashier; the report names the user.
  const sec = await login('secadmin', 'Secadmin#2026');
  const mapped = await fetch(`${p.baseUrl}/api/system/collectors`, { method: 'PUT', headers: { cookie: sec, 'content-type': 'application/json' }, body: JSON.stringify({ rows: [{ hisCode: '李敏', hisName: '李敏', username: 'cashier' }] }) });
  expect(mapped.status).toBe(200);
  const named = (await (await get(cashier, `/api/reports/bills-by-payee?${q}`)).json()) as Preview;
  const lis = named.rows.filter((x) => !x._subtotal && x.payee === '李敏');
  expect(lis.length).toBeGreaterThan(0);
  expect(lis.every((x) => x.collector === '门诊收费员 李敏')).toBe(true);
  expect(named.rows.some((x) => x._subtotal?.startsWith('小计：门诊收费员 李敏（李敏）'))).toBe(true);
  const doctor = await login('doctor', 'doctor123');
  expect((await get(doctor, `/api/reports/bills-by-payee?${q}`)).status).toBe(403);
  expect(((await (await get(doctor, '/api/reports')).json()) as { reports: unknown[] }).reports).toEqual([]);
});

test('finance previews 开票点汇总表 in the console and downloads it as Excel', async () => {
  const browser = await chromium.launch({ executablePath: process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true, viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${p.baseUrl}/console/login`);
    await page.fill('[data-test="login-username"]', 'finance');
    await page.fill('[data-test="login-password"]', 'finance123');
    await page.click('[data-test="login-submit"]');
    await page.waitForURL(/\/console\/home/);
    // The report list answers late, as on a loaded server: 查询 must wait for it instead of
    // swallowing the click (CI once clicked before the list had arrived and nothing was asked).
    await page.route('**/api/reports', async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.goto(`${p.baseUrl}/console/reports`);
    await page.locator('[data-test="report-form"]').waitFor();
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/reports/bills-by-place');
    await page.click('[data-test="report-run"]');
    expect((await answered).status()).toBe(200);
    const total = page.locator('[data-test="report-table"] tr.subtotal-row', { hasText: '合计（' });
    await total.waitFor();
    expect(await total.textContent()).toContain('126.60');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test="report-export"]')]);
    expect(download.suggestedFilename()).toMatch(/^开票点汇总表-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const file = await download.path();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync(file!) as unknown as ArrayBuffer);
    expect(wb.worksheets[0].getRow(wb.worksheets[0].rowCount).getCell(1).value).toBe('合计（4 张）');
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});

test('stock reports: 库存结余 equals the points\' unused numbers, 领用存 balances and closes on it, voids and distributions are listed', async () => {
  const finance = await login('finance', 'finance123');
  const q = `dateFrom=${today()}&dateTo=${today()}`;
  const post = (path: string, body: unknown) =>
    fetch(`${p.baseUrl}${path}`, { method: 'POST', headers: { cookie: finance, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // Void ten unused numbers at MZ01's end of range, with a reason.
  const [seg] = await p.orm.em.getConnection().execute<Array<{ bill_batch_code: string; next_no: number; end_no: number }>>(
    "select s.bill_batch_code, s.next_no, s.end_no from stock_segment s join billing_point p on p.id = s.place_id where p.code = 'MZ01' order by s.id limit 1",
  );
  const v = await post('/api/stock/voids', { billBatchCode: seg.bill_batch_code, startNo: Number(seg.end_no) - 9, endNo: Number(seg.end_no), placeCode: 'MZ01', reason: '号段损毁（报表测试）' });
  expect(v.status).toBe(200);

  /** The unused numbers at a point, of one bill kind or of all. */
  const unused = async (placeCode: string, kindCode?: string) =>
    Number(
      (
        await p.orm.em.getConnection().execute<Array<{ n: number }>>(
          `select sum(s.end_no - s.next_no + 1) as n from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
            where p.code = ? and s.next_no <= s.end_no${kindCode ? ' and k.code = ?' : ''}`,
          kindCode ? [placeCode, kindCode] : [placeCode],
        )
      )[0].n,
    );
  const balance = (await (await get(finance, '/api/reports/stock-balance')).json()) as Preview;
  const mz = balance.rows.filter((r) => r.location === '门诊收费一号窗口');
  expect(mz.reduce((s, r) => s + Number(r.quantity), 0)).toBe(await unused('MZ01'));

  const usage = (await (await get(finance, `/api/reports/usage-per-point?${q}`)).json()) as Preview;
  const row = usage.rows.find((r) => String(r.place).startsWith('门诊收费一号窗口') && r.kindName.includes('门诊'))!;
  const issuedToday = await p.orm.em.fork().count(Bill, { place: { code: 'MZ01' }, billKind: { code: '0401' } });
  expect(Number(row.used)).toBe(issuedToday);
  expect(Number(row.voided)).toBe(10);
  expect(Number(row.closing)).toBe(Number(row.opening) + Number(row.received) - Number(row.returned) - Number(row.used) - Number(row.voided));
  expect(Number(row.closing)).toBe(await unused('MZ01', '0401'));

  const voids = (await (await get(finance, `/api/reports/voided-numbers?${q}`)).json()) as Preview;
  expect(voids.rows.find((r) => r.reason === '号段损毁（报表测试）')).toMatchObject({ type: '作废', quantity: 10, actor: '财务科 王会计' });
  const dist = (await (await get(finance, `/api/reports/distributions?${q}`)).json()) as Preview;
  expect(dist.rows.some((r) => r.type === '分发' && r.place === '门诊收费一号窗口')).toBe(true);
  // The demo stock came in through a seeded requisition today: listed with its issued range and stock-in.
  const reqs = (await (await get(finance, `/api/reports/requisitions?${q}`)).json()) as Preview;
  const demo = reqs.rows.find((r) => r.requisitionNo === 'SL-DEMO-0001')!;
  expect(demo.segments).toContain('44040126');
  expect(demo.stockedBy).not.toBe('');

  // Each exports to Excel; a cashier cannot open the office's stock reports.
  const x = await get(finance, `/api/reports/usage-per-point/export?${q}`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await x.arrayBuffer()) as unknown as ArrayBuffer);
  expect(wb.worksheets[0].getRow(5).getCell(3).value).toBe('期初结余');
  const cashier = await login('cashier', 'cashier123');
  expect((await get(cashier, '/api/reports/stock-balance')).status).toBe(403);
});
