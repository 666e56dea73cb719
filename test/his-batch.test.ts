/**
 * invoiceEBillBatch (批量开具, medbill extension) on the real stack: a list of bills answers per
 * bill in the order sent; a refused bill (unmapped charge code, not an object, an unknown method)
 * names its place and field and does not stop the others; the same list again (a new envelope)
 * answers the same bills and issues none twice; a list over MEDBILL_HIS_BATCH_MAX, an empty list and
 * a busNo twice in one list are refused as a whole, naming `bills`.
 */
import { sampleOutpatient } from '../sim/his/client';
import { startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const count = async (busNos: string[]) =>
  Number(((await p.orm.em.fork().getConnection().execute(`select count(*) as n from bill where bus_no in (${busNos.map(() => '?').join(',')})`, busNos)) as Array<{ n: number | string }>)[0].n);

test('each bill answers for itself; refused bills name their place; the same list again issues nothing twice', async () => {
  const good = [sampleOutpatient(), sampleOutpatient({ placeCode: 'ZY01', busType: '01' }), sampleOutpatient()];
  const unmapped = sampleOutpatient({ chargeDetail: [{ sortNo: 1, chargeCode: 'NOPE', chargeName: '未对照项目', amt: 126.5 }], listDetail: [] });
  const list = [
    { method: 'invoiceEBillOutpatient', ...good[0] },
    { method: 'invoiceEBillOutpatient', ...unmapped },
    { method: 'invoiceEBillOutpatient', ...good[1] },
    'not a bill',
    { method: 'writeOffEBill', ...sampleOutpatient() },
    { method: 'invoiceEBillOutpatient', ...good[2] },
  ];
  const r = await p.hisClient.call('invoiceEBillBatch', { bills: list });
  expect(r.result).toBe('S0000');
  expect(r.message).toMatchObject({ total: 6, issued: 3, refused: 3 });
  const res = r.message.results as Array<{ index: number; busNo: string | null; result: string; message: any }>;
  expect(res.map((x) => [x.index, x.result])).toEqual([[0, 'S0000'], [1, 'E0021'], [2, 'S0000'], [3, 'E0010'], [4, 'E0040'], [5, 'S0000']]);
  for (const i of [0, 2, 5]) {
    expect(res[i].busNo).toBe((list[i] as unknown as { busNo: string }).busNo);
    expect(res[i].message).toMatchObject({ billBatchCode: expect.stringMatching(/^\d{8}$/), billNo: expect.stringMatching(/^\d{10}$/), random: expect.any(String) });
  }
  expect(res[1].message).toMatch(/^bills\[1\]\.chargeDetail\[0\]\.chargeCode: /);
  expect(res[3].message).toMatch(/^bills\[3\]: /);
  expect(res[4].message).toMatch(/^bills\[4\]\.method: /);
  // The inpatient point's bill is numbered from its own stock, not the outpatient one's.
  expect(res[2].message.billBatchCode).not.toBe(res[0].message.billBatchCode);
  const busNos = good.map((g) => g.busNo as string);
  expect(await count(busNos)).toBe(3);
  expect(await count([unmapped.busNo as string])).toBe(0);

  // The HIS sends the list again (a new envelope): the same bills, none issued twice.
  const again = await p.hisClient.call('invoiceEBillBatch', { bills: list });
  expect(again.result).toBe('S0000');
  const res2 = again.message.results as typeof res;
  for (const i of [0, 2, 5]) expect(res2[i].message.billNo).toBe(res[i].message.billNo);
  expect(await count(busNos)).toBe(3);
  // Each bill is found by its busNo like a single issue.
  const q = await p.hisClient.call('getEBillByBusNo', { busNo: busNos[1], busDateTime: good[1].busDateTime });
  expect(q.message).toMatchObject({ billNo: res[2].message.billNo });
});

test('the list itself is refused when empty, over the maximum, or carrying one busNo twice', async () => {
  const max = p.cfg.his.batchMax;
  expect(max).toBe(50);
  const bill = (): Record<string, unknown> => ({ method: 'invoiceEBillOutpatient', ...sampleOutpatient() });
  for (const [bills, pattern] of [
    [[], /^bills: /],
    [undefined, /^bills: /],
    [Array.from({ length: max + 1 }, bill), /^bills: 一次至多 50 张/],
  ] as const) {
    const r = await p.hisClient.call('invoiceEBillBatch', { bills });
    expect(r.result).toBe('E0010');
    expect(r.message).toMatch(pattern);
  }
  const one = bill();
  const twice = await p.hisClient.call('invoiceEBillBatch', { bills: [one, bill(), { ...one }] });
  expect(twice.result).toBe('E0010');
  expect(twice.message).toMatch(/^bills\[2\]\.busNo: 与 bills\[0\] 的业务流水号 .* 重复/);
  expect(await count([one.busNo as string])).toBe(0);
});
