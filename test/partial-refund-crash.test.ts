/**
 * The platform dies between the reversal and the reissue of a partial refund (MEDBILL_CRASH_AT
 * kills the process right after the red bill is committed). After the restart the same process
 * finishes the job: one red bill, one new bill, consecutive numbers, nothing skipped or doubled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bill, StockSegment } from '../orm/entities';
import { busDateTime } from '../sim/his/client';
import { DEMO } from '../orm/seed';
import { eventually, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_CRASH_AT: 'after-reversal' });
});
afterAll(async () => {
  await p?.stop();
});

test('killed after the reversal committed, the partial refund finishes after restart with no duplicate or skipped number', async () => {
  const original = await p.his.issueOutpatient();
  const seg = await p.orm.em.fork().findOneOrFail(StockSegment, { place: { code: 'MZ01' }, billKind: { code: '0401' } });
  const first = seg.nextNo;
  const business = { billBatchCode: original.billBatchCode, billNo: original.billNo, reason: '部分退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01', refundAmt: '25.50' };

  // The call dies with the process.
  const r = await p.hisClient.call('partialRefundEBill', business).catch((e: Error) => e);
  expect(r).toMatchObject({ message: expect.stringMatching(/fetch failed|socket|ECONNRESET/) });
  await eventually(async () => fetch(`${p.baseUrl}/health`).then(() => false, () => true), 'the process to be gone');
  // It died at the crash point, by its SIGKILL, while the partial refund was under way.
  expect(await p.exited()).toBe('SIGKILL');
  expect(fs.existsSync(path.join(p.dataDir, 'crashed-at-after-reversal'))).toBe(true);
  expect(fs.readFileSync(p.logFile, 'utf8')).toContain('MEDBILL_CRASH_AT=after-reversal: killing the process');
  // The red bill was committed before the crash; the reissue was not.
  const em = p.orm.em.fork();
  const orig = await em.findOneOrFail(Bill, { billBatchCode: original.billBatchCode, billNo: original.billNo });
  expect(orig.state).toBe('reversed');
  expect(await em.count(Bill, { originBillId: orig.id })).toBe(0);
  // The red bill exists and its process is still open (work in flight at the kill).
  expect(await em.count(Bill, { relatedBillId: orig.id })).toBe(1);
  const wfAtKill = await p.client.workflow.getHandle(`writeoff-${original.billBatchCode}-${original.billNo}`).describe();
  expect(wfAtKill.status.name).toBe('RUNNING');

  await p.restart();
  // The HIS retries as it would; the one process answers with both bills.
  const again = await p.hisClient.callWithRetry('partialRefundEBill', business);
  expect(again.result).toBe('S0000');
  expect(again.message.reissueState).toBe('issued');
  expect(Number(again.message.eScarletBillNo)).toBe(first);
  expect(Number(again.message.reissue.billNo)).toBe(first + 1);

  const wf = (await p.client.workflow.getHandle(`writeoff-${original.billBatchCode}-${original.billNo}`).result()) as { reissue: { state: string } };
  expect(wf.reissue.state).toBe('issued');
  const em2 = p.orm.em.fork();
  expect(await em2.count(Bill, { relatedBillId: orig.id })).toBe(1);
  const reissued = await em2.find(Bill, { originBillId: orig.id });
  expect(reissued).toHaveLength(1);
  expect(reissued[0].totalAmt).toBe(10100);
  expect((await em2.findOneOrFail(StockSegment, seg.id)).nextNo).toBe(first + 2);
  const st = await p.client.workflow.getHandle(`bill-${DEMO.appid}-${reissued[0].busNo}`).result();
  expect(st).toMatchObject({ state: 'issued', layout: 'done' });
}, 300_000);
