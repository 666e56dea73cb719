/**
 * 票据查询 filters and the export (issue 15 point 7): part of a bill number, state (正常 / 已冲红 /
 * 红字票据), bill kind and upload state, a clinic card number; bad values refused naming the field; the export (票据清单)
 * has the list's filters, its heading and total (the payer is masked by the reports' one rule).
 */
import ExcelJS from 'exceljs';
import { busDateTime } from '../sim/his/client';
import { apiCall, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

test('part of a number, state, kind and upload state narrow the list; bad values name their field', async () => {
  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const get = async (q: string) => (await apiCall(p.baseUrl, fin, 'GET', `/api/bills?pageSize=200&${q}`));
  const a = await p.his.issueOutpatient({ payer: '孙十二' });
  const z = await p.his.issueOutpatient({ placeCode: 'ZY01', busType: '01', hospitalNo: 'ZY0001' });
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: a.billBatchCode, billNo: a.billNo, reason: '查询测试', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(w.result).toBe('S0000');

  const part = a.billNo.slice(-5);
  const byPart = await get(`billNo=${part}&busNo=${encodeURIComponent(a.busNo)}`);
  expect(byPart.body.items.map((b: { billNo: string }) => b.billNo)).toEqual([a.billNo]);
  const partOnly = await get(`billNo=${part}`);
  expect(partOnly.body.items.every((b: { billNo: string }) => b.billNo.includes(part))).toBe(true);
  expect((await get(`billBatchCode=${a.billBatchCode}&billNo=${a.billNo}`)).body.items).toHaveLength(1); // a number is unique within its code

  const reversed = await get(`state=reversed&busNo=${encodeURIComponent(a.busNo)}`);
  expect(reversed.body.items).toHaveLength(1);
  expect(reversed.body.items[0]).toMatchObject({ state: 'reversed', isScarlet: false, billKindCode: '0401' });
  expect((await get(`state=normal&busNo=${encodeURIComponent(a.busNo)}`)).body.items).toHaveLength(0);
  const red = await get(`state=scarlet&billNo=${w.message.eScarletBillNo}`);
  expect(red.body.items).toHaveLength(1);
  expect(red.body.items[0].isScarlet).toBe(true);

  const inpatient = await get(`kind=0402&busNo=${encodeURIComponent(z.busNo)}`);
  expect(inpatient.body.items).toHaveLength(1);
  expect(inpatient.body.items[0]).toMatchObject({ billKindName: '医疗住院收费票据（电子）' });
  expect((await get(`kind=0401&busNo=${encodeURIComponent(z.busNo)}`)).body.items).toHaveLength(0);
  const pendingOrUp = await get(`uploadState=${inpatient.body.items[0].uploadState}&busNo=${encodeURIComponent(z.busNo)}`);
  expect(pendingOrUp.body.items).toHaveLength(1);

  for (const [q, field] of [['billNo=12a', 'billNo'], ['state=lost', 'state'], ['kind=%3Cx%3E', 'kind'], ['uploadState=gone', 'uploadState'], ['billBatchCode=123', 'billBatchCode']]) {
    const r = await get(q);
    expect([r.status, r.body.error.field]).toEqual([400, field]);
  }
});

test('the patient box finds a bill by its clinic card number exactly (any case, spaces ignored), and not by part of it', async () => {
  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const card = `JZK${Date.now().toString(36).toUpperCase()}`;
  const b = await p.his.issueOutpatient({ payer: '卡号查询', cardType: '1', cardNo: card });
  const other = await p.his.issueOutpatient({ payer: '卡号查询' }); // the sample's own card
  const find = async (v: string) => (await apiCall(p.baseUrl, fin, 'GET', `/api/bills?pageSize=200&patient=${encodeURIComponent(v)}`)).body.items.map((x: { billNo: string }) => x.billNo);
  expect(await find(card)).toEqual([b.billNo]);
  expect(await find(` ${card.toLowerCase()} `)).toEqual([b.billNo]);
  expect(await find(card.slice(0, -1))).toEqual([]); // a blind index matches the whole number only
  expect(await find(card)).not.toContain(other.billNo);
  // The card number is sealed at rest: the stored row holds only its blind index.
  const raw = await p.orm.em.getConnection().execute<Array<{ extra: string; card_no_bidx: string }>>('select extra, card_no_bidx from bill where bill_batch_code = ? and bill_no = ?', [b.billBatchCode, b.billNo]);
  expect(JSON.stringify(raw)).not.toContain(card);
  expect(raw[0].card_no_bidx).toMatch(/^[0-9a-f]{64}$/);
});

test('the export has the list\'s filters and heading, and its total', async () => {
  const b = await p.his.issueOutpatient({ payer: '欧阳娜娜' });
  const exportAs = async (user: string, password: string) => {
    const c = await signIn(p.baseUrl, user, password);
    const r = await fetch(`${p.baseUrl}/api/reports/bill-list/export?busNo=${encodeURIComponent(b.busNo)}`, { headers: { cookie: c } });
    expect(r.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await r.arrayBuffer()) as ArrayBuffer);
    return wb.worksheets[0];
  };
  const ws = await exportAs('finance', 'finance123');
  const cells = ws.getSheetValues().flat().map((v) => String(v ?? ''));
  expect(cells.some((v) => v.includes('票据清单'))).toBe(true);
  expect(cells).toContain(b.billNo);
  expect(cells).toContain('欧阳娜娜');
  expect(cells.some((v) => v.includes('合计（1 张）'))).toBe(true);
});
