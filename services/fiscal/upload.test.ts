/**
 * The upload activities against a real (SQLite) database and a fake fiscal platform: a whole batch
 * refused, an outage, a bill reversed while its batch was in flight, recording twice, and a red bill
 * held back while its original is rejected.
 */
import { Sealer } from '../../common/sealed';
import { MasterKeyProvider } from '../../common/keys';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqlOrm } from '../../orm/sql';
import { openOrm } from '../../orm/db';
import { seedDemo } from '../../orm/seed';
import { randomKeyHex } from '../../common/gm';
import { Bill, BillKind, BillingPoint, FiscalUploadBatch } from '../../orm/entities';
import { insertBill } from '../../orm/repositories/bill-store';
import type { Deps } from '../deps';
import { FiscalRejectedError, FiscalUnavailableError, type FiscalPlatform, type UploadBill } from '../../adapters/fiscal/platform';
import { nextUploadBatch, recordUploadResults, uploadFiscalBatch } from './upload';

let orm: SqlOrm;
let dir: string;
let seq = 0;
let fiscal: { uploadBills: jest.Mock };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-upload-'));
  orm = await openOrm(`sqlite:${path.join(dir, 'db.sqlite')}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
  await seedDemo(orm.em.fork(), randomKeyHex());
});
afterAll(async () => {
  await orm.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

const acts = () => {
  const deps = { orm, cfg: { server: { crashAt: '', dataDir: dir } }, fiscal: fiscal as unknown as FiscalPlatform } as unknown as Deps;
  return {
    nextUploadBatch: (i: Parameters<typeof nextUploadBatch>[1]) => nextUploadBatch(deps, i),
    uploadFiscalBatch: (ref: Parameters<typeof uploadFiscalBatch>[1]) => uploadFiscalBatch(deps, ref),
    recordUploadResults: (i: Parameters<typeof recordUploadResults>[1]) => recordUploadResults(deps, i),
  };
};

async function addBill(over: { isScarlet?: boolean; relatedBillId?: number; totalAmt?: number } = {}): Promise<number> {
  const em = orm.em.fork();
  const place = await em.findOneOrFail(BillingPoint, { code: 'MZ01' });
  const kind = await em.findOneOrFail(BillKind, { code: '0401' });
  seq++;
  return em.transactional((tx) =>
    insertBill(
      tx,
      {
        hospitalId: place.hospital.id, appid: 'APP', busNo: `U${seq}`, busType: '02', method: 'invoiceEBillOutpatient', billKindId: kind.id, placeId: place.id,
        billBatchCode: '44040126', billNo: String(900000 + seq).padStart(10, '0'), random: 'abc123', totalAmt: over.totalAmt ?? 1000, payer: '张三', patientNo: 'P1',
        payee: 'x', author: 'x', busDateTime: '20261122080000000', issuedAt: new Date(), isScarlet: !!over.isScarlet, signedData: 'text', signature: 'ab'.repeat(64),
        workflowId: 'wf', relatedBillId: over.relatedBillId,
      },
      [],
      [],
    ),
  );
}
const bill = (id: number) => orm.em.fork().findOneOrFail(Bill, id);
const clearQueue = () => orm.em.fork().getConnection().execute(`update bill set upload_state = 'uploaded' where upload_state = 'pending'`, [], 'run');
const accepted = async (_h: string, _b: string, bills: UploadBill[]) => bills.map((b) => ({ billBatchCode: b.billBatchCode, billNo: b.billNo, state: 'accepted' as const }));

beforeEach(async () => {
  await clearQueue();
  fiscal = { uploadBills: jest.fn(accepted) };
});

test('a whole batch refused: every bill rejected with the reason, the batch marked, nothing retried', async () => {
  const ids = [await addBill(), await addBill()];
  fiscal.uploadBills.mockRejectedValueOnce(new FiscalRejectedError('F4030', 'hospitalCode: 与 appId 所属单位不符'));
  const a = acts();
  const ref = (await a.nextUploadBatch({ limit: 10 }))!;
  expect(ref.billIds).toEqual(ids);
  const outcome = await a.uploadFiscalBatch(ref);
  expect('batchRejected' in outcome).toBe(true);
  const rec = await a.recordUploadResults({ outcome });
  expect(rec).toMatchObject({ accepted: 0, rejected: 2 });
  for (const id of ids) expect(await bill(id)).toMatchObject({ uploadState: 'rejected', uploadReason: expect.stringContaining('F4030') });
  const row = await orm.em.fork().findOneOrFail(FiscalUploadBatch, { batchNo: outcome.batchNo });
  expect(row).toMatchObject({ state: 'rejected', rejectedCount: 2, lastError: expect.stringMatching(/^E0071/) });
  expect(await a.nextUploadBatch({ limit: 10 })).toBeNull();
});

test('the fiscal side unavailable: the error is thrown (Temporal retries), noted on the batch, the bills stay pending; the retry is the same batch', async () => {
  const ids = [await addBill(), await addBill()];
  fiscal.uploadBills.mockRejectedValueOnce(new FiscalUnavailableError('HTTP 503'));
  const a = acts();
  const ref = (await a.nextUploadBatch({ limit: 10 }))!;
  await expect(a.uploadFiscalBatch(ref)).rejects.toBeInstanceOf(FiscalUnavailableError);
  const row = await orm.em.fork().findOneOrFail(FiscalUploadBatch, { firstBillId: ids[0] });
  expect(row).toMatchObject({ state: 'sending', attempts: 1, lastError: expect.stringMatching(/^E0070/) });
  for (const id of ids) expect((await bill(id)).uploadState).toBe('pending');

  const outcome = await a.uploadFiscalBatch(ref);
  expect(outcome.batchNo).toBe(row.batchNo);
  expect(fiscal.uploadBills.mock.calls[1][1]).toBe(fiscal.uploadBills.mock.calls[0][1]);
  await a.recordUploadResults({ outcome });
  expect(await orm.em.fork().findOneOrFail(FiscalUploadBatch, row.id)).toMatchObject({ state: 'done', attempts: 2, acceptedCount: 2 });
  for (const id of ids) expect(await bill(id)).toMatchObject({ uploadState: 'uploaded', uploadBatchNo: row.batchNo, uploadAttempts: 2 });
});

test('a bill reversed while its batch was in flight stays pending and goes again; recording twice changes nothing', async () => {
  const [x, y] = [await addBill(), await addBill()];
  const a = acts();
  const outcome = await a.uploadFiscalBatch((await a.nextUploadBatch({ limit: 10 }))!);
  // The reversal commits between the upload and the recording (it also puts the bill back to pending).
  await orm.em.fork().getConnection().execute(`update bill set state = 'reversed', upload_state = 'pending' where id = ?`, [y], 'run');
  expect(await a.recordUploadResults({ outcome })).toMatchObject({ accepted: 1, skipped: 1 });
  expect(await a.recordUploadResults({ outcome })).toMatchObject({ accepted: 0, rejected: 0, skipped: 2 });
  expect((await bill(x)).uploadState).toBe('uploaded');
  expect((await bill(y)).uploadState).toBe('pending');
  const next = (await a.nextUploadBatch({ limit: 10 }))!;
  expect(next.billIds).toEqual([y]);
  await a.uploadFiscalBatch(next);
  expect(fiscal.uploadBills.mock.calls[1][2]).toEqual([expect.objectContaining({ state: 'reversed' })]);
  const events: Array<{ type: string }> = await orm.em.fork().getConnection().execute('select type from bill_event where bill_id = ?', [x]);
  expect(events.map((e) => e.type)).toEqual(['uploaded']);
});

test('originals go before their red bills; a red bill waits while its original is rejected', async () => {
  const orig = await addBill();
  const red = await addBill({ isScarlet: true, relatedBillId: orig, totalAmt: -1000 });
  const a = acts();
  const ref = (await a.nextUploadBatch({ limit: 10 }))!;
  expect(ref.billIds).toEqual([orig, red]);
  fiscal.uploadBills.mockImplementationOnce(async (_h: string, _b: string, bills: UploadBill[]) => [
    { billBatchCode: bills[0].billBatchCode, billNo: bills[0].billNo, state: 'rejected' as const, reason: 'bills[0].signature: 签名验证失败' },
    { billBatchCode: bills[1].billBatchCode, billNo: bills[1].billNo, state: 'rejected' as const, reason: 'bills[1].relatedBillNo: 红票的原票据尚未上传' },
  ]);
  await a.recordUploadResults({ outcome: await a.uploadFiscalBatch(ref) });
  // The red bill is re-queued while its original is still rejected: it is held back, not sent.
  await orm.em.fork().getConnection().execute(`update bill set upload_state = 'pending' where id = ?`, [red], 'run');
  expect(await a.nextUploadBatch({ limit: 10 })).toBeNull();
  // Once the original is on the fiscal side, the red bill goes.
  await orm.em.fork().getConnection().execute(`update bill set upload_state = 'uploaded' where id = ?`, [orig], 'run');
  expect((await a.nextUploadBatch({ limit: 10 }))!.billIds).toEqual([red]);
});
