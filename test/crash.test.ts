/**
 * Nothing is lost and nothing is doubled when the platform process dies mid-way: kill -9 during
 * a burst of issuance, restart on the same data, and let the HIS retry every call as it would.
 */
import { Bill, StockSegment } from '../orm/entities';
import { sampleOutpatient } from '../sim/his/client';
import { eventually, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true }); // killed and restarted: a platform of its own
});
afterAll(async () => {
  await p?.stop();
});

test('kill -9 during a burst of issues: after restart every busNo has exactly one bill, numbers have no gap, background work finishes', async () => {
  const seg = await p.orm.em.fork().findOneOrFail(StockSegment, { place: { code: 'MZ01' }, billKind: { code: '0401' } });
  const first = seg.nextNo;
  const requests = Array.from({ length: 40 }, (_, i) => sampleOutpatient({ busNo: `CRASH${Date.now()}-${i}` }));
  // Fire the burst, and kill the platform while it is under way.
  const inFlight = requests.map((r) => p.hisClient.call('invoiceEBillOutpatient', r).catch(() => undefined));
  await eventually(async () => (await p.orm.em.fork().count(Bill, { busNo: { $in: requests.map((r) => r.busNo as string) } })) >= 5, 'first bills', 60_000);
  await p.kill();
  await Promise.all(inFlight);
  const before = await p.orm.em.fork().count(Bill, { busNo: { $in: requests.map((r) => r.busNo as string) } });
  expect(before).toBeLessThan(40 + 1);

  await p.restart();
  // The HIS retries every call with the same busNo.
  const answers = await Promise.all(requests.map((r) => p.hisClient.callWithRetry('invoiceEBillOutpatient', r)));
  expect(answers.map((a) => a.result)).toEqual(requests.map(() => 'S0000'));

  const bills = await p.orm.em.fork().find(Bill, { busNo: { $in: requests.map((r) => r.busNo as string) } });
  expect(bills).toHaveLength(40);
  const byBusNo = new Map(bills.map((b) => [b.busNo, b.billNo]));
  answers.forEach((a, i) => expect(a.message.billNo).toBe(byBusNo.get(requests[i].busNo as string)));
  const numbers = bills.map((b) => Number(b.billNo)).sort((a, b) => a - b);
  expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => first + i));
  const after = await p.orm.em.fork().findOneOrFail(StockSegment, { id: seg.id });
  expect(after.nextNo).toBe(first + 40);

  // Workflows interrupted by the crash finish their background work after the restart.
  for (const b of bills) {
    const status = await p.client.workflow.getHandle(b.workflowId).result();
    expect(status).toMatchObject({ state: 'issued', layout: 'done' });
  }
  const laidOut = await p.orm.em.fork().count(Bill, { busNo: { $in: requests.map((r) => r.busNo as string) }, layoutPath: { $ne: null } });
  expect(laidOut).toBe(40);
}, 300_000);

test('the bills and workflows of before a clean restart are all still there', async () => {
  const { busNo, billNo } = await p.his.issueOutpatient();
  await p.kill();
  await p.restart();
  const again = await p.hisClient.call('getEBillByBusNo', { busNo });
  expect(again.result).toBe('S0000');
  expect(again.message.billNo).toBe(billNo);
  const desc = await p.client.workflow.getHandle(`bill-MEDBILL_DEMO_HIS-${busNo}`).describe();
  expect(['RUNNING', 'COMPLETED']).toContain(desc.status.name);
});
