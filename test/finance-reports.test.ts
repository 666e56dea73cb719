/**
 * The finance reports on the real platform (own platform: the totals cover every bill it holds):
 * bills issued through the HIS interface with different pay channels, points, categories and
 * cashiers, a reversal and refunds; each report's totals reconcile with the bill list (and the
 * database) for the same filter, the Excel export opens with its title, hospital, period and
 * frozen header, every export is an operation-log entry, and bad parameters answer 400 naming
 * the field.
 */
import ExcelJS from 'exceljs';
import { busDateTime } from '../sim/his/client';
import { simUrl } from '../config/simulators';
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
let wxSim: string;
const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const q = () => `dateFrom=${today()}&dateTo=${today()}`;
const tokens = new Map<string, string>();
const PASSWORDS: Record<string, string> = { finance: 'finance123', cashier: 'cashier123', doctor: 'doctor123', secadmin: 'Secadmin#2026' };
const login = async (u: string) => {
  if (!tokens.has(u)) tokens.set(u, await signIn(p.baseUrl, u, PASSWORDS[u]));
  return tokens.get(u)!;
};
const get = async (u: string, path: string) => apiCall(p.baseUrl, await login(u), 'GET', path);
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const db = <T extends object[]>(sql: string, args: unknown[] = []) => p.orm.em.getConnection().execute<T>(sql, args);
/** '126.50' / '-0.20' / '1,234.00' -> fen */
const fen = (s: string | undefined) => {
  if (!s) return 0;
  const m = /^(-?)([\d,]+)\.(\d{2})$/.exec(s)!;
  return (m[1] ? -1 : 1) * (Number(m[2].replace(/,/g, '')) * 100 + Number(m[3]));
};

type Preview = { columns: Array<{ key: string; header: string; money?: boolean; group?: string }>; rows: Array<Record<string, string> & { _subtotal?: string }>; truncated: boolean };
const report = async (u: string, id: string, extra = '') => {
  const r = await get(u, `/api/reports/${id}?${q()}${extra}`);
  expect(r.status).toBe(200);
  return r.body as Preview;
};
const body = (r: Preview) => r.rows.filter((x) => !x._subtotal);
const total = (r: Preview) => r.rows[r.rows.length - 1];
const sum = (rows: Array<Record<string, string>>, key: string) => rows.reduce((s, x) => s + fen(x[key]), 0);

/** The day's bills from the database (of one point / cashier / category), in fen. */
async function dbBills(where = '', args: unknown[] = []) {
  const rows = await db<Array<{ id: number; total_amt: number; is_scarlet: number; payee: string; code: string; bus_type: string }>>(
    `select b.id, b.total_amt, b.is_scarlet, b.payee, p.code, b.bus_type from bill b join billing_point p on p.id = b.place_id where 1 = 1 ${where}`,
    args,
  );
  const pays = await db<Array<{ channel_code: string; amount: number; bill_id: number }>>('select bill_id, channel_code, amount from bill_payment');
  const ids = new Set(rows.map((r) => Number(r.id)));
  const channels = new Map<string, number>();
  for (const x of pays) if (ids.has(Number(x.bill_id))) channels.set(x.channel_code, (channels.get(x.channel_code) ?? 0) + Number(x.amount));
  return {
    count: rows.length,
    red: rows.filter((r) => Number(r.is_scarlet)).length,
    amount: rows.reduce((s, r) => s + Number(r.total_amt), 0),
    redAmount: rows.filter((r) => Number(r.is_scarlet)).reduce((s, r) => s + Number(r.total_amt), 0),
    channels,
  };
}

/** The bill list (/api/bills) of the day, every page: how many and their sum in fen. */
async function listed(u: string, extra = '') {
  let n = 0;
  let amount = 0;
  for (let page = 1; ; page++) {
    const r = await get(u, `/api/bills?${q()}&pageSize=200&page=${page}${extra}`);
    expect(r.status).toBe(200);
    for (const b of r.body.items as Array<{ totalAmt: string }>) amount += fen(b.totalAmt);
    n += r.body.items.length;
    if (n >= r.body.total) return { count: n, amount };
  }
}

async function xlsx(u: string, id: string, extra = '') {
  const r = await fetch(`${p.baseUrl}/api/reports/${id}/export?${q()}${extra}`, { headers: { cookie: await login(u) } });
  expect(r.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await r.arrayBuffer()) as unknown as ArrayBuffer);
  return wb.worksheets[0];
}

let refundDone = '';
let refundOpen = '';

beforeAll(async () => {
  p = await startPlatform({ MEDBILL_REFUND_POLL: '1h' }, { own: true });
  wxSim = simUrl(p.cfg.sim.payment.wechatpayPort);
  await post(`${wxSim}/_sim/faults`, { refundDelayMs: 300, partialGapMs: 0 });
  // 开票员对照: the HIS cashier 李敏 is the user cashier (门诊收费员 李敏); 陈静 stays unmapped.
  const mapped = await apiCall(p.baseUrl, await login('secadmin'), 'PUT', '/api/system/collectors', { rows: [{ hisCode: '李敏', hisName: '李敏', username: 'cashier' }] });
  expect(mapped.status).toBe(200);

  // MZ01, 门诊, WeChat 100.00 + cash 26.50 (the sample), twice: one is refunded in part below.
  const a = await p.his.issueOutpatient();
  // MZ01, 挂号, Alipay 10.00.
  await p.his.issueOutpatient({ busType: '06', totalAmt: '10.00', payChannelDetail: [{ payChannelCode: '04', payChannelValue: '10.00' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '10.00' }], listDetail: [] });
  // ZY01, 门诊, cashier 陈静 (unmapped), UnionPay 50.00 + insurance 20.00, department 外科.
  await p.his.issueOutpatient({
    placeCode: 'ZY01', payee: '陈静', author: '陈静', patientCategory: '外科', payer: '李四', totalAmt: '70.00',
    payChannelDetail: [{ payChannelCode: '08', payChannelValue: '50.00' }, { payChannelCode: '01', payChannelValue: '20.00' }],
    chargeDetail: [{ sortNo: 1, chargeCode: 'JC', chargeName: '检查费', amt: '70.00' }], listDetail: [],
  });
  // MZ01, cash 5.00, reversed at the window.
  const d = await p.his.issueOutpatient({ totalAmt: '5.00', payChannelDetail: [{ payChannelCode: '02', payChannelValue: '5.00' }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: '5.00' }], listDetail: [] });
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: d.billBatchCode, billNo: d.billNo, reason: '退号', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(w.result).toBe('S0000');

  // Refunds: one approved to the end (money back, the bill reversed and reissued), one still waiting for the doctor.
  await post(`${wxSim}/_sim/orders`, { out_trade_no: `WX${a.billNo}`, total: 10000 });
  refundDone = `FR${Date.now().toString(36)}A`.toUpperCase();
  const apply = { billBatchCode: a.billBatchCode, billNo: a.billNo, channel: 'wechat', outTradeNo: `WX${a.billNo}`, refundDetail: [{ sortNo: 3, amt: '25.50' }], reason: '药品未取', openId: 'o-fr-1', source: 'patient', applicantName: '张三' };
  expect((await p.hisClient.callWithRetry('applyRefund', { ...apply, refundNo: refundDone })).result).toBe('S0000');
  const [row] = await db<Array<{ id: number }>>('select id from refund where refund_no = ?', [refundDone]);
  for (const u of ['doctor', 'finance']) {
    const dt = await get(u, `/api/refunds/${row.id}`);
    const r = await apiCall(p.baseUrl, await login(u), 'POST', `/api/refunds/${row.id}/actions`, { action: 'approve', version: dt.body.version, comment: '同意' });
    expect(r.status).toBe(200);
  }
  await eventually(async () => (await get('finance', `/api/refunds/${row.id}`)).body.state === 'done', 'refund done', 90_000);
  const b2 = await p.his.issueOutpatient();
  await post(`${wxSim}/_sim/orders`, { out_trade_no: `WX${b2.billNo}`, total: 10000 });
  refundOpen = `FR${Date.now().toString(36)}B`.toUpperCase();
  expect((await p.hisClient.callWithRetry('applyRefund', { ...apply, billBatchCode: b2.billBatchCode, billNo: b2.billNo, outTradeNo: `WX${b2.billNo}`, refundNo: refundOpen })).result).toBe('S0000');
}, 240_000);
afterAll(async () => {
  await p?.stop();
});

test('医疗电子票据汇总表: per 开票员 of the mapping and category, per channel; totals reconcile with the bill list and the database', async () => {
  const all = await dbBills();
  const list = await listed('finance');
  const r = await report('finance', 'ebill-summary');
  const t = total(r);
  expect(t._subtotal).toBe(`合计（${all.count} 张，其中红票 ${all.red} 张）`);
  expect(fen(t.netAmt)).toBe(list.amount);
  expect(fen(t.netAmt)).toBe(all.amount);
  expect(Number(t.issuedCount) + Number(t.redCount)).toBe(list.count);
  expect(Number(t.redCount)).toBe(all.red);
  expect(fen(t.redAmt)).toBe(all.redAmount);
  // One column per channel paid through, named, summing to the net.
  const channelCols = r.columns.filter((c) => c.group === '交费渠道');
  expect(channelCols.map((c) => c.header).sort()).toEqual(['医保', '微信', '支付宝', '现金', '银联卡'].sort());
  for (const c of channelCols) expect(fen(t[c.key])).toBe(all.channels.get(c.key.slice(2)) ?? 0);
  expect(channelCols.reduce((s, c) => s + fen(t[c.key]), 0)).toBe(all.amount);
  // The rows add up to the total; the collectors are the mapping's users (an unmapped code says so).
  expect(sum(body(r), 'netAmt')).toBe(all.amount);
  // The refund process's red bill and reissue form one group of their own.
  expect(new Set(body(r).map((x) => x.collector))).toEqual(new Set(['门诊收费员 李敏', '陈静（未对照）', '退费流程（自动冲红、重开）']));
  expect(body(r).some((x) => x.collector === '门诊收费员 李敏' && x.busType === '挂号' && x.netAmt === '10.00')).toBe(true);
  expect(r.rows.some((x) => x._subtotal?.startsWith('小计：门诊收费员 李敏'))).toBe(true);

  // Filtered by 开票员 (the mapped user), by category, by point: each against the database.
  const mine = await dbBills('and b.payee = ?', ['李敏']);
  expect(fen(total(await report('finance', 'ebill-summary', '&collector=cashier')).netAmt)).toBe(mine.amount);
  expect(fen(total(await report('finance', 'ebill-summary', '&busType=06')).netAmt)).toBe(1000);
  const zy = await report('finance', 'ebill-summary', '&placeCode=ZY01');
  expect(fen(total(zy).netAmt)).toBe((await listed('finance', '&placeCode=ZY01')).amount);
  // A cashier sees their point only.
  const mz = await dbBills("and p.code = 'MZ01'");
  expect(fen(total(await report('cashier', 'ebill-summary')).netAmt)).toBe(mz.amount);
  expect(fen(total(await report('cashier', 'ebill-summary')).netAmt)).toBe((await listed('cashier')).amount);
  // The cashier's export says which point it covers (their own, though none was asked for).
  expect(String((await xlsx('cashier', 'ebill-summary')).getRow(4).getCell(1).value)).toContain('开票点：MZ01');
  expect(String((await xlsx('cashier', 'bills-by-payee')).getRow(4).getCell(1).value)).toContain('开票点：MZ01');

  const ws = await xlsx('finance', 'ebill-summary');
  expect(ws.getRow(1).getCell(1).value).toBe('医疗电子票据汇总表');
  expect(ws.getRow(2).getCell(1).value).toBe('单位：示范市第一人民医院');
  expect(ws.getRow(3).getCell(1).value).toBe(`统计期间：${today()} 至 ${today()}`);
  expect(String(ws.getRow(4).getCell(1).value)).toContain('开票员：全部');
  // Two header rows (the groups above the channels, 开票 and 冲红), frozen with the key columns.
  expect(ws.getRow(5).getCell(1).value).toBe('开票员');
  expect(ws.getRow(6).getCell(3).value).toBe(channelCols[0].header);
  expect(ws.getRow(5).getCell(3).value).toBe('交费渠道');
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 6, xSplit: 2 });
  const last = ws.getRow(ws.rowCount);
  expect(last.getCell(1).value).toBe(t._subtotal);
  const netCol = r.columns.findIndex((c) => c.key === 'netAmt') + 1;
  expect(Math.round(Number(last.getCell(netCol).value) * 100)).toBe(all.amount);
  expect(ws.rowCount).toBe(6 + r.rows.length);
});

test('交费渠道汇总表: per day and point, per channel; every grouping reconciles', async () => {
  const all = await dbBills();
  for (const by of ['day-place', 'day', 'place']) {
    const r = await report('finance', 'channel-summary', `&by=${by}`);
    const t = total(r);
    expect(fen(t.netAmt)).toBe(all.amount);
    expect(Number(t.count)).toBe(all.count);
    expect(sum(body(r), 'netAmt')).toBe(all.amount);
    for (const c of r.columns.filter((x) => x.group)) expect(sum(body(r), c.key)).toBe(all.channels.get(c.key.slice(2)) ?? 0);
  }
  const byPlace = await report('finance', 'channel-summary', '&by=place');
  expect(byPlace.columns.some((c) => c.key === 'day')).toBe(false);
  const zy = body(byPlace).find((x) => x.place === '住院结算窗口（ZY01）')!;
  expect(zy.netAmt).toBe('70.00');
  expect(zy.ch08).toBe('50.00');
  expect(zy.ch01).toBe('20.00');
  const only = await report('finance', 'channel-summary', '&placeCode=ZY01');
  expect(total(only).netAmt).toBe('70.00');
  const bad = await get('finance', `/api/reports/channel-summary?${q()}&by=month`);
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('by');
  const ws = await xlsx('finance', 'channel-summary', '&by=place');
  expect(ws.getRow(1).getCell(1).value).toBe('交费渠道汇总表');
  expect(String(ws.getRow(4).getCell(1).value)).toContain('汇总方式：按开票点');
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 6 });
});

test('日报明细: one row per bill, channels per row; payer in clear for the window and finance, masked for the audit office', async () => {
  const all = await dbBills();
  const r = await report('finance', 'daily-detail');
  expect(body(r)).toHaveLength(all.count);
  expect(sum(body(r), 'totalAmt')).toBe(all.amount);
  expect(fen(total(r).totalAmt)).toBe((await listed('finance')).amount);
  for (const row of body(r)) {
    const channels = r.columns.filter((c) => c.group).reduce((s, c) => s + fen(row[c.key]), 0);
    expect(channels).toBe(fen(row.totalAmt));
  }
  expect(body(r).filter((x) => x.state === '红票')).toHaveLength(all.red);
  expect(body(r).some((x) => x.payer === '李四')).toBe(true);
  // An audit user (no bill:identity) sees the names starred.
  const sec = await login('secadmin');
  const made = await apiCall(p.baseUrl, sec, 'POST', '/api/system/users', { username: 'auditfr', displayName: '稽核 孙丽', roles: ['audit'] });
  expect(made.status).toBe(201);
  const first = await signIn(p.baseUrl, 'auditfr', made.body.initialPassword);
  expect((await apiCall(p.baseUrl, first, 'POST', '/api/auth/password', { currentPassword: made.body.initialPassword, newPassword: 'Xin#Mima2026q' })).status).toBe(200);
  tokens.set('auditfr', first);
  const masked = await report('auditfr', 'daily-detail');
  expect(body(masked).map((x) => x.payer)).toContain('李*');
  expect(body(masked).some((x) => x.payer === '李四' || x.payer === '张三')).toBe(false);
  // A daily report spans at most 31 days.
  const long = await get('finance', `/api/reports/daily-detail?dateFrom=2026-01-01&dateTo=2026-03-01`);
  expect(long.status).toBe(400);
  expect(long.body.error.field).toBe('dateTo');
  const ws = await xlsx('finance', 'daily-detail');
  expect(ws.getRow(1).getCell(1).value).toBe('日报明细');
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 6, xSplit: 2 });
  expect(ws.rowCount).toBe(6 + all.count + 1);
});

test('单位收费情况: per point or department and category; totals reconcile', async () => {
  const all = await dbBills();
  const byPlace = await report('finance', 'unit-charges');
  expect(fen(total(byPlace).netAmt)).toBe(all.amount);
  expect(sum(body(byPlace), 'netAmt')).toBe(all.amount);
  const zy = await dbBills("and p.code = 'ZY01'");
  expect(body(byPlace).filter((x) => x.unit === '住院结算窗口（ZY01）').reduce((s, x) => s + fen(x.netAmt), 0)).toBe(zy.amount);
  const byDept = await report('finance', 'unit-charges', '&by=department');
  expect(byDept.columns[0].header).toBe('科室');
  expect(sum(body(byDept), 'netAmt')).toBe(all.amount);
  expect(body(byDept).find((x) => x.unit === '外科')).toMatchObject({ busType: '门诊', issuedCount: 1, netAmt: '70.00' });
  const ws = await xlsx('finance', 'unit-charges', '&by=department');
  expect(ws.getRow(1).getCell(1).value).toBe('单位收费情况');
  expect(ws.getRow(6).getCell(1).value).toBe('科室');
});

test('退费台账: every refund of the period with its approvers and money state; the total is the refunds\' sum', async () => {
  const refunds = await db<Array<{ refund_no: string; amount: number }>>('select refund_no, amount from refund');
  const r = await report('finance', 'refund-ledger');
  expect(body(r).map((x) => x.refundNo).sort()).toEqual(refunds.map((x) => x.refund_no).sort());
  expect(fen(total(r).amount)).toBe(refunds.reduce((s, x) => s + Number(x.amount), 0));
  expect(total(r)._subtotal).toBe(`合计（${refunds.length} 笔；已退款 1 笔 25.50 元）`);
  const done = body(r).find((x) => x.refundNo === refundDone)!;
  expect(done).toMatchObject({ amount: '25.50', channel: '微信支付', state: '已完成', moneyState: '退款成功', approvers: '门诊医生 张伟、财务科 王会计', collector: '门诊收费员 李敏', patient: '张三' });
  expect(done.moneyAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  expect(done.redNo).not.toBe('');
  expect(body(r).find((x) => x.refundNo === refundOpen)).toMatchObject({ state: '审批中', moneyState: '未发起', approvers: '' });
  // The refunds of ZY01's bills: none.
  expect(body(await report('finance', 'refund-ledger', '&placeCode=ZY01'))).toHaveLength(0);
  const ws = await xlsx('finance', 'refund-ledger');
  expect(ws.getRow(1).getCell(1).value).toBe('退费台账');
  expect(ws.getRow(3).getCell(1).value).toBe(`统计期间：${today()} 至 ${today()}`);
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 5, xSplit: 3 });
  expect(ws.getRow(5).getCell(1).value).toBe('退费单号');
});

test('every export is an operation-log entry; every parameter is bounded and checked with a 400 naming the field', async () => {
  const logged = await db<Array<{ object_id: string; detail: string }>>("select object_id, detail from operation_log where action = 'report-export' and object_type = 'report'");
  for (const id of ['ebill-summary', 'channel-summary', 'daily-detail', 'unit-charges', 'refund-ledger']) expect(logged.some((l) => l.object_id === id)).toBe(true);
  expect(logged.find((l) => l.object_id === 'ebill-summary')!.detail).toContain('导出报表「医疗电子票据汇总表」');

  const bad = async (u: string, id: string, extra: string, field: string, status = 400) => {
    const r = await get(u, `/api/reports/${id}?${extra}`);
    expect([r.status, r.body.error?.field]).toEqual([status, field]);
    expect(r.body.error.message).toMatch(/[\u4e00-\u9fa5]/);
  };
  await bad('finance', 'ebill-summary', `${q()}&collector=nobody`, 'collector');
  await bad('finance', 'ebill-summary', `${q()}&collector=cashier&collector=finance`, 'collector');
  await bad('finance', 'ebill-summary', `${q()}&busType=99`, 'busType');
  await bad('finance', 'ebill-summary', `${q()}&placeCode=${'X'.repeat(100)}`, 'placeCode');
  await bad('finance', 'ebill-summary', `${q()}&placeCode=NOPE`, 'placeCode');
  await bad('finance', 'unit-charges', `${q()}&by=${'x'.repeat(70)}`, 'by');
  await bad('finance', 'refund-ledger', `dateFrom=${today()}`, 'dateTo');
  await bad('finance', 'daily-detail', `dateFrom=2026-02-30&dateTo=${today()}`, 'dateFrom');
  await bad('cashier', 'daily-detail', `${q()}&placeCode=ZY01`, 'placeCode', 403);
  // The older bill listings too: two points, or an over-long code, are a 400 (not a 5xx from the query).
  await bad('finance', 'bills-by-place', `${q()}&placeCode=MZ01&placeCode=ZY01`, 'placeCode');
  await bad('finance', 'usage-per-point', `${q()}&placeCode=${'Z'.repeat(40)}`, 'placeCode');
  // The export checks the same way before writing a byte (and logs nothing for a refused one).
  const before = (await db<Array<{ id: number }>>("select id from operation_log where action = 'report-export'")).length;
  const x = await fetch(`${p.baseUrl}/api/reports/ebill-summary/export?${q()}&busType=99`, { headers: { cookie: await login('finance') } });
  expect(x.status).toBe(400);
  expect((await db<Array<{ id: number }>>("select id from operation_log where action = 'report-export'")).length).toBe(before);
  // The report list offers the mapped 开票员 and the categories.
  const list = (await get('finance', '/api/reports')).body.reports as Array<{ id: string; params: Array<{ name: string; options?: Array<{ value: string; label: string }> }> }>;
  const params = list.find((d) => d.id === 'ebill-summary')!.params;
  expect(params.find((x) => x.name === 'collector')!.options).toEqual([{ value: 'cashier', label: '门诊收费员 李敏' }]);
  expect(params.find((x) => x.name === 'busType')!.options).toContainEqual({ value: '06', label: '挂号' });
  // A doctor has no reports.
  expect((await get('doctor', `/api/reports/ebill-summary?${q()}`)).status).toBe(403);
});
