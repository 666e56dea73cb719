/**
 * Issuance end to end on the real stack: HIS envelope -> API -> Temporal (update-with-start)
 * -> worker (local activity: number, check code, SM2 signature, store) -> background layout
 * file and patient notices. Runs on SQLite, or on MySQL/MariaDB with MEDBILL_TEST_DB_URL.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyRef } from '../adapters/signing/reference-verify';
import { Bill, IssueRequest, Notification, StockSegment } from '../orm/entities';
import { buildRequest, envelopeSign } from '../protocol/his-envelope';
import { busDateTime, HisClient, sampleOutpatient } from '../sim/his/client';
import { payloadHash } from '../domain/bill/issue-request';
import { DEMO } from '../orm/seed';
import { eventually, startPlatform, type Platform } from './harness';
import { pdfText } from './fixtures';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const issue = (business: Record<string, unknown>, method = 'invoiceEBillOutpatient') => p.hisClient.call(method, business);

describe('HIS envelope', () => {
  test('a signed request gets a signed S0000 answer with the bill fields', async () => {
    const business = sampleOutpatient();
    const r = await issue(business);
    expect(r.httpStatus).toBe(200);
    expect(r.signOk).toBe(true);
    expect(r.result).toBe('S0000');
    expect(r.message.billBatchCode).toMatch(/^\d{8}$/);
    expect(r.message.billBatchCode.slice(0, 6)).toBe('440401');
    expect(r.message.billNo).toMatch(/^\d{10}$/);
    expect(r.message.random).toMatch(/^[0-9a-z]{6}$/);
    expect(r.message.createTime).toMatch(/^\d{17}$/);
    const png = Buffer.from(r.message.billQRCode, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(r.message.pictureUrl).toBe(`${p.cfg.server.publicUrl}/h5/bill/${r.message.billBatchCode}/${r.message.billNo}?random=${r.message.random}`);
  });

  test('the sign is MD5 over appid, data, noise, key, version with key before version', () => {
    const env = buildRequest('A', 'K', { x: 1 }, 'N');
    const crypto = require('node:crypto');
    const want = crypto.createHash('md5').update(`appid=A&data=${env.data}&noise=N&key=K&version=1.0`).digest('hex').toUpperCase();
    expect(env.sign).toBe(want);
    expect(envelopeSign('A', env.data, 'N', 'K')).toBe(want);
  });

  const bad: Array<[string, () => Promise<{ result: string; message: any; httpStatus: number }>, string, RegExp]> = [
    ['malformed JSON body', () => p.hisClient.post('invoiceEBillOutpatient', '{"appid": '), 'E0001', /^body: 请求体不是有效的 JSON/],
    ['data that is not JSON', () => {
      const data = Buffer.from('not json').toString('base64');
      const noise = 'n1';
      return p.hisClient.post('invoiceEBillOutpatient', JSON.stringify({ appid: DEMO.appid, data, noise, version: '1.0', sign: envelopeSign(DEMO.appid, data, noise, DEMO.appKey) }));
    }, 'E0001', /^data:/],
    ['a missing envelope field', () => p.hisClient.post('invoiceEBillOutpatient', JSON.stringify({ appid: DEMO.appid, data: 'e30=', version: '1.0', sign: 'x' })), 'E0001', /^noise:/],
    ['a bad sign', () => {
      const env = buildRequest(DEMO.appid, 'wrong-key', sampleOutpatient());
      return p.hisClient.post('invoiceEBillOutpatient', JSON.stringify(env));
    }, 'E0002', /^sign:/],
    ['an unknown appid', () => new HisClient(p.baseUrl, 'NO_SUCH_APP', 'k').call('invoiceEBillOutpatient', sampleOutpatient()), 'E0003', /^appid:/],
    ['a missing busNo', () => issue(sampleOutpatient({ busNo: undefined })), 'E0010', /^busNo: 必填/],
    ['a missing patientNo', () => issue(sampleOutpatient({ patientNo: '' })), 'E0010', /^patientNo: 必填/],
    ['a missing payChannelDetail', () => issue(sampleOutpatient({ payChannelDetail: [] })), 'E0010', /^payChannelDetail:/],
    ['a bad busDateTime', () => issue(sampleOutpatient({ busDateTime: '20261301120000000' })), 'E0010', /^busDateTime:/],
    ['an amount with 3 decimals', () => issue(sampleOutpatient({ totalAmt: 126.505 })), 'E0010', /^totalAmt:/],
    ['payments that do not add up', () => issue(sampleOutpatient({ payChannelDetail: [{ payChannelCode: '05', payChannelValue: 100 }] })), 'E0011', /^payChannelDetail: payChannelValue 合计 100.00 元，与 totalAmt 126.50 元不符/],
    ['charges that do not add up', () => issue(sampleOutpatient({ chargeDetail: [{ chargeCode: 'GH', chargeName: '挂号费', amt: 10 }] })), 'E0011', /^chargeDetail: amt 合计 10.00 元/],
    ['an unknown billing point', () => issue(sampleOutpatient({ placeCode: 'NOPE' })), 'E0020', /^placeCode: 开票点 NOPE 不存在/],
    ['an unmapped charge code', () => issue(sampleOutpatient({
      totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10 }],
      chargeDetail: [{ chargeCode: 'UNMAPPED9', chargeName: '未知项目', amt: 10 }],
    })), 'E0021', /^chargeDetail\[0\]\.chargeCode: HIS 收费项目编码 UNMAPPED9（未知项目）未对照财政项目（编码对照）/],
    ['a deposit busType on a bill method', () => issue(sampleOutpatient({ busType: '07' })), 'E0010', /^busType: 07 是预交金/],
    ['an unknown method', () => p.hisClient.call('noSuchMethod', {}), 'E0040', /^method:/],
    // Object prototype members are not methods either (the handler table once was a plain object).
    ...['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'].map(
      (m) => [`the method name ${m}`, () => p.hisClient.call(m, {}), 'E0040', /^method:/] as (typeof bad)[number],
    ),
  ];
  test.each(bad)('%s gets a clear non-S0000 answer naming the field', async (_name, call, code, message) => {
    const r = await call();
    expect(r.httpStatus).toBe(200);
    expect(r.result).toBe(code);
    expect(String(r.message)).toMatch(message);
  });

  test('a billing point with no numbers left is refused with its name, and nothing is half-written', async () => {
    const em = p.orm.em.fork();
    // Every ZY01 segment with numbers left is emptied (a shared platform's earlier files may have
    // added segments), and given back after; the first one in issuing order is the one used again.
    const segs = (await em.find(StockSegment, { place: { code: 'ZY01' }, billKind: { code: '0401' }, status: 'active' }, { orderBy: { billBatchCode: 'asc', startNo: 'asc' } })).filter((g) => g.nextNo <= g.endNo);
    expect(segs.length).toBeGreaterThan(0);
    const saved = segs[0].nextNo;
    for (const g of segs) await em.nativeUpdate(StockSegment, { id: g.id }, { nextNo: g.endNo + 1 });
    let restored = false;
    try {
      const business = sampleOutpatient({ placeCode: 'ZY01' });
      const r = await issue(business);
      expect(r.result).toBe('E0023');
      expect(String(r.message)).toMatch(/^placeCode: 开票点 ZY01 没有该票据种类的剩余票号/);
      expect(await p.orm.em.fork().count(Bill, { busNo: business.busNo as string })).toBe(0);
      const req = await p.orm.em.fork().findOneOrFail(IssueRequest, { busNo: business.busNo as string });
      expect(req.status).toBe('rejected');
      // Once stock is back, the same busNo (a HIS retry) issues normally.
      for (const g of segs) await p.orm.em.fork().nativeUpdate(StockSegment, { id: g.id }, { nextNo: g.nextNo });
      restored = true;
      const again = await issue(business);
      expect(again.result).toBe('S0000');
      expect(Number(again.message.billNo)).toBe(saved);
    } finally {
      // Stock back for the files that share the platform, even when an assertion failed.
      if (!restored) for (const g of segs) await p.orm.em.fork().nativeUpdate(StockSegment, { id: g.id }, { nextNo: g.nextNo });
    }
  });
});

describe('idempotency', () => {
  test('the same busNo again returns the same bill; other content under it is refused', async () => {
    const business = sampleOutpatient();
    const first = await issue(business);
    const second = await issue(business);
    expect(second.result).toBe('S0000');
    expect(second.message.billNo).toBe(first.message.billNo);
    expect(second.message.random).toBe(first.message.random);
    const changed = await issue({ ...business, payer: '李四' });
    expect(changed.result).toBe('E0012');
    expect(String(changed.message)).toBe(
      `busNo: 业务流水号 ${business.busNo} 已用于票据 ${first.message.billBatchCode}-${first.message.billNo}，本次请求内容不同（首个不同字段：payer），请使用新的 busNo`,
    );
    const moved = (business.chargeDetail as Array<Record<string, unknown>>).map((c, i) => ({ ...c, amt: i === 1 ? 90 : i === 2 ? 26.5 : c.amt }));
    const lines = await issue({ ...business, chargeDetail: moved });
    expect(lines.result).toBe('E0012');
    expect(String(lines.message)).toMatch(/^busNo: .*本次请求内容不同（首个不同字段：chargeDetail\[1\]\.amt），请使用新的 busNo$/);
    expect(await p.orm.em.fork().count(Bill, { busNo: business.busNo as string })).toBe(1);
  });

  /** The same settlement as a new HIS rebuilds it for a retry: new time stamps, other field order, numbers for strings. */
  const rebuilt = (business: Record<string, unknown>) => {
    const later = busDateTime(new Date(Date.now() + 90_000));
    const flip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());
    return flip({
      ...business,
      busDateTime: later,
      consultationDate: later.slice(0, 8),
      totalAmt: '126.50',
      payChannelDetail: [{ payChannelValue: '100.00', payChannelCode: '05' }, { payChannelValue: 26.5, payChannelCode: '02' }],
      chargeDetail: (business.chargeDetail as Array<Record<string, unknown>>).map((c) => flip({ ...c, std: Number(c.std).toFixed(2), number: String(c.number), amt: Number(c.amt).toFixed(2) })),
      listDetail: (business.listDetail as Array<Record<string, unknown>>).map((l) => flip({ ...l, listDetailNo: Number(l.listDetailNo), amt: Number(l.amt).toFixed(2) })),
      age: 36,
    });
  };

  test('a retry that rebuilds its request (new busDateTime, consultationDate, field order, numbers, noise) gets the same bill', async () => {
    const business = sampleOutpatient();
    const first = await issue(business);
    expect(first.result).toBe('S0000');
    const retry = rebuilt(business);
    expect(JSON.stringify(retry)).not.toBe(JSON.stringify(business));
    const again = await issue(retry); // HisClient.call wraps it with a new envelope noise
    expect(again.result).toBe('S0000');
    expect(again.message).toMatchObject({ billBatchCode: first.message.billBatchCode, billNo: first.message.billNo, random: first.message.random });
    const bills = await p.orm.em.fork().find(Bill, { busNo: business.busNo as string });
    expect(bills).toHaveLength(1);
    expect(bills[0].busDateTime).toBe(business.busDateTime); // the bill keeps the first request
    const req = await p.orm.em.fork().findOneOrFail(IssueRequest, { busNo: business.busNo as string });
    expect(JSON.parse(req.payload)).toEqual(business);
    const other = await issue({ ...retry, payer: '李四' });
    expect(other.result).toBe('E0012');
    expect(String(other.message)).toMatch(/^busNo: .*本次请求内容不同（首个不同字段：payer），请使用新的 busNo$/);
  });

  test('a request stored before content hashes (raw-payload hash) still gets its bill when retried rebuilt', async () => {
    const business = sampleOutpatient();
    const first = await issue(business);
    expect(first.result).toBe('S0000');
    await p.orm.em.fork().nativeUpdate(IssueRequest, { busNo: business.busNo as string }, { payloadHash: payloadHash(business) });
    const again = await issue(rebuilt(business));
    expect(again.result).toBe('S0000');
    expect(again.message.billNo).toBe(first.message.billNo);
    const changed = await issue({ ...business, placeCode: 'ZY01' });
    expect(changed.result).toBe('E0012');
    expect(String(changed.message)).toMatch(/（首个不同字段：placeCode）/);
  });

  test('concurrent retries of one busNo make one bill, with no error for any of them', async () => {
    // Several rounds: the race between the retries' first writes is what this is about.
    for (let round = 0; round < 5; round++) {
      const business = sampleOutpatient();
      const answers = await Promise.all(Array.from({ length: 8 }, () => issue(business)));
      expect(answers.map((a) => a.result)).toEqual(Array(8).fill('S0000'));
      expect(new Set(answers.map((a) => a.message.billNo)).size).toBe(1);
      expect(await p.orm.em.fork().count(Bill, { busNo: business.busNo as string })).toBe(1);
    }
  });

  test('getEBillByBusNo finds the bill by the business serial', async () => {
    const business = sampleOutpatient();
    const r = await issue(business);
    const q = await p.hisClient.call('getEBillByBusNo', { busNo: business.busNo, busDateTime: business.busDateTime });
    expect(q.result).toBe('S0000');
    expect(q.message).toMatchObject({ billBatchCode: r.message.billBatchCode, billNo: r.message.billNo, random: r.message.random });
    const none = await p.hisClient.call('getEBillByBusNo', { busNo: 'NOT-ISSUED-1' });
    expect(none.result).toBe('E0030');
  });
});

describe('numbers under concurrency', () => {
  test('200 parallel issues on one billing point get 200 distinct numbers with no gap', async () => {
    const before = await p.orm.em.fork().findOneOrFail(StockSegment, { place: { code: 'ZY01' }, billKind: { code: '0402' } });
    const busNos = Array.from({ length: 200 }, (_, i) => `ZYPAR${Date.now()}-${i}`);
    const answers = await Promise.all(
      busNos.map((busNo) =>
        p.hisClient.callWithRetry('invEBillHospitalized', sampleOutpatient({ busNo, busType: '01', placeCode: 'ZY01', hospitalNo: 'ZY2026001', visitNo: '1' })),
      ),
    );
    const failed = answers.filter((a) => a.result !== 'S0000');
    expect(failed.map((f) => f.message)).toEqual([]);
    const numbers = answers.map((a) => Number(a.message.billNo)).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(200);
    expect(numbers[0]).toBe(before.nextNo);
    expect(numbers[199] - numbers[0]).toBe(199);
    expect(new Set(answers.map((a) => a.message.billBatchCode)).size).toBe(1);
    expect(answers[0].message.billBatchCode.slice(2, 6)).toBe('0402');
    const after = await p.orm.em.fork().findOneOrFail(StockSegment, { id: before.id });
    expect(after.nextNo).toBe(before.nextNo + 200);
    // Every number taken belongs to exactly one stored bill.
    const stored = await p.orm.em.fork().find(Bill, { busNo: { $in: busNos } });
    expect(stored.map((b) => Number(b.billNo)).sort((a, b) => a - b)).toEqual(numbers);
  });
});

describe('the bill', () => {
  test('is SM2-signed so that sm-crypto verifies it with the hospital public key and the default user ID', async () => {
    const { busNo } = await p.his.issueOutpatient();
    const bill = await p.orm.em.fork().findOneOrFail(Bill, { busNo }, { populate: ['hospital'] });
    expect(bill.signedData).toContain(`EInvoiceNumber=${bill.billNo}`);
    expect(bill.signedData).toContain('TotalAmount=126.50');
    expect(verifyRef(bill.signedData, bill.signature, bill.hospital.publicKey)).toBe(true);
    expect(verifyRef(bill.signedData.replace('126.50', '126.51'), bill.signature, bill.hospital.publicKey)).toBe(false);
    // The private key is stored encrypted, never in plain text.
    expect(bill.hospital.privateKeyEnc).toMatch(/^[0-9a-f]{32}:[0-9a-f]+$/);
  });

  test('money is stored in fen exactly', async () => {
    const { busNo } = await p.his.issueOutpatient({
      totalAmt: '0.30',
      payChannelDetail: [{ payChannelCode: '02', payChannelValue: 0.1 }, { payChannelCode: '05', payChannelValue: 0.2 }],
      chargeDetail: [{ chargeCode: 'GH', chargeName: '挂号费', amt: 0.1 }, { chargeCode: 'ZC', chargeName: '诊察费', amt: 0.2 }],
      listDetail: undefined,
    });
    const bill = await p.orm.em.fork().findOneOrFail(Bill, { busNo });
    expect(bill.totalAmt).toBe(30);
  });

  test('runs as a Temporal workflow with search attributes, then gets its PDF and notices in the background', async () => {
    const { busNo, billNo, billBatchCode } = await p.his.issueOutpatient();
    const workflowId = `bill-${DEMO.appid}-${busNo}`;
    const handle = p.client.workflow.getHandle(workflowId);
    const result = await handle.result();
    expect(result.state).toBe('issued');
    expect(result.layout).toBe('done');
    expect(result.notices).toEqual({ sms: 'done', email: 'done' });
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes).toBeDefined();
    const sa = desc.searchAttributes as Record<string, unknown[]>;
    expect(sa.BusNo).toEqual([busNo]);
    expect(sa.BillNo).toEqual([billNo]);
    expect(sa.PlaceCode).toEqual(['MZ01']);
    expect(sa.PatientNo).toEqual(['P0001']);
    // An operator finds it by business key in the visibility store.
    const found = await eventually(async () => {
      const list = [];
      for await (const w of p.client.workflow.list({ query: `BusNo = '${busNo}'` })) list.push(w.workflowId);
      return list.length ? list : undefined;
    }, 'visibility by BusNo');
    expect(found).toEqual([workflowId]);

    const bill = await p.orm.em.fork().findOneOrFail(Bill, { busNo });
    expect(bill.layoutPath).toBe(`layout/${billBatchCode}/${billNo}.pdf`);
    // Queued for the fiscal upload by the issuing transaction; the fiscal-upload schedule may have sent it already.
    expect(['pending', 'uploaded']).toContain(bill.uploadState);
    const notices = await p.orm.em.fork().find(Notification, { bill: bill.id }, { orderBy: { channel: 'asc' } });
    expect(notices.map((n) => [n.channel, n.status, n.target])).toEqual([
      ['email', 'sent', 'zhangsan@example.com'],
      ['sms', 'sent', '13800138000'],
    ]);
    const sim = (await (await fetch(`${p.simUrl}/_sim/messages`)).json()) as { messages?: unknown[] } | unknown[];
    const all = JSON.stringify(sim);
    expect(all).toContain(billNo);
  });
});

describe('patient H5 page', () => {
  test('opens the bill with its check code and downloads the PDF; a wrong check code reveals nothing', async () => {
    const { busNo, billBatchCode, billNo, random, pictureUrl } = await p.his.issueOutpatient();
    await eventually(async () => (await p.orm.em.fork().findOne(Bill, { busNo }))?.layoutPath, 'layout file');
    const page = await fetch(pictureUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(billNo);
    expect(html).toContain(billBatchCode);
    expect(html).toContain('viewport');
    const pdf = await fetch(`${p.baseUrl}/h5/bill/${billBatchCode}/${billNo}/pdf?random=${random}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    const wrong = random === 'aaaaaa' ? 'bbbbbb' : 'aaaaaa';
    const bad = await fetch(`${p.baseUrl}/h5/bill/${billBatchCode}/${billNo}?random=${wrong}`);
    const unknown = await fetch(`${p.baseUrl}/h5/bill/${billBatchCode}/9999999999?random=${wrong}`);
    expect(bad.status).toBe(404);
    const badHtml = await bad.text();
    expect(badHtml).not.toContain(billNo);
    expect(badHtml).not.toContain('张');
    expect(badHtml).toBe(await unknown.text());
    const badPdf = await fetch(`${p.baseUrl}/h5/bill/${billBatchCode}/${billNo}/pdf?random=${wrong}`);
    expect(badPdf.status).toBe(404);
  });
});

describe('the inpatient bill (invEBillHospitalized)', () => {
  test('prints the HIS\'s hospitalNo as 住院号, the stay, insurance, sex and the split; its red bill prints the split negative', async () => {
    const busNo = `ZYFACE${Date.now()}`;
    const business = sampleOutpatient({
      busNo,
      busType: '01',
      placeCode: 'ZY01',
      patientNo: 'P0001',
      hospitalNo: 'ZY2026042',
      visitNo: '1',
      hospitalArea: '内科一病区',
      bedNo: '12',
      sex: '2',
      medicalCareType: '城镇职工基本医疗保险',
      medicalInsuranceID: '440100198801011234',
      inHospitalDate: '20260301',
      outHospitalDate: '20260306',
      hospitalDays: '5',
      fundPay: '80.00',
      otherfundPay: '5.00',
      accountPay: 20,
      selfCashPay: '21.50',
      selfPayAmt: '12.00',
      ownPay: '9.50',
    });
    const r = await p.hisClient.callWithRetry('invEBillHospitalized', business);
    expect(r.result).toBe('S0000');
    const { billBatchCode, billNo, random } = r.message as { billBatchCode: string; billNo: string; random: string };
    await eventually(async () => (await p.orm.em.fork().findOne(Bill, { busNo }))?.layoutPath, 'layout file');
    const download = async (code: string, no: string, rnd: string) => {
      const res = await fetch(`${p.baseUrl}/h5/bill/${code}/${no}/pdf?random=${rnd}`);
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer());
    };
    const text = pdfText(await download(billBatchCode, billNo, random));
    expect(text).toContain('住院号：ZY2026042');
    expect(text).not.toContain('P0001');
    for (const s of ['住院时间：2026-03-01 至 2026-03-06', '住院天数：5天', '医保类型：城镇职工基本医疗保险', '医保编号：440100198801011234', '性别：女']) expect(text).toContain(s);
    for (const s of ['统筹基金支付：80.00', '其他支付：5.00', '个人账户支付：20.00', '个人现金支付：21.50', '个人自付：12.00', '个人自费：9.50']) expect(text).toContain(s);
    expect(text).not.toContain('个人自负'); // not sent, not printed
    expect(text).toMatch(/本票据由.+开具，可扫码查验真伪/);
    expect(text).not.toMatch(/medbill/i);

    const red = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode, billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'ZY01' });
    expect(red.result).toBe('S0000');
    const m = red.message as { eScarletBillBatchCode: string; eScarletBillNo: string; eScarletRandom: string };
    await eventually(async () => (await p.orm.em.fork().findOne(Bill, { billBatchCode: m.eScarletBillBatchCode, billNo: m.eScarletBillNo }))?.layoutPath, 'red layout file');
    const redText = pdfText(await download(m.eScarletBillBatchCode, m.eScarletBillNo, m.eScarletRandom));
    expect(redText).toContain('住院号：ZY2026042');
    expect(redText).toContain(`原票据号码：${billNo}`);
    for (const s of ['统筹基金支付：-80.00', '个人账户支付：-20.00', '个人自费：-9.50']) expect(redText).toContain(s);
  });
});

describe('HIS queries', () => {
  test('getEBillStatesByBillInfo, getBillByBusDate and checkTotalData agree with what was issued', async () => {
    const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    const a = await p.his.issueOutpatient({ placeCode: 'MZ01' });
    const st = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: a.billBatchCode, billNo: a.billNo });
    expect(st.result).toBe('S0000');
    expect(st.message).toMatchObject({ state: '1', isScarlet: '0' });
    const missing = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: a.billBatchCode });
    expect(missing.result).toBe('E0010');
    expect(String(missing.message)).toMatch(/^billNo: 必填/);

    const list = await p.hisClient.call('getBillByBusDate', { busBgnDate: day, busEndDate: day, placeCode: 'MZ01', pageNo: 1, pageSize: 1000 });
    expect(list.result).toBe('S0000');
    expect(list.message.billList.map((b: { billNo: string }) => b.billNo)).toContain(a.billNo);

    const tot = await p.hisClient.call('checkTotalData', { placeCode: 'MZ01', busDate: day, pageNo: 1, pageSize: 10 });
    expect(tot.result).toBe('S0000');
    const em = p.orm.em.fork();
    const bills = await em.find(Bill, { place: { code: 'MZ01' }, busDateTime: { $like: `${day}%` } });
    expect(tot.message.allTotalNum).toBe(bills.length);
    const fen = bills.reduce((s, b) => s + b.totalAmt, 0);
    expect(tot.message.allTotalAmt).toBe(`${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);
    const badDate = await p.hisClient.call('checkTotalData', { placeCode: 'MZ01', busDate: '2026-11-22' });
    expect(badDate.result).toBe('E0010');
    expect(String(badDate.message)).toMatch(/^busDate:/);
  });
});
