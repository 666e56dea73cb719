/**
 * Reversal (冲红) through the HIS interface and the console API, on the real stack: a red bill with
 * its own number, negative amounts, a link to the original and its own SM2 signature; the
 * original shows as reversed everywhere; reversing twice (or concurrently) makes one red bill.
 */
import { Bill, BillItem, StockSegment } from '../orm/entities';
import { verifyRef } from '../adapters/signing/reference-verify';
import { busDateTime, HisClient } from '../sim/his/client';
import { eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const writeOff = (b: { billBatchCode: string; billNo: string }, extra: Record<string, unknown> = {}) =>
  p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '患者退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01', ...extra });

test('writeOffEBill makes a signed red bill with its own number and negative amounts; the original shows reversed', async () => {
  const original = await p.his.issueOutpatient();
  const seg = await p.orm.em.fork().findOneOrFail(StockSegment, { place: { code: 'MZ01' }, billKind: { code: '0401' } });
  const r = await writeOff(original);
  expect(r.result).toBe('S0000');
  expect(r.signOk).toBe(true);
  const m = r.message;
  expect(m.eScarletBillBatchCode).toBe(original.billBatchCode);
  expect(Number(m.eScarletBillNo)).toBe(seg.nextNo); // the point's next number
  expect(m.eScarletRandom).toMatch(/^[0-9a-z]{6}$/);
  expect(Buffer.from(m.billQRCode, 'base64').subarray(1, 4).toString()).toBe('PNG');

  const em = p.orm.em.fork();
  const red = await em.findOneOrFail(Bill, { billNo: m.eScarletBillNo, billBatchCode: m.eScarletBillBatchCode }, { populate: ['hospital'] });
  const orig = await em.findOneOrFail(Bill, { billNo: original.billNo, billBatchCode: original.billBatchCode });
  expect(red.isScarlet).toBe(true);
  expect(red.totalAmt).toBe(-orig.totalAmt);
  expect(red.relatedBillId).toBe(orig.id);
  expect(orig.state).toBe('reversed');
  expect(orig.scarletBillId).toBe(red.id);
  expect(orig.writeOffReason).toBe('患者退费');
  const items = await em.find(BillItem, { bill: red.id });
  expect(items.reduce((s, i) => s + i.amt, 0)).toBe(-orig.totalAmt);
  expect(red.signedData).toContain(`RelatedInvoice=${orig.billBatchCode}|${orig.billNo}`);
  expect(red.signedData).toContain('TotalAmount=-126.50');
  expect(verifyRef(red.signedData, red.signature, red.hospital.publicKey)).toBe(true);

  const st = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: original.billBatchCode, billNo: original.billNo });
  expect(st.message).toMatchObject({ isScarlet: '1', eScarletBillNo: m.eScarletBillNo });
  const h5 = await (await fetch(original.pictureUrl)).text();
  expect(h5).toContain('已冲红');

  // The red bill gets its own layout file and workflow.
  const status = await p.client.workflow.getHandle(`writeoff-${original.billBatchCode}-${original.billNo}`).result();
  expect(status).toMatchObject({ state: 'issued', layout: 'done' });
  // Ops find it by the BillState temporal.yaml documents for a reversed bill (temporal/search-attributes.ts).
  const wfId = `writeoff-${original.billBatchCode}-${original.billNo}`;
  await eventually(async () => {
    const found = [];
    for await (const w of p.client.workflow.list({ query: `WorkflowId = '${wfId}' AND BillState = 'reversed'` })) found.push(w);
    return found.length === 1;
  }, 'BillState reversed in visibility');
  await eventually(async () => (await p.orm.em.fork().findOne(Bill, red.id))?.layoutPath, 'red layout file');
  // The patient is told it is a red bill, with its own number.
  const sent = JSON.stringify(await (await fetch(`${p.simUrl}/_sim/messages`)).json());
  expect(sent).toContain(`您的医疗电子票据已冲红，红字票据号码${m.eScarletBillNo}，金额-126.50元`);
});

test('reversing twice, or ten times at once, makes one red bill', async () => {
  const original = await p.his.issueOutpatient();
  const answers = await Promise.all(Array.from({ length: 10 }, () => writeOff(original)));
  expect(answers.map((a) => a.result)).toEqual(Array(10).fill('S0000'));
  expect(new Set(answers.map((a) => a.message.eScarletBillNo)).size).toBe(1);
  const again = await writeOff(original);
  expect(again.message.eScarletBillNo).toBe(answers[0].message.eScarletBillNo);
  const orig = await p.orm.em.fork().findOneOrFail(Bill, { billNo: original.billNo, billBatchCode: original.billBatchCode });
  expect(await p.orm.em.fork().count(Bill, { relatedBillId: orig.id })).toBe(1);
});

test('unknown bills, bills of another hospital, red bills, bad billing points and missing fields get clear errors', async () => {
  const original = await p.his.issueOutpatient();
  const unknown = await writeOff({ billBatchCode: original.billBatchCode, billNo: '9999999999' });
  expect(unknown.result).toBe('E0030');
  expect(String(unknown.message)).toMatch(/^billNo: 本医院未开具票据 /);

  const badPlace = await writeOff(original, { placeCode: 'NOPE' });
  expect(badPlace.result).toBe('E0020');
  expect(String(badPlace.message)).toMatch(/^placeCode: 开票点 NOPE 不存在/);

  const missing = await p.hisClient.call('writeOffEBill', { billBatchCode: original.billBatchCode, billNo: original.billNo, operator: 'x', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(missing.result).toBe('E0010');
  expect(String(missing.message)).toMatch(/^reason: 必填/);

  const red = await writeOff(original);
  const redAgain = await writeOff({ billBatchCode: red.message.eScarletBillBatchCode, billNo: red.message.eScarletBillNo });
  expect(redAgain.result).toBe('E0031');
  expect(String(redAgain.message)).toMatch(/红票不能冲红/);

  // A second hospital with its own HIS app cannot reverse the first hospital's bill.
  const { seedSecondHospital } = await import('./fixtures');
  const other = await seedSecondHospital(p);
  const foreign = await new HisClient(p.baseUrl, other.appid, other.key).call('writeOffEBill', {
    billBatchCode: original.billBatchCode, billNo: original.billNo, reason: 'x', operator: 'x', busDateTime: busDateTime(), placeCode: 'MZ01',
  });
  expect(foreign.result).toBe('E0030');
});

test('the console reverses a bill for finance and refuses a doctor', async () => {
  const original = await p.his.issueOutpatient();
  const bill = await p.orm.em.fork().findOneOrFail(Bill, { billNo: original.billNo, billBatchCode: original.billBatchCode });
  const login = async (username: string, password: string) =>
    signIn(p.baseUrl, username, password);
  const post = (token: string, body: unknown) =>
    fetch(`${p.baseUrl}/api/bills/${bill.id}/write-off`, { method: 'POST', headers: { cookie: token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const doctor = await login('doctor', 'doctor123');
  expect((await post(doctor, { reason: '退费' })).status).toBe(403);
  const finance = await login('finance', 'finance123');
  const noReason = await post(finance, {});
  expect(noReason.status).toBe(400);
  expect(((await noReason.json()) as { error: { field: string } }).error.field).toBe('reason');
  const ok = await post(finance, { reason: '收费错误' });
  expect(ok.status).toBe(200);
  const red = (await ok.json()) as { eScarletBillNo: string };
  const detail = (await (await fetch(`${p.baseUrl}/api/bills/${bill.id}`, { headers: { cookie: finance } })).json()) as { bill: { state: string; scarletBill: { billNo: string }; writeOff: { reason: string; operator: string } } };
  expect(detail.bill.state).toBe('reversed');
  expect(detail.bill.scarletBill.billNo).toBe(red.eScarletBillNo);
  expect(detail.bill.writeOff).toMatchObject({ reason: '收费错误', operator: '财务科 王会计' });
});
