/**
 * The fiscal batch upload against the fiscal simulator: issued and reversed bills reach the fiscal
 * side (originals before their red bills), an outage loses nothing, a bill the fiscal side rejects
 * shows in the console with the reason and can be re-queued, and the accounting status (入账) is
 * fetched and answered through getEBillAccountStatus. The Schedules run only when triggered here
 * (MEDBILL_UPLOAD_EVERY / MEDBILL_ACCOUNT_EVERY = 24h), so each step is driven by the test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bill } from '../orm/entities';
import { busDateTime } from '../sim/his/client';
import { freePort } from '../scripts/temporal-dev';
import { eventually, signIn, startPlatform, type Platform } from './harness';

interface SimUpload {
  billBatchCode: string;
  billNo: string;
  state: string;
  isScarlet: boolean;
  relatedBillNo?: string;
  acceptedCount: number;
  contentHash: string;
  accounted: boolean;
}

let p: Platform;
let fiscalUrl: string;
let finance: string;

const login = async (username: string, password: string) =>
  signIn(p.baseUrl, username, password);
const api = async (token: string, path: string, body?: unknown) => {
  const res = await fetch(`${p.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { cookie: token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const sim = async (path: string, body?: unknown) => {
  const res = await fetch(`${fiscalUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sim ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
};
const simUploads = async () => (await sim('/_sim/uploads')) as SimUpload[];
const billOf = async (no: { billBatchCode: string; billNo: string }) => p.orm.em.fork().findOneOrFail(Bill, { billBatchCode: no.billBatchCode, billNo: no.billNo });

/**
 * 立即上传 through the console, until every given bill has left `pending`. The Schedule skips a
 * trigger while a run is still going (that run picks the new bills up anyway), so it is re-triggered.
 */
async function uploadUntilSettled(bills: Array<{ billBatchCode: string; billNo: string }>, timeoutMs = 90_000) {
  return eventually(
    async () => {
      const rows = await Promise.all(bills.map(billOf));
      if (rows.every((b) => b.uploadState !== 'pending')) return rows;
      await api(finance, '/api/upload/run', {});
      await new Promise((r) => setTimeout(r, 1000));
      return undefined;
    },
    'the bills to be uploaded',
    timeoutMs,
  );
}

/**
 * Waits until no upload run is going (an earlier test's triggers may have buffered one more run,
 * which starts as soon as the running one ends): idle on two looks two seconds apart.
 */
async function uploaderIdle(): Promise<void> {
  const running = async () => (await p.client.schedule.getHandle('fiscal-upload').describe()).info.runningActions.length;
  await eventually(async () => {
    if ((await running()) > 0) return false;
    await new Promise((r) => setTimeout(r, 2000));
    return (await running()) === 0;
  }, 'the upload runs of earlier tests to end', 120_000);
}

const reverse = async (b: { billBatchCode: string; billNo: string }) => {
  const r = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(r.result).toBe('S0000');
  return { billBatchCode: r.message.eScarletBillBatchCode as string, billNo: r.message.eScarletBillNo as string };
};

describe('fiscal batch upload', () => {
  beforeAll(async () => {
    const port = await freePort();
    p = await startPlatform({ MEDBILL_FISCAL_SIM_PORT: String(port), MEDBILL_UPLOAD_EVERY: '24h', MEDBILL_ACCOUNT_EVERY: '24h', MEDBILL_UPLOAD_RETRY_MAX: '3s' });
    fiscalUrl = `http://127.0.0.1:${port}`;
    finance = await login('finance', 'finance123');
  }, 240_000);
  afterAll(async () => {
    await p?.stop();
  });

  test('issued and reversed bills are uploaded once each, originals before their red bills', async () => {
    const a = await p.his.issueOutpatient();
    const b = await p.his.issueOutpatient();
    const c = await p.his.issueOutpatient();
    // c is reversed before its first upload: it goes once, as reversed, ahead of its red bill.
    const redC = await reverse(c);
    await uploadUntilSettled([a, b, c, redC]);
    // a is reversed after its upload: it goes back to pending and is sent again (reversed), then its red bill.
    const redA = await reverse(a);
    expect((await billOf(a)).uploadState).toBe('pending');
    await uploadUntilSettled([a, redA]);

    const rows = await Promise.all([a, b, c, redC, redA].map(billOf));
    expect(rows.map((r) => r.uploadState)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded', 'uploaded']);
    expect(rows.every((r) => r.uploadBatchNo && r.uploadedAt)).toBe(true);

    const ups = await simUploads();
    const idx = (x: { billNo: string; billBatchCode: string }) => ups.findIndex((u) => u.billBatchCode === x.billBatchCode && u.billNo === x.billNo);
    for (const x of [a, b, c, redC, redA]) expect(idx(x)).toBeGreaterThanOrEqual(0);
    expect(idx(c)).toBeLessThan(idx(redC));
    expect(idx(a)).toBeLessThan(idx(redA));
    const at = (x: { billNo: string; billBatchCode: string }) => ups[idx(x)];
    expect(at(b)).toMatchObject({ state: 'normal', acceptedCount: 1 });
    expect(at(c)).toMatchObject({ state: 'reversed', acceptedCount: 1 });
    expect(at(a)).toMatchObject({ state: 'reversed', acceptedCount: 2 }); // once normal, once reversed: the same content
    expect(at(redA)).toMatchObject({ isScarlet: true, relatedBillNo: a.billNo, acceptedCount: 1 });

    // The timeline says so.
    const detail = await api(finance, `/api/bills/${rows[0].id}`);
    expect(detail.body.bill.timeline.filter((e: { type: string }) => e.type === 'uploaded')).toHaveLength(2);
    expect(detail.body.bill.upload).toMatchObject({ state: 'uploaded', accounted: false });
  }, 240_000);

  test('the fiscal side down for a while: nothing is lost, every bill is uploaded once after it comes back', async () => {
    await sim('/_sim/faults', { mode: 'down' });
    const bills = [await p.his.issueOutpatient(), await p.his.issueOutpatient(), await p.his.issueOutpatient()];
    await api(finance, '/api/upload/run', {});
    // The batch is tried again and again; the console shows the outage.
    const batch = await eventually(
      async () => {
        const s = await api(finance, '/api/upload/summary');
        const sending = s.body.batches.find((x: { state: string; attempts: number }) => x.state === 'sending' && x.attempts >= 3);
        return sending;
      },
      'the batch to be retried during the outage',
    );
    expect(batch.lastError).toMatch(/^E0070/);
    for (const x of bills) expect((await billOf(x)).uploadState).toBe('pending');
    const ups = await simUploads();
    expect(ups.filter((u) => bills.some((x) => x.billNo === u.billNo && x.billBatchCode === u.billBatchCode))).toHaveLength(0);

    await sim('/_sim/faults', { mode: 'ok' });
    await uploadUntilSettled(bills);
    const after = await simUploads();
    for (const x of bills) {
      expect((await billOf(x)).uploadState).toBe('uploaded');
      expect(after.find((u) => u.billNo === x.billNo && u.billBatchCode === x.billBatchCode)).toMatchObject({ acceptedCount: 1 });
    }
    const s = await api(finance, '/api/upload/summary');
    expect(s.body.batches.find((x: { batchNo: string }) => x.batchNo === batch.batchNo)).toMatchObject({ state: 'done', acceptedCount: 3 });
    expect((await billOf(bills[0])).uploadAttempts).toBeGreaterThanOrEqual(3);
  }, 240_000);

  test('a bill the fiscal side rejects shows with the reason in the console and can be re-queued', async () => {
    // No run of an earlier test may upload the bill before its signature is tampered with.
    await uploaderIdle();
    const bad = await p.his.issueOutpatient();
    const good = await p.his.issueOutpatient();
    const row = await billOf(bad);
    const signature = row.signature;
    const tampered = (signature[0] === 'a' ? 'b' : 'a') + signature.slice(1);
    await p.orm.em.fork().getConnection().execute('update bill set signature = ? where id = ?', [tampered, row.id], 'run');

    await uploadUntilSettled([bad, good]);
    expect((await billOf(good)).uploadState).toBe('uploaded');
    const rejected = await billOf(bad);
    expect(rejected.uploadState).toBe('rejected');
    expect(rejected.uploadReason).toMatch(/signature/);

    // The console: counts, the rejected list with the reason and a link target, the bill's page.
    const summary = await api(finance, '/api/upload/summary');
    expect(summary.body.counts.rejected).toBeGreaterThanOrEqual(1);
    const list = await api(finance, '/api/upload/bills?state=rejected');
    expect(list.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ id: row.id, billNo: bad.billNo, uploadReason: expect.stringMatching(/签名验证失败/) })]));
    const detail = await api(finance, `/api/bills/${row.id}`);
    expect(detail.body.bill.upload).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/signature/) });
    expect(detail.body.bill.timeline.map((e: { type: string; label: string }) => e.label)).toContain('财政拒收');

    // Cashiers do not manage the upload; an uploaded bill cannot be re-queued.
    const cashier = await login('cashier', 'cashier123');
    expect((await api(cashier, '/api/upload/summary')).status).toBe(403);
    expect((await api(cashier, '/api/upload/requeue', { billIds: [row.id] })).status).toBe(403);
    const refused = await api(finance, '/api/upload/requeue', { billIds: [(await billOf(good)).id] });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('E0072');

    // The cause fixed (the signature restored), finance re-queues it: recorded who and when, then uploaded.
    await p.orm.em.fork().getConnection().execute('update bill set signature = ? where id = ?', [signature, row.id], 'run');
    const rq = await api(finance, '/api/upload/requeue', { billIds: [row.id] });
    expect(rq.status).toBe(200);
    expect(rq.body.requeued).toEqual([row.id]);
    const requeued = await billOf(bad);
    expect(requeued.uploadState).toBe('pending');
    expect(requeued.uploadRequeuedBy).toBeTruthy();
    expect(requeued.uploadRequeuedAt).toBeTruthy();
    await uploadUntilSettled([bad]);
    expect((await billOf(bad)).uploadState).toBe('uploaded');
    const up = (await simUploads()).find((u) => u.billNo === bad.billNo && u.billBatchCode === bad.billBatchCode);
    expect(up).toMatchObject({ acceptedCount: 1 });
  }, 240_000);

  test('the accounting status is fetched from the fiscal side and answered by getEBillAccountStatus', async () => {
    const x = await p.his.issueOutpatient();
    const y = await p.his.issueOutpatient();
    await uploadUntilSettled([x, y]);
    const before = await p.hisClient.callWithRetry('getEBillAccountStatus', { billBatchCode: x.billBatchCode, billNo: x.billNo });
    expect(before.result).toBe('S0000');
    expect(before.message).toMatchObject({ accountStatus: '0', accountTime: '', uploadState: 'uploaded' });

    await sim('/_sim/account', { billBatchCode: x.billBatchCode, billNo: x.billNo });
    await eventually(
      async () => {
        if ((await billOf(x)).accounted) return true;
        await api(finance, '/api/upload/account/run', {});
        await new Promise((r) => setTimeout(r, 1000));
        return false;
      },
      'the accounting status to be fetched',
    );
    const now = await p.hisClient.callWithRetry('getEBillAccountStatus', { billBatchCode: x.billBatchCode, billNo: x.billNo });
    expect(now.result).toBe('S0000');
    expect(now.message.accountStatus).toBe('1');
    expect(now.message.accountTime).toMatch(/^\d{17}$/);
    // The other bill was asked about too, and is not accounted.
    expect((await billOf(y)).accountCheckedAt).toBeTruthy();
    const other = await p.hisClient.callWithRetry('getEBillAccountStatus', { billBatchCode: y.billBatchCode, billNo: y.billNo });
    expect(other.message.accountStatus).toBe('0');
    const detail = await api(finance, `/api/bills/${(await billOf(x)).id}`);
    expect(detail.body.bill.upload).toMatchObject({ accounted: true, accountedAt: expect.any(String) });

    const unknown = await p.hisClient.call('getEBillAccountStatus', { billBatchCode: x.billBatchCode, billNo: '9999999999' });
    expect(unknown.result).toBe('E0030');
    expect(unknown.message).toMatch(/^billNo: /);
    const missing = await p.hisClient.call('getEBillAccountStatus', { billBatchCode: x.billBatchCode });
    expect(missing.result).toBe('E0010');
    expect(missing.message).toMatch(/^billNo: /);
  }, 240_000);
});

describe('fiscal batch upload: the worker dies after the fiscal side accepted a batch', () => {
  let crashy: Platform;
  beforeAll(async () => {
    const port = await freePort();
    crashy = await startPlatform({ MEDBILL_FISCAL_SIM_PORT: String(port), MEDBILL_UPLOAD_EVERY: '24h', MEDBILL_ACCOUNT_EVERY: '24h', MEDBILL_UPLOAD_RETRY_MAX: '3s', MEDBILL_CRASH_AT: 'after-upload' });
    p = crashy;
    fiscalUrl = `http://127.0.0.1:${port}`;
    finance = await login('finance', 'finance123');
  }, 240_000);
  afterAll(async () => {
    await crashy?.stop();
  });

  test('after the restart every bill is uploaded, none with different content, none lost', async () => {
    const bills = [await p.his.issueOutpatient(), await p.his.issueOutpatient(), await p.his.issueOutpatient()];
    const red = await reverse(bills[1]);
    const all = [...bills, red];
    await api(finance, '/api/upload/run', {});
    // The fiscal side accepted the batch, then the process died before recording it.
    await eventually(async () => fetch(`${p.baseUrl}/health`).then(() => false, () => true), 'the process to die after the upload');
    // The simulator died with the process; its state file says what it had accepted.
    const first = (JSON.parse(fs.readFileSync(path.join(p.dataDir, 'fiscal-sim.json'), 'utf8')) as { uploads: SimUpload[] }).uploads;
    expect(first).toHaveLength(4);
    expect(first.every((u) => u.acceptedCount === 1)).toBe(true);
    for (const x of all) expect((await billOf(x)).uploadState).toBe('pending');

    await p.restart();
    await uploadUntilSettled(all, 150_000);
    const rows = await Promise.all(all.map(billOf));
    expect(rows.map((r) => r.uploadState)).toEqual(['uploaded', 'uploaded', 'uploaded', 'uploaded']);
    const after = await simUploads();
    expect(after).toHaveLength(4);
    for (const u of after) {
      const before = first.find((f) => f.billNo === u.billNo && f.billBatchCode === u.billBatchCode)!;
      // Sent again with the same content (the fiscal side refuses different content for a number it has): accepted twice, recorded once.
      expect(u.contentHash).toBe(before.contentHash);
      expect(u.acceptedCount).toBe(2);
    }
    // All four went as one batch, the same batch number both times.
    expect(new Set(rows.map((r) => r.uploadBatchNo)).size).toBe(1);
    const s = await api(finance, '/api/upload/summary');
    expect(s.body.batches.filter((b: { batchNo: string }) => b.batchNo === rows[0].uploadBatchNo)).toHaveLength(1);
  }, 300_000);
});
