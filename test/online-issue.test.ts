/**
 * 在线开具 on the real stack (issue 15 point 1):
 * - finance issues a bill by hand from the console: it is a bill like a HIS bill (numbered from the
 *   point's stock, signed, laid out, on the bill list, with the operation-log entry and the bill
 *   after it); the same request key again answers the same bill; totals, unmapped codes and a
 *   missing field are refused naming the form's field; a cashier without the permission gets 403;
 * - the Excel import: the template downloads; a filled file is checked first (accepted bills and
 *   refused rows with their reasons, nothing issued), then issued; the same file imported again
 *   issues nothing twice.
 */
import ExcelJS from 'exceljs';
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';
import { IMPORT_COLUMNS } from '../services/online-issue';
import { simUrl } from '../config/simulators';
import { chinaTime } from '../common/china-time';
import { pdfText } from './fixtures';
import { sampleOutpatient } from '../sim/his/client';

let p: Platform;
let fin: string;
beforeAll(async () => {
  p = await startPlatform();
  fin = await signIn(p.baseUrl, 'finance', 'finance123');
});
afterAll(async () => {
  await p?.stop();
});

const call = (c: string, method: string, path: string, body?: unknown) => apiCall(p.baseUrl, c, method, path, body);
const key = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
const billsOf = async (busNos: string[]) =>
  (await p.orm.em.fork().getConnection().execute(`select id, bus_no, bill_no, total_amt, place_id, payee from bill where bus_no in (${busNos.map(() => '?').join(',')})`, busNos)) as Array<Record<string, any>>;

const form = (over: Record<string, unknown> = {}) => ({
  requestKey: key(),
  placeCode: 'MZ01',
  busType: '02',
  payer: '李四',
  patientNo: 'P0099',
  tel: '13900001234',
  items: [{ chargeCode: 'GH', chargeName: '挂号费', number: '1', amt: '10.00' }, { chargeCode: 'HY', chargeName: '化验费', amt: '20.5' }],
  payments: [{ payChannelCode: '02', payChannelValue: '30.50' }],
  ...over,
});

/** The bill's layout file as the patient downloads it, as text. */
const layoutText = async (b: { billBatchCode: string; billNo: string; random: string }) => {
  const pdf = await eventually(async () => {
    const r = await fetch(`${p.baseUrl}/h5/bill/${b.billBatchCode}/${b.billNo}/pdf?random=${b.random}`);
    return r.status === 200 && Buffer.from(await r.arrayBuffer());
  }, 'the layout file');
  return pdfText(pdf);
};

test('finance issues a bill by hand: a bill like a HIS bill, once per request key; bad input names the form field', async () => {
  const opts = await call(fin, 'GET', '/api/online-issue/options');
  expect(opts.status).toBe(200);
  expect(opts.body.places.map((x: { code: string }) => x.code)).toEqual(expect.arrayContaining(['MZ01', 'ZY01']));
  expect(opts.body.busTypes).toEqual(expect.arrayContaining([expect.objectContaining({ code: '02', name: '门诊' })]));
  expect(opts.body.charges).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'GH', fiscalName: '挂号费' })]));
  expect(opts.body.payChannels).toEqual(expect.arrayContaining([{ code: '02', name: '现金' }]));

  const f = form();
  const r = await call(fin, 'POST', '/api/online-issue', f);
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ busNo: `ZX${f.requestKey}`, billBatchCode: expect.stringMatching(/^\d{8}$/), billNo: expect.stringMatching(/^\d{10}$/), totalAmt: '30.50' });
  // The bill page shows it like any bill, and its process lays it out.
  const detail = await eventually(async () => {
    const d = await call(fin, 'GET', `/api/bills/${r.body.id}`);
    return d.status === 200 && d.body.layoutReady !== false && d.body;
  }, 'the bill page');
  expect(JSON.stringify(detail)).toContain(r.body.billNo);
  const [row] = await billsOf([r.body.busNo]);
  expect(Number(row.total_amt)).toBe(3050);
  expect(row.payee).toBe('财务科 王会计');

  // A double click (the same request key): the same bill.
  const again = await call(fin, 'POST', '/api/online-issue', f);
  expect(again.status).toBe(201);
  expect(again.body.id).toBe(r.body.id);
  expect(await billsOf([r.body.busNo])).toHaveLength(1);

  for (const [body, field, code] of [
    [form({ payments: [{ payChannelCode: '02', payChannelValue: '30.00' }] }), 'payments', 'E0011'],
    [form({ items: [{ chargeCode: 'NOPE', amt: '30.50' }] }), 'items[0].chargeCode', 'E0021'],
    [form({ payer: '' }), 'payer', 'E0010'],
    [form({ items: [{ chargeCode: 'GH', amt: '-1' }] }), 'items[0].amt', 'E0011'],
    [form({ requestKey: 'short' }), 'requestKey', 'E0010'],
    [form({ placeCode: 'NOWHERE' }), 'placeCode', 'E0020'],
  ] as const) {
    const bad = await call(fin, 'POST', '/api/online-issue', body);
    expect([bad.status, bad.body.error.field, bad.body.error.code]).toEqual([bad.status < 500 ? bad.status : 0, field, code]);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(bad.body.error.message.startsWith(`${field}:`)).toBe(true);
    expect(await billsOf([`ZX${(body as { requestKey: string }).requestKey}`])).toHaveLength(0);
  }

  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  expect((await call(cashier, 'POST', '/api/online-issue', form())).status).toBe(403);
  expect((await call(cashier, 'GET', '/api/online-issue/options')).status).toBe(403);

  // The operation log has the issue, with the bill after it.
  const aud = await signIn(p.baseUrl, 'auditadmin', 'Auditadmin#2026');
  const log = await call(aud, 'GET', '/api/audit/operations?action=business-change&objectType=online-issue&username=finance');
  const entry = (log.body.rows as Array<Record<string, any>>).find((x) => x.after?.id === r.body.id);
  expect(entry).toMatchObject({ result: 'ok', before: null, after: { billNo: r.body.billNo, state: 'normal', totalAmt: 3050 } });
});

test('往来结算 and 捐赠: non-medical bills of their own kind, with a payer and no patient; 补开 for an earlier business day', async () => {
  const opts = await call(fin, 'GET', '/api/online-issue/options');
  expect(opts.body.busTypes).toEqual(expect.arrayContaining([
    { code: '91', name: '往来结算', billKindName: '行政事业单位资金往来结算票据（电子）', medical: false },
    { code: '92', name: '捐赠', billKindName: '公益事业捐赠统一票据（电子）', medical: false },
    expect.objectContaining({ code: '02', medical: true }),
  ]));

  // A donation from a foundation: no patient number, its own bill kind (0601) and numbers.
  const gift = form({ busType: '92', payer: '示范市慈善基金会', patientNo: undefined, tel: undefined, items: [{ chargeCode: 'JZ', chargeName: '捐赠款', amt: '50000' }], payments: [{ payChannelCode: '06', payChannelValue: '50000.00' }], remark: '设备捐赠' });
  const g = await call(fin, 'POST', '/api/online-issue', gift);
  expect(g.status).toBe(201);
  expect(g.body.billBatchCode.slice(2, 6)).toBe('0601');
  const [giftRow] = await billsOf([g.body.busNo]);
  expect(Number(giftRow.total_amt)).toBe(5_000_000);
  const giftFace = await layoutText(g.body);
  expect(giftFace).toContain('公益事业捐赠统一票据');
  expect(giftFace).toContain('示范市慈善基金会');
  expect(giftFace).not.toContain('门诊号');
  expect(giftFace).not.toContain('医疗门诊收费票据');

  // A settlement with another unit (往来结算): kind 0501.
  const w = await call(fin, 'POST', '/api/online-issue', form({ busType: '91', payer: '示范市医学会', patientNo: undefined, items: [{ chargeCode: 'WL', chargeName: '往来款', amt: '1200' }], payments: [{ payChannelCode: '06', payChannelValue: '1200' }] }));
  expect(w.status).toBe(201);
  expect(w.body.billBatchCode.slice(2, 6)).toBe('0501');

  // Both reach the fiscal platform, which verifies their numbers against the segments it issued.
  await eventually(async () => {
    await call(fin, 'POST', '/api/upload/run', {});
    const ups = (await (await fetch(`${simUrl(p.cfg.sim.fiscal.port)}/_sim/uploads`)).json()) as Array<{ billNo: string; billBatchCode: string; billKindCode: string }>;
    return [g.body, w.body].every((b) => ups.some((u) => u.billBatchCode === b.billBatchCode && u.billNo === b.billNo));
  }, 'the non-medical bills at the fiscal platform', 120_000);

  // A medical bill still needs its patient.
  const noPatient = await call(fin, 'POST', '/api/online-issue', form({ patientNo: undefined }));
  expect([noPatient.status, noPatient.body.error.field]).toEqual([400, 'patientNo']);
  // The HIS interface refuses a non-medical type on a medical method.
  const wrongMethod = await p.hisClient.call('invEBillHospitalized', sampleOutpatient({ busNo: `WM${key()}`, busType: '92', hospitalNo: 'ZY1' }));
  expect(wrongMethod.result).not.toBe('S0000');
  expect(JSON.stringify(wrongMethod.message)).toContain('busType');

  // 补开: the bill of a business ten days ago carries that day; a future day or one over a year back is refused.
  const day = chinaTime(new Date(Date.now() - 10 * 86_400_000)).text.slice(0, 10);
  const late = await call(fin, 'POST', '/api/online-issue', form({ busDate: day }));
  expect(late.status).toBe(201);
  const [req] = (await p.orm.em.fork().getConnection().execute('select bus_date_time from bill where bus_no = ?', [late.body.busNo])) as Array<{ bus_date_time: string }>;
  expect(req.bus_date_time).toBe(`${day.replace(/-/g, '')}000000000`);
  for (const busDate of [chinaTime(new Date(Date.now() + 2 * 86_400_000)).text.slice(0, 10), '2020-01-01', '2026-02-30', 'yesterday']) {
    const bad = await call(fin, 'POST', '/api/online-issue', form({ busDate }));
    expect([bad.status, bad.body.error.field]).toEqual([400, 'busDate']);
    expect(bad.body.error.message).toMatch(/^busDate: 业务日期|^busDate: 补开/);
  }
});

async function filled(rows: Array<Record<string, string>>): Promise<Buffer> {
  const t = await fetch(`${p.baseUrl}/api/online-issue/template`, { headers: { cookie: fin } });
  expect(t.status).toBe(200);
  expect(t.headers.get('content-type')).toContain('spreadsheetml');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await t.arrayBuffer()) as ArrayBuffer);
  const ws = wb.worksheets[0];
  expect(String(ws.getCell('A2').value)).toBe('业务单号 *');
  ws.spliceRows(3, 1); // the example row
  // A person fills the columns in the template's order (the file keeps no column keys).
  for (const r of rows) ws.addRow(IMPORT_COLUMNS.map(([k]) => r[k] ?? ''));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const upload = async (mode: string, file: Buffer) => {
  const r = await fetch(`${p.baseUrl}/api/online-issue/import?mode=${mode}`, {
    method: 'POST',
    headers: { cookie: fin, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    body: file,
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
};

test('the Excel import: checked first (refused rows with reasons, nothing issued), then issued once however often it is sent', async () => {
  const k = key();
  const row = (over: Record<string, string>) => ({ key: `${k}-A`, placeCode: 'MZ01', busType: '02', payer: '王五', patientNo: 'P0100', chargeCode: 'GH', chargeName: '挂号费', amt: '10.00', payChannelCode: '02', ...over });
  const file = await filled([
    row({}),
    row({ chargeCode: 'HY', chargeName: '化验费', amt: '25.50', payChannelCode: '05' }),
    row({ key: `${k}-B`, chargeCode: 'NOPE', chargeName: '未对照' }),
    row({ key: `${k}-C`, amt: '' }),
    row({ key: `${k}-D`, placeCode: 'ZY01', busType: '02', payer: '赵六', patientNo: 'P0101', amt: '8.8' }),
  ]);
  const busNos = [`ZX${k}-A`, `ZX${k}-B`, `ZX${k}-C`, `ZX${k}-D`];

  const check = await upload('check', file);
  expect(check.status).toBe(200);
  expect(check.body.accepted.map((a: { key: string; rows: number[]; totalAmt: string }) => [a.key, a.rows, a.totalAmt])).toEqual([
    [`${k}-A`, [3, 4], '35.50'],
    [`${k}-D`, [7], '8.80'],
  ]);
  expect(check.body.refused.map((x: { rows: number[]; code: string }) => [x.rows, x.code])).toEqual([[[5], 'E0021'], [[6], 'E0010']]);
  expect(check.body.refused[0].reason).toBe('第 5 行「收费项目编码」：HIS 收费项目编码 NOPE（未对照）未对照财政项目（编码对照）');
  expect(check.body.refused[1].reason).toBe('第 6 行「金额（元）」未填写');
  expect(await billsOf(busNos)).toHaveLength(0); // a check issues nothing

  const first = await upload('issue', file);
  expect(first.status).toBe(200);
  expect(first.body.issued.map((x: { key: string; result: string }) => [x.key, x.result])).toEqual([[`${k}-A`, 'issued'], [`${k}-D`, 'issued']]);
  expect(first.body.refused).toHaveLength(2);
  const made = await billsOf(busNos);
  expect(made.map((b) => [b.bus_no, Number(b.total_amt)]).sort()).toEqual([[`ZX${k}-A`, 3550], [`ZX${k}-D`, 880]]);

  // The import retried (a time-out at the browser, a second click): the same bills, none twice.
  const second = await upload('issue', file);
  expect(second.body.issued.map((x: { bill: { id: number } }) => x.bill.id).sort()).toEqual(first.body.issued.map((x: { bill: { id: number } }) => x.bill.id).sort());
  expect(await billsOf(busNos)).toHaveLength(2);

  const bad = await upload('check', Buffer.from('not a workbook'));
  expect(bad.status).toBe(400);
  expect(bad.body.error.field).toBe('file');
  expect((await upload('later', file)).body.error.field).toBe('mode');
});
