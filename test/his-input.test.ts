/**
 * Bad HIS input and replays on the real stack (issue 13, points 4 and 6): control characters are
 * refused naming the field and never block a busNo, a refused issuance frees its busNo for the
 * corrected request (no number skipped), bodies are bounded in size and depth on every endpoint,
 * the same envelope is answered byte for byte and executed once, and a fuzz set of generated bad
 * requests never gets HTTP 5xx, E9999 or an answer that does not name the field.
 * Runs on SQLite, or on MySQL/MariaDB with MEDBILL_TEST_DB_URL.
 */
import { Bill, IssueRequest, Notification } from '../orm/entities';
import { buildRequest, envelopeSign, openResponse, type ResponseEnvelope } from '../protocol/his-envelope';
import { busDateTime, sampleOutpatient } from '../sim/his/client';
import { parseIssueDraft } from '../domain/bill/issue-request';
import { billContent, contentHash } from '../domain/bill/request-content';
import { insertReceivedRequest } from '../orm/repositories/issue-requests';
import { DEMO } from '../orm/seed';
import { eventually, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const M = 'invoiceEBillOutpatient';
/** A refusal the cashier reads at the window: Chinese, after the field at fault (`field: 中文原因`). */
const CHINESE = /[\u4e00-\u9fa5]/;
const issue = (business: Record<string, unknown>, method = M) => p.hisClient.call(method, business);
/** Posts an envelope as it is and returns the raw answer text too. */
async function postRaw(method: string, envelope: unknown): Promise<{ status: number; text: string; result: string; message: any; signOk: boolean }> {
  const res = await fetch(`${p.baseUrl}/medical-web/api/medical/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
  const text = await res.text();
  const opened = openResponse(JSON.parse(text) as ResponseEnvelope, DEMO.appid, DEMO.appKey);
  return { status: res.status, text, ...opened };
}
const billOf = (busNo: string) => p.orm.em.fork().findOne(Bill, { appid: DEMO.appid, busNo });

describe('a refused request never blocks its busNo or a number', () => {
  test('NUL in placeCode is refused naming the field; the corrected request under the same busNo gets the next number', async () => {
    const before = await issue(sampleOutpatient());
    expect(before.result).toBe('S0000');
    const busNo = `NUL${Date.now()}`;
    const bad = await issue(sampleOutpatient({ busNo, placeCode: 'MZ01\u0000' }));
    expect(bad.httpStatus).toBe(200);
    expect(bad.result).toBe('E0010');
    expect(bad.message).toMatch(/^placeCode: 含有不允许的控制字符（U\+0000）/);
    const good = await issue(sampleOutpatient({ busNo }));
    expect(good.result).toBe('S0000');
    expect(good.message.billBatchCode).toBe(before.message.billBatchCode);
    expect(Number(good.message.billNo)).toBe(Number(before.message.billNo) + 1);
  });

  test('a NUL busNo is refused; the corrected busNo issues the next number', async () => {
    const before = await issue(sampleOutpatient());
    const busNo = `NULB${Date.now()}`;
    const bad = await issue(sampleOutpatient({ busNo: `${busNo}\u0000` }));
    expect(bad.result).toBe('E0010');
    expect(bad.message).toMatch(/^busNo: 含有不允许的控制字符/);
    expect(await p.orm.em.fork().count(IssueRequest, { busNo: { $like: `${busNo}%` } })).toBe(0);
    const good = await issue(sampleOutpatient({ busNo }));
    expect(good.result).toBe('S0000');
    expect(Number(good.message.billNo)).toBe(Number(before.message.billNo) + 1);
  });

  test('a stored request the issuing step refuses fails the process at once (E0010, not E0050) and frees the busNo', async () => {
    // A request stored raw (before these rules): its payload holds a NUL the issuing step now refuses.
    const busNo = `RAW${Date.now()}`;
    const valid = sampleOutpatient({ busNo });
    const hash = contentHash(billContent(parseIssueDraft(M, valid)));
    await insertReceivedRequest(p.orm.em, { appid: DEMO.appid, busNo, method: M, hash, payload: JSON.stringify({ ...valid, placeCode: 'MZ01\u0000' }) });
    const first = await issue(valid);
    expect(first.result).toBe('E0010');
    expect(first.message).toMatch(/^placeCode: 含有不允许的控制字符/);
    const req = await p.orm.em.fork().findOneOrFail(IssueRequest, { appid: DEMO.appid, busNo });
    expect(req.status).toBe('rejected');
    const corrected = await issue({ ...valid, remark: '更正后重发' });
    expect(corrected.result).toBe('S0000');
    expect((await billOf(busNo))?.billNo).toBe(corrected.message.billNo);
  });
});

describe('bounded bodies on every endpoint', () => {
  test('otherInfo nested 3,000 deep is refused with E0001 in a signed envelope (HTTP 200)', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    const r = await issue(sampleOutpatient({ otherInfo: deep }));
    expect(r.httpStatus).toBe(200);
    expect(r.signOk).toBe(true);
    expect(r.result).toBe('E0001');
    expect(r.message).toMatch(/^data: JSON 嵌套超过 \d+ 层/);
  });

  test('a body over the size bound is refused with E0001, not a 5xx', async () => {
    const big = 'x'.repeat(p.cfg.his.maxBodyBytes + 10);
    const res = await fetch(`${p.baseUrl}/medical-web/api/medical/${M}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ appid: DEMO.appid, data: big }) });
    expect(res.status).toBe(200);
    const env = (await res.json()) as ResponseEnvelope;
    const outer = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8'));
    expect(outer.result).toBe('E0001');
    expect(Buffer.from(outer.message, 'base64').toString('utf8')).toMatch(/^body: 请求体超过/);
  });

  test('console and pay notify: too deep is 400, too big is 413, never 5xx', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const login = await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(login.status).toBe(400);
    expect(((await login.json()) as { error: { message: string } }).error.message).toMatch(/^body: JSON 嵌套超过/);
    const big = await fetch(`${p.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x'.repeat(p.cfg.his.maxBodyBytes) }) });
    expect(big.status).toBe(413);
    const pay = await fetch(`${p.baseUrl}/pay/notify/wechat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: deep });
    expect(pay.status).toBeGreaterThanOrEqual(400);
    expect(pay.status).toBeLessThan(500);
  });
});

describe('replays', () => {
  test('noise "x" is refused naming noise', async () => {
    const env = buildRequest(DEMO.appid, DEMO.appKey, sampleOutpatient(), 'x');
    const r = await postRaw(M, env);
    expect(r.result).toBe('E0001');
    expect(r.message).toMatch(/^noise: /);
  });

  test('the same issuance envelope three times (two at once) gets the first answer byte for byte and one bill', async () => {
    const business = sampleOutpatient();
    const env = buildRequest(DEMO.appid, DEMO.appKey, business);
    const [a, b] = await Promise.all([postRaw(M, env), postRaw(M, env)]);
    const c = await postRaw(M, env);
    expect(a.result).toBe('S0000');
    expect(b.text).toBe(a.text);
    expect(c.text).toBe(a.text);
    expect(await p.orm.em.fork().count(Bill, { appid: DEMO.appid, busNo: String(business.busNo) })).toBe(1);
  });

  test('sendEBillNotice: the same envelope three times sends one SMS; a rebuilt request without requestNo is the same request', async () => {
    const bill = await p.his.issueOutpatient();
    const business = { billBatchCode: bill.billBatchCode, billNo: bill.billNo, random: bill.random, noticeList: [{ noticeType: '1201', noticeValue: '13900139000' }] };
    const env = buildRequest(DEMO.appid, DEMO.appKey, business);
    const first = await postRaw('sendEBillNotice', env);
    expect(first.result).toBe('S0000');
    for (let i = 0; i < 2; i++) expect((await postRaw('sendEBillNotice', env)).text).toBe(first.text);
    const rebuilt = await p.hisClient.call('sendEBillNotice', business); // new noise and sign
    expect(rebuilt.result).toBe('S0000');
    expect(rebuilt.message.requestNo).toBe(first.message.requestNo);
    const billId = (await p.orm.em.fork().findOneOrFail(Bill, { billBatchCode: bill.billBatchCode, billNo: bill.billNo })).id;
    const resent = () => p.orm.em.fork().find(Notification, { bill: billId, channel: 'sms', purpose: { $like: 'resend:%' } });
    await eventually(async () => (await resent()).some((n) => n.status === 'sent'), 'the resent SMS is sent');
    expect((await resent()).length).toBe(1);
  });
});

test('printPaperBill: a rebuilt retry of the same request (same busDateTime) queues no second print job', async () => {
  const bill = await p.his.issueOutpatient();
  const business = { billBatchCode: bill.billBatchCode, billNo: bill.billNo, placeCode: 'MZ01', operator: '李敏', busDateTime: busDateTime() };
  const first = await p.hisClient.call('printPaperBill', business);
  expect(first.result).toBe('S0000');
  const again = await p.hisClient.call('printPaperBill', business); // new noise and sign
  expect(again.message).toEqual(first.message);
  const next = await p.hisClient.call('printPaperBill', { ...business, busDateTime: busDateTime(new Date(Date.now() + 1000)) });
  expect(next.result).toBe('S0000');
  expect(next.message.printJobId).not.toBe(first.message.printJobId);
});

/** mulberry32: a small deterministic PRNG so the fuzz set is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzCase {
  name: string;
  method: string;
  business: Record<string, unknown>;
  /** The request path the answer must name. */
  field: string;
}

const FORBIDDEN = ['\u0000', '\u0001', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '\u202a', '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\ufeff', '\n', '\r'];
const BAD_AMOUNTS: unknown[] = [-1, -0.01, 0, 1.005, 1e20, 'abc', '', {}, [], true, '1e5', 'NaN', 99999999999];
const BAD_SORT: unknown[] = [0, -1, 1.5, 1e20, 'x', {}, [], true, 10000];

function fuzzCases(): FuzzCase[] {
  const rnd = prng(13_2026);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const cases: FuzzCase[] = [];
  const withChar = (s: string) => {
    const c = pick(FORBIDDEN);
    const at = Math.floor(rnd() * (s.length + 1));
    return s.slice(0, at) + c + s.slice(at);
  };
  // 1. a forbidden character in any text field of an issuance (top level and nested)
  const textPaths = ['busNo', 'payer', 'placeCode', 'payee', 'author', 'checker', 'patientNo', 'patientId', 'cardNo', 'sex', 'patientCategory', 'medicalCareType', 'chargeDetail[0].chargeName', 'chargeDetail[1].chargeCode', 'chargeDetail[2].unit', 'payChannelDetail[0].payChannelCode', 'listDetail[0].name', 'listDetail[2].specification', 'email'];
  for (let i = 0; i < 120; i++) {
    const b = sampleOutpatient({ busNo: `FZ${i}${Date.now()}` }) as Record<string, any>;
    const path = pick(textPaths);
    const m = /^(\w+)(?:\[(\d+)\]\.(\w+))?$/.exec(path)!;
    if (m[2] === undefined) b[m[1]] = withChar(String(b[m[1]] ?? 'x'));
    else b[m[1]][Number(m[2])][m[3]] = withChar(String(b[m[1]][Number(m[2])][m[3]] ?? 'x'));
    cases.push({ name: `char in ${path}`, method: M, business: b, field: path });
  }
  // 2. bad amounts, sortNo, pay channel codes, ID numbers and extra field types
  for (let i = 0; i < 120; i++) {
    const b = sampleOutpatient() as Record<string, any>;
    const kind = Math.floor(rnd() * 6);
    let field: string;
    if (kind === 0) {
      const line = Math.floor(rnd() * 3);
      b.chargeDetail[line].amt = pick(BAD_AMOUNTS);
      field = `chargeDetail[${line}].amt`;
    } else if (kind === 1) {
      const ch = Math.floor(rnd() * 2);
      b.payChannelDetail[ch].payChannelValue = pick(BAD_AMOUNTS);
      field = `payChannelDetail[${ch}].payChannelValue`;
    } else if (kind === 2) {
      const line = Math.floor(rnd() * 3);
      b.chargeDetail[line].sortNo = pick(BAD_SORT);
      field = `chargeDetail[${line}].sortNo`;
    } else if (kind === 3) {
      b.payChannelDetail[0].payChannelCode = pick(['ZZ', 'X1', '99', 'AA', 'wx']);
      field = 'payChannelDetail[0].payChannelCode';
    } else if (kind === 4) {
      const digits = Array.from({ length: 17 }, () => Math.floor(rnd() * 10)).join('');
      b.idCardNo = pick([`${digits}Y`, digits, `${digits}12`, '44010119900101123', '440101199013011234', '440101199001011234']);
      field = 'idCardNo';
    } else {
      field = pick(['medicalCareType', 'sex', 'age', 'hospitalArea', 'bedNo', 'caseNumber', 'fundPay', 'accountPay', 'otherMedicalList']);
      b[field] = field === 'otherMedicalList' ? pick([{}, 'x', 1]) : field.endsWith('Pay') ? pick(['lots', {}, [], 1.005]) : pick([{}, [], { a: 1 }, 'x'.repeat(200)]);
    }
    cases.push({ name: `bad ${field}`, method: M, business: b, field });
  }
  // 3. a forbidden character in the fields of the other HIS methods
  const others: Array<[string, Record<string, unknown>]> = [
    ['writeOffEBill', { billBatchCode: '44040126', billNo: '0000000001', placeCode: 'MZ01', reason: '退费', operator: '李敏', busDateTime: busDateTime() }],
    ['partialRefundEBill', { billBatchCode: '44040126', billNo: '0000000001', placeCode: 'MZ01', reason: '部分退费', operator: '李敏', busDateTime: busDateTime(), refundAmt: 1 }],
    ['sendEBillNotice', { billBatchCode: '44040126', billNo: '0000000001', random: 'abc123', noticeList: [{ noticeType: '1201', noticeValue: '13800138000' }] }],
    ['getEBillByBusNo', { busNo: 'B1' }],
    ['getEBillStatesByBillInfo', { billBatchCode: '44040126', billNo: '0000000001' }],
    ['getBillByBusDate', { placeCode: 'MZ01', busDate: '20261203' }],
    ['printPaperBill', { billBatchCode: '44040126', billNo: '0000000001', placeCode: 'MZ01', operator: '李敏', busDateTime: busDateTime() }],
    ['turnPaper', { billBatchCode: '44040126', billNo: '0000000001', placeCode: 'MZ01', author: '李敏', busDateTime: busDateTime() }],
    ['invalidPaper', { pBillBatchCode: '44040226', pBillNo: '0000000001', placeCode: 'MZ01', author: '李敏', reason: '作废', busDateTime: busDateTime() }],
    ['getValidBillBatchCode', { placeCode: 'MZ01' }],
    ['applyRefund', { refundNo: 'R1', billBatchCode: '44040126', billNo: '0000000001', reason: '退费', operator: '李敏' }],
    ['getRefund', { refundNo: 'R1' }],
    ['checkTotalData', { placeCode: 'MZ01', busDate: '20261203' }],
  ];
  for (let i = 0; i < 80; i++) {
    const [method, base] = pick(others);
    const b = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    const keys = Object.keys(b).filter((k) => typeof b[k] === 'string');
    const f = pick(keys);
    b[f] = withChar(b[f]);
    cases.push({ name: `${method} char in ${f}`, method, business: b, field: f });
  }
  return cases;
}

describe('fuzz: generated bad input against the HIS endpoint (seed 132026)', () => {
  const cases = fuzzCases();
  test('at least 300 cases', () => expect(cases.length).toBeGreaterThanOrEqual(300));

  test('no HTTP 5xx, no S0000, no E9999 or E0050, a signed answer that names the field', async () => {
    const failures: string[] = [];
    for (const [i, c] of cases.entries()) {
      const r = await p.hisClient.call(c.method, c.business);
      const ok = r.httpStatus === 200 && r.signOk && !['S0000', 'E9999', 'E0050'].includes(r.result) && typeof r.message === 'string' && r.message.startsWith(`${c.field}: `) && CHINESE.test(r.message);
      if (!ok) failures.push(`#${i} ${c.name}: HTTP ${r.httpStatus} ${r.result} ${String(typeof r.message === 'string' ? r.message : JSON.stringify(r.message)).slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
  });
});

test('refusals of every HIS method are in Chinese and start with the field at fault', async () => {
  const bill = await p.his.issueOutpatient();
  const ref = { billBatchCode: bill.billBatchCode, billNo: bill.billNo };
  const at = busDateTime();
  const unmapped = { totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10 }], chargeDetail: [{ chargeCode: 'UNMAPPED7', chargeName: '未知项目', amt: 10 }] };
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    [M, sampleOutpatient({ busNo: undefined }), 'E0010', 'busNo'],
    [M, sampleOutpatient({ busType: '99' }), 'E0010', 'busType'],
    [M, sampleOutpatient({ busType: '07' }), 'E0010', 'busType'],
    [M, sampleOutpatient({ busDateTime: '2026-01-01' }), 'E0010', 'busDateTime'],
    [M, sampleOutpatient({ totalAmt: 0 }), 'E0011', 'totalAmt'],
    [M, sampleOutpatient({ totalAmt: 'abc' }), 'E0010', 'totalAmt'],
    [M, sampleOutpatient({ tel: '123' }), 'E0010', 'tel'],
    [M, sampleOutpatient({ email: 'no-at' }), 'E0010', 'email'],
    [M, sampleOutpatient({ payChannelDetail: [] }), 'E0010', 'payChannelDetail'],
    [M, sampleOutpatient({ payChannelDetail: ['x'] }), 'E0010', 'payChannelDetail[0]'],
    [M, sampleOutpatient({ payChannelDetail: [{ payChannelCode: '05', payChannelValue: 100 }] }), 'E0011', 'payChannelDetail'],
    [M, sampleOutpatient({ chargeDetail: [] }), 'E0010', 'chargeDetail'],
    [M, sampleOutpatient({ chargeDetail: Array.from({ length: 501 }, (_, i) => ({ chargeCode: 'GH', chargeName: '挂号费', amt: 1, sortNo: i + 1 })) }), 'E0010', 'chargeDetail'],
    [M, sampleOutpatient({ chargeDetail: [{ chargeCode: 'GH', chargeName: '挂号费', amt: 10 }] }), 'E0011', 'chargeDetail'],
    [M, sampleOutpatient({ chargeDetail: [{ chargeName: '挂号费', amt: 126.5 }] }), 'E0010', 'chargeDetail[0].chargeCode'],
    [M, sampleOutpatient(unmapped), 'E0021', 'chargeDetail[0].chargeCode'],
    [M, sampleOutpatient({ listDetail: 'x' }), 'E0010', 'listDetail'],
    [M, sampleOutpatient({ noticeList: [{ noticeType: '1201', noticeValue: 'x' }] }), 'E0010', 'noticeList[0].noticeValue'],
    [M, sampleOutpatient({ noticeList: [{ noticeType: '1299', noticeValue: 'x' }] }), 'E0010', 'noticeList[0].noticeType'],
    [M, sampleOutpatient({ placeCode: 'NOPE' }), 'E0020', 'placeCode'],
    ['invEBillHospitalized', sampleOutpatient({ busType: '01' }), 'E0010', 'hospitalNo'],
    ['noSuchMethod', {}, 'E0040', 'method'],
    ['writeOffEBill', { ...ref, operator: '李敏', busDateTime: at, placeCode: 'MZ01' }, 'E0010', 'reason'],
    ['writeOffEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: 'x', placeCode: 'MZ01' }, 'E0010', 'busDateTime'],
    ['writeOffEBill', { billBatchCode: bill.billBatchCode, billNo: '9999999999', reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'MZ01' }, 'E0030', 'billNo'],
    ['writeOffEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'NOPE' }, 'E0020', 'placeCode'],
    ['partialRefundEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'MZ01' }, 'E0010', 'refundAmt'],
    ['partialRefundEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'MZ01', refundDetail: [] }, 'E0010', 'refundDetail'],
    ['partialRefundEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'MZ01', refundDetail: [{ sortNo: 9, amt: '1.00' }] }, 'E0010', 'refundDetail[0].sortNo'],
    ['partialRefundEBill', { ...ref, reason: '退费', operator: '李敏', busDateTime: at, placeCode: 'MZ01', refundAmt: '126.50' }, 'E0011', 'refundAmt'],
    ['getEBillByBusNo', {}, 'E0010', 'busNo'],
    ['getEBillByBusNo', { busNo: `NONE${Date.now()}` }, 'E0030', 'busNo'],
    ['getEBillStatesByBillInfo', { billBatchCode: bill.billBatchCode }, 'E0010', 'billNo'],
    ['getEBillStatesByBillInfo', { billBatchCode: bill.billBatchCode, billNo: '9999999999' }, 'E0030', 'billNo'],
    ['getBillByBusDate', { busBgnDate: 'x', busEndDate: 'y', placeCode: 'MZ01' }, 'E0010', 'busBgnDate'],
    ['getBillByBusDate', { busBgnDate: '20260101', busEndDate: '20260101', placeCode: 'MZ01', pageSize: 5000 }, 'E0010', 'pageSize'],
    ['getEBillAccountStatus', { billBatchCode: '12', billNo: '1' }, 'E0010', 'billBatchCode'],
    ['sendEBillNotice', { ...ref, random: 'zzzzzz', noticeList: [{ noticeType: '1201', noticeValue: '13900001111' }] }, 'E0033', 'random'],
    ['sendEBillNotice', { ...ref, random: bill.random, noticeList: [] }, 'E0010', 'noticeList'],
    ['getPaperBillNo', {}, 'E0010', 'placeCode'],
    ['getPaperBillNo', { placeCode: 'NOPE' }, 'E0020', 'placeCode'],
    ['getPaperBillNo', { placeCode: 'MZ01', pBillBatchCode: '44999926' }, 'E0023', 'pBillBatchCode'],
    ['turnPaper', { ...ref, busDateTime: at, placeCode: 'MZ01' }, 'E0010', 'operator'],
    ['invalidPaper', { pBillBatchCode: '44010126', pBillNo: '0000000999', placeCode: 'MZ01', author: '李敏', reason: '作废', busDateTime: at }, 'E0034', 'pBillNo'],
    ['invalidBlankBillNo', { pBillBatchCode: '44010126', pBillNoStart: '0000000009', pBillNoEnd: '0000000008', placeCode: 'MZ01', author: '李敏', reason: '作废', busDateTime: at }, 'E0010', 'pBillNoEnd'],
    ['printPaperBill', { ...ref, placeCode: 'MZ01', busDateTime: at }, 'E0010', 'operator'],
    ['applyRefund', { ...ref, refundNo: 'x' }, 'E0010', 'refundNo'],
  ];
  const failures: string[] = [];
  for (const [method, business, code, field] of cases) {
    const r = await p.hisClient.call(method, business);
    const text = typeof r.message === 'string' ? r.message : JSON.stringify(r.message);
    const ok = r.result === code && text.startsWith(`${field}: `) && CHINESE.test(text.slice(field.length + 2));
    if (!ok) failures.push(`${method} ${field}: ${r.result} ${text.slice(0, 160)}`);
  }
  expect(failures).toEqual([]);
});

test('envelope sign is checked with the key (a wrong key is E0002), constant-time compare in place', async () => {
  const env = buildRequest(DEMO.appid, DEMO.appKey, sampleOutpatient());
  const tampered = { ...env, sign: envelopeSign(DEMO.appid, env.data, env.noise, 'wrong') };
  expect((await postRaw(M, tampered)).result).toBe('E0002');
});
