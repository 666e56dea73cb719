/**
 * The fiscal simulator alone, through the real HTTP client (adapters/fiscal/client.ts): request
 * authentication, basic data, requisition review and segment issue, every upload check, idempotent
 * re-upload, accounting status, public verification, faults, and state kept across a restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFiscalSim, type FiscalSim } from './server';
import { HttpFiscalPlatform } from '../../adapters/fiscal/client';
import { FiscalRejectedError, FiscalUnavailableError, type UploadBill } from '../../adapters/fiscal/platform';
import { FISCAL_HEADERS, fiscalSignature } from '../../protocol/fiscal-wire';
import { sm2KeyPair, sm2Sign } from '../../common/gm';

const keys = sm2KeyPair();
const otherKeys = sm2KeyPair();
const APP = { appId: 'APP-H1', secret: 'secret-h1' };
let clock = Date.parse('2026-11-22T08:00:00Z');
const now = () => clock;
let dir: string;
let sim: FiscalSim;
let fiscal: HttpFiscalPlatform;

const start = () => startFiscalSim({ port: 0, dataDir: dir, reviewDelayMs: 2000, accountAfterMs: 3_600_000, now: () => clock });
const post = async (p: string, body: unknown) => {
  const r = await fetch(`${sim.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as any };
};
const get = async (p: string) => (await (await fetch(`${sim.url}${p}`)).json()) as any;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fiscal-sim-'));
  sim = await start();
  fiscal = new HttpFiscalPlatform({ url: sim.url, ...APP, timeoutMs: 2000, now });
  const reg = await post('/_sim/hospitals', {
    code: 'H44000001', name: '示范医院', regionCode: '44', ...APP, publicKey: keys.publicKey,
    segments: [{ billKindCode: '0401', billBatchCode: '44040126', startNo: 1, endNo: 100 }],
  });
  expect(reg.status).toBe(200);
  await post('/_sim/hospitals', { code: 'H44000002', name: '另一医院', regionCode: '44', appId: 'APP-H2', secret: 's2', publicKey: otherKeys.publicKey,
    segments: [{ billKindCode: '0401', billBatchCode: '44040126', startNo: 101, endNo: 200 }] });
});
afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let ok1: UploadBill;

function bill(no: number, over: Partial<UploadBill> = {}, signKeys = keys): UploadBill {
  const b: UploadBill = {
    billBatchCode: '44040126', billNo: String(no).padStart(10, '0'), random: 'ab12cd', billKindCode: '0401', totalAmt: '12.50',
    issuedAt: '2026-11-22T08:00:00.000Z', payer: '张三', isScarlet: false, state: 'normal', signedData: '', signature: '', ...over,
  };
  b.signedData ||= `${b.billBatchCode}|${b.billNo}|${b.totalAmt}|${b.payer}`;
  b.signature ||= sm2Sign(b.signedData, signKeys.privateKey, signKeys.publicKey);
  return b;
}

describe('authentication', () => {
  const raw = async (headers: Record<string, string>, body = '') =>
    fetch(`${sim.url}/fiscal/basic-data`, { method: 'GET', headers }).then(async (r) => ({ status: r.status, body: (await r.json()) as any, body2: body }));
  const signed = (over: Partial<Record<'appId' | 'timestamp' | 'nonce' | 'secret', string>> = {}) => {
    const ts = over.timestamp ?? String(clock);
    const nonce = over.nonce ?? `n${Math.random().toString(36).slice(2, 14)}`;
    return {
      [FISCAL_HEADERS.appId]: over.appId ?? APP.appId,
      [FISCAL_HEADERS.timestamp]: ts,
      [FISCAL_HEADERS.nonce]: nonce,
      [FISCAL_HEADERS.signature]: fiscalSignature(over.secret ?? APP.secret, 'GET', '/fiscal/basic-data', ts, nonce, ''),
    };
  };

  test('a correctly signed request is served; missing, wrong, stale, unknown or replayed ones get 401 in the platform format', async () => {
    expect((await raw(signed())).status).toBe(200);
    const none = await raw({});
    expect(none).toMatchObject({ status: 401, body: { code: 'F4010' } });
    expect(await raw(signed({ secret: 'wrong' }))).toMatchObject({ status: 401, body: { code: 'F4013', message: '签名验证失败' } });
    expect(await raw(signed({ timestamp: String(clock - 6 * 60_000) }))).toMatchObject({ status: 401, body: { code: 'F4012' } });
    expect(await raw(signed({ appId: 'NOPE' }))).toMatchObject({ status: 401, body: { code: 'F4011' } });
    const h = signed({ nonce: 'replay-nonce-1' });
    expect((await raw(h)).status).toBe(200);
    expect(await raw(h)).toMatchObject({ status: 401, body: { code: 'F4012' } });
  });

  test('the client turns a wrong secret into FiscalRejectedError with the code', async () => {
    const bad = new HttpFiscalPlatform({ url: sim.url, appId: APP.appId, secret: 'nope', now });
    await expect(bad.basicData()).rejects.toMatchObject({ name: 'FiscalRejectedError', code: 'F4013' });
  });

  test('a hospital cannot act for another one', async () => {
    await expect(fiscal.accountStatus('H44000002', [{ billBatchCode: '44040126', billNo: '0000000101' }])).rejects.toMatchObject({ code: 'F4030' });
  });
});

test('basic data: bill kinds 0401/0402 and more, the fiscal charge items, a version that changes with the lists', async () => {
  const bd = await fiscal.basicData();
  expect(bd.billKinds.map((k) => k.code)).toEqual(expect.arrayContaining(['0401', '0402', '0403']));
  expect(bd.billKinds.find((k) => k.code === '0401')).toMatchObject({ name: '医疗门诊收费票据（电子）', category: 'outpatient', electronic: true });
  expect(bd.chargeItems).toEqual(expect.arrayContaining([{ code: '01', name: '挂号费' }, { code: '14', name: '其他费' }]));
  const v1 = bd.version;
  await post('/_sim/basic-data', { chargeItems: [...bd.chargeItems, { code: '17', name: '会诊费' }] });
  const bd2 = await fiscal.basicData();
  expect(bd2.version).not.toBe(v1);
  expect(bd2.chargeItems.map((i) => i.code)).toContain('17');
});

describe('requisitions', () => {
  test('submission is idempotent by (requisitionNo, revision); auto-approval after the delay issues segments continuing the code', async () => {
    const sub = { requisitionNo: 'SL-001', revision: 1, hospitalCode: 'H44000001', applicant: '王会计', lines: [{ billKindCode: '0401', quantity: 1000 }, { billKindCode: '0402', quantity: 50 }] };
    const a = await fiscal.submitRequisition(sub);
    expect(a.fiscalRequisitionNo).toMatch(/^CZSL/);
    expect(await fiscal.submitRequisition(sub)).toEqual(a);
    await expect(fiscal.submitRequisition({ ...sub, lines: [{ billKindCode: '0401', quantity: 5 }] })).rejects.toMatchObject({ name: 'FiscalRejectedError', code: 'F4091' });
    expect(await fiscal.requisitionStatus('H44000001', 'SL-001', 1)).toEqual({ state: 'submitted' });
    clock += 2000;
    const st = await fiscal.requisitionStatus('H44000001', 'SL-001', 1);
    expect(st).toMatchObject({ state: 'approved', reviewer: expect.any(String) });
    if (st.state !== 'approved') throw new Error('not approved');
    // 44040126 was issued up to 200 (both hospitals): the new numbers continue after it
    expect(st.segments).toEqual([
      { billKindCode: '0401', billBatchCode: '44040126', startNo: 201, endNo: 1200 },
      { billKindCode: '0402', billBatchCode: '44040226', startNo: 1, endNo: 50 },
    ]);
    expect(await fiscal.requisitionStatus('H44000001', 'SL-001', 1)).toEqual(st);
    const segs = await get('/_sim/segments');
    expect(segs.filter((s: any) => s.source === a.fiscalRequisitionNo)).toHaveLength(2);
  });

  test('unknown bill kind, bad quantity and unknown requisition are rejected with the field', async () => {
    await expect(fiscal.submitRequisition({ requisitionNo: 'SL-BAD', revision: 1, hospitalCode: 'H44000001', applicant: 'x', lines: [{ billKindCode: '9999', quantity: 1 }] }))
      .rejects.toThrow(/lines\[0\]\.billKindCode/);
    await expect(fiscal.submitRequisition({ requisitionNo: 'SL-BAD', revision: 1, hospitalCode: 'H44000001', applicant: 'x', lines: [{ billKindCode: '0401', quantity: 0 }] }))
      .rejects.toThrow(/lines\[0\]\.quantity/);
    await expect(fiscal.requisitionStatus('H44000001', 'SL-NONE', 1)).rejects.toMatchObject({ code: 'F4040' });
  });

  test('with auto-approve off: manual return, resubmission as the next revision, manual approval', async () => {
    const d2 = fs.mkdtempSync(path.join(os.tmpdir(), 'fiscal-sim-manual-'));
    const manual = await startFiscalSim({ port: 0, dataDir: d2, autoApprove: false, now: () => clock });
    try {
      await fetch(`${manual.url}/_sim/hospitals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'H44000001', name: 'h', regionCode: '44', ...APP, publicKey: keys.publicKey }) });
      const f = new HttpFiscalPlatform({ url: manual.url, ...APP, now });
      const sub = { requisitionNo: 'SL-M', revision: 1, hospitalCode: 'H44000001', applicant: '王会计', lines: [{ billKindCode: '0401', quantity: 10 }] };
      await f.submitRequisition(sub);
      clock += 60_000;
      expect(await f.requisitionStatus('H44000001', 'SL-M', 1)).toEqual({ state: 'submitted' });
      await expect(f.submitRequisition({ ...sub, revision: 2 })).rejects.toThrow(/revision/);
      const review = (body: unknown) => fetch(`${manual.url}/_sim/review`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await review({ requisitionNo: 'SL-M', decision: 'return', comment: '数量过多' })).status).toBe(200);
      expect(await f.requisitionStatus('H44000001', 'SL-M', 1)).toMatchObject({ state: 'returned', comment: '数量过多' });
      expect((await review({ requisitionNo: 'SL-M', decision: 'approve' })).status).toBe(409);
      await f.submitRequisition({ ...sub, revision: 2, lines: [{ billKindCode: '0401', quantity: 5 }] });
      expect((await review({ requisitionNo: 'SL-M', decision: 'approve' })).status).toBe(200);
      expect(await f.requisitionStatus('H44000001', 'SL-M', 2)).toMatchObject({
        state: 'approved', segments: [{ billKindCode: '0401', billBatchCode: '44040126', startNo: 1, endNo: 5 }],
      });
    } finally {
      await manual.close();
      fs.rmSync(d2, { recursive: true, force: true });
    }
  });
});

describe('upload', () => {
  test('each check: signature, segment, number used twice, red bill needs its original; the same content again is accepted again', async () => {
    ok1 = bill(1);
    const red = bill(2, { isScarlet: true, totalAmt: '-12.50', relatedBillBatchCode: '44040126', relatedBillNo: '0000000003' });
    const orig3 = bill(3);
    const res = await fiscal.uploadBills('H44000001', 'B1', [
      ok1,
      bill(4, {}, otherKeys), // signed with another key
      bill(150), // issued to the other hospital
      bill(5000), // never issued
      red, // original 3 not uploaded yet
      orig3,
      bill(6, { isScarlet: true, totalAmt: '-12.50', relatedBillBatchCode: '44040126', relatedBillNo: '0000000003' }), // original earlier in this batch
      bill(7, { totalAmt: '12.5x' }),
      { ...bill(8), billNo: '8' },
    ]);
    expect(res.map((r) => r.state)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'rejected', 'accepted', 'accepted', 'rejected', 'rejected']);
    expect(res[1]!.reason).toMatch(/签名/);
    expect(res[2]!.reason).toMatch(/号段/);
    expect(res[3]!.reason).toMatch(/号段/);
    expect(res[4]!.reason).toMatch(/原票据 44040126-0000000003 尚未上传/);
    expect(res[7]!.reason).toMatch(/totalAmt/);
    expect(res[8]!.reason).toMatch(/billNo/);

    // the same bill again (a retried batch): accepted again, counted; other content for number 1: rejected
    const again = await fiscal.uploadBills('H44000001', 'B2', [ok1, bill(1, { totalAmt: '99.00' })]);
    expect(again.map((r) => r.state)).toEqual(['accepted', 'rejected']);
    expect(again[1]!.reason).toMatch(/已上传过其他内容/);
    // the original reversed since: uploaded again with state reversed; it cannot go back to normal
    const rev = await fiscal.uploadBills('H44000001', 'B3', [{ ...orig3, state: 'reversed' }, orig3]);
    expect(rev.map((r) => r.state)).toEqual(['accepted', 'rejected']);

    const uploads = (await get('/_sim/uploads')) as any[];
    const u1 = uploads.find((u) => u.billNo === '0000000001');
    expect(u1).toMatchObject({ acceptedCount: 2, batchNos: ['B1', 'B2'] });
    expect(Date.parse(u1.lastAt)).toBeGreaterThanOrEqual(Date.parse(u1.firstAt));
    expect(uploads.map((u) => u.billNo).sort()).toEqual(['0000000001', '0000000003', '0000000006']);
  });

  test('accounting status: by /_sim/account or after MEDBILL_FISCAL_SIM_ACCOUNT_AFTER', async () => {
    const st = await fiscal.accountStatus('H44000001', [{ billBatchCode: '44040126', billNo: '0000000001' }, { billBatchCode: '44040126', billNo: '0000000003' }, { billBatchCode: '44040126', billNo: '0000000099' }]);
    expect(st.map((s) => s.accounted)).toEqual([false, false, false]);
    expect((await post('/_sim/account', { billBatchCode: '44040126', billNo: '0000000001' })).status).toBe(200);
    const st2 = await fiscal.accountStatus('H44000001', [{ billBatchCode: '44040126', billNo: '0000000001' }]);
    expect(st2[0]).toMatchObject({ accounted: true, accountedAt: expect.any(String) });
    expect((await post('/_sim/account', { billBatchCode: '44040126', billNo: '0000000077' })).status).toBe(404);
    clock += 3_600_000;
    const st3 = await fiscal.accountStatus('H44000001', [{ billBatchCode: '44040126', billNo: '0000000003' }, { billBatchCode: '44040126', billNo: '0000000099' }]);
    expect(st3.map((s) => s.accounted)).toEqual([true, false]);
  });

  test('public verification: found with state and amount; a wrong check code is not found', async () => {
    expect(await get('/verify?code=44040126&number=1&random=ab12cd')).toMatchObject({ found: true, state: 'normal', amount: '12.50' });
    expect(await get('/verify?code=44040126&number=0000000003&random=ab12cd')).toMatchObject({ found: true, state: 'reversed' });
    expect(await get('/verify?code=44040126&number=0000000006&random=ab12cd')).toMatchObject({ found: true, state: 'red', amount: '-12.50' });
    expect(await get('/verify?code=44040126&number=1&random=000000')).toEqual({ found: false });
    expect(await get('/verify?code=44040126&number=4242&random=ab12cd')).toEqual({ found: false });
  });
});

describe('faults', () => {
  const fault = (mode: string, delayMs?: number) => post('/_sim/faults', { mode, delayMs });
  afterEach(async () => {
    await fault('ok');
  });

  test('down: 503 for the fiscal API (FiscalUnavailableError), /_sim still answers', async () => {
    await fault('down');
    await expect(fiscal.basicData()).rejects.toBeInstanceOf(FiscalUnavailableError);
    expect((await fetch(`${sim.url}/verify?code=1&number=1&random=1`)).status).toBe(503);
    expect(Array.isArray(await get('/_sim/uploads'))).toBe(true);
  });

  test('flaky: every other call fails', async () => {
    await fault('flaky');
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await fiscal.basicData().then(() => 'ok', (e) => (e instanceof FiscalUnavailableError ? 'down' : 'other')));
    expect(outcomes).toEqual(['down', 'ok', 'down', 'ok']);
  });

  test('slow: the client times out (FiscalUnavailableError) while the answer is held', async () => {
    await fault('slow', 60_000);
    const quick = new HttpFiscalPlatform({ url: sim.url, ...APP, timeoutMs: 300, now });
    await expect(quick.basicData()).rejects.toThrow(/no answer within 300 ms/);
  });

  test('an unreachable platform is FiscalUnavailableError, a business refusal FiscalRejectedError', async () => {
    const nowhere = new HttpFiscalPlatform({ url: 'http://127.0.0.1:1', ...APP, timeoutMs: 1000, now });
    await expect(nowhere.basicData()).rejects.toBeInstanceOf(FiscalUnavailableError);
    await expect(fiscal.requisitionStatus('H44000001', 'SL-NONE', 1)).rejects.toBeInstanceOf(FiscalRejectedError);
  });
});

test('a restart keeps hospitals, segments, requisitions and uploads', async () => {
  const before = sim.state();
  await sim.close();
  sim = await start();
  fiscal = new HttpFiscalPlatform({ url: sim.url, ...APP, now });
  const after = sim.state();
  expect(after.uploads).toEqual(before.uploads);
  expect(after.segments).toEqual(before.segments);
  expect(after.requisitions).toEqual(before.requisitions);
  expect((await fiscal.requisitionStatus('H44000001', 'SL-001', 1)).state).toBe('approved');
  // a re-upload after the restart is still idempotent (the stored signature: SM2 signatures are randomised)
  expect((await fiscal.uploadBills('H44000001', 'B9', [ok1]))[0]!.state).toBe('accepted');
});
