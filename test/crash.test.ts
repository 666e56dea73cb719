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
  const busNos = requests.map((r) => r.busNo as string);
  // Fire the burst as the HIS would, a call every 100 ms, and kill the platform while it is under
  // way: as soon as 5 of its bills are stored (the answers lag the commits, so calls are in flight).
  const pidAtKill = p.pid();
  let killing = false;
  const inFlight: Array<Promise<{ ok: true } | { ok: false; error: Error }>> = [];
  const sending = (async () => {
    for (const r of requests) {
      if (killing) break; // not sent: the HIS retries it after the restart, like every call
      inFlight.push(p.hisClient.call('invoiceEBillOutpatient', r).then(() => ({ ok: true as const }), (e: Error) => ({ ok: false as const, error: e })));
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  for (const deadline = Date.now() + 120_000; ; ) {
    if ((await p.orm.em.fork().count(Bill, { busNo: { $in: busNos } })) >= 5) break;
    if (Date.now() > deadline) throw new Error('timed out waiting for the first 5 bills of the burst');
    await new Promise((res) => setTimeout(res, 10));
  }
  killing = true;
  await p.kill();
  await sending;
  const outcomes = await Promise.all(inFlight);
  // The kill landed: the process was killed by SIGKILL...
  expect(await p.exited()).toBe('SIGKILL');
  // ...mid-burst: some HIS calls were cut off by it (socket errors)...
  const cut = outcomes.filter((o) => !o.ok);
  expect(cut.length).toBeGreaterThan(0);
  for (const o of cut) expect(String((o as { error: Error }).error.message)).toMatch(/fetch failed|socket|ECONNRESET|ECONNREFUSED|other side closed/);
  // ...and some issuances were stored, some not.
  const stored = await p.orm.em.fork().find(Bill, { busNo: { $in: busNos } });
  const before = stored.length;
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThan(40);
  // The killed process was doing the work: bills it stored still had background work (the layout
  // file) pending, which the restarted process finishes (checked below).
  const pendingAtKill = stored.filter((b) => !b.layoutPath);
  expect(pendingAtKill.length).toBeGreaterThan(0);
  const storedBefore = new Map(stored.map((b) => [b.busNo, b.billNo]));

  await p.restart();
  expect(p.pid()).not.toBe(pidAtKill);
  // The HIS retries every call with the same busNo.
  const answers = await Promise.all(requests.map((r) => p.hisClient.callWithRetry('invoiceEBillOutpatient', r)));
  expect(answers.map((a) => a.result)).toEqual(requests.map(() => 'S0000'));

  const bills = await p.orm.em.fork().find(Bill, { busNo: { $in: requests.map((r) => r.busNo as string) } });
  expect(bills).toHaveLength(40);
  const byBusNo = new Map(bills.map((b) => [b.busNo, b.billNo]));
  // What was stored before the kill is kept as it was, not issued again.
  for (const [busNo, billNo] of storedBefore) expect(byBusNo.get(busNo)).toBe(billNo);
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
  const pendingDone = await p.orm.em.fork().find(Bill, { id: { $in: pendingAtKill.map((b) => b.id) } });
  expect(pendingDone.filter((b) => b.layoutPath)).toHaveLength(pendingAtKill.length);
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
