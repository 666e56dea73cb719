/**
 * Patient data sealed at rest, on the real stack (SQLite, or MySQL/MariaDB with
 * MEDBILL_TEST_DB_URL): a bill issued through the HIS with an ID number, a phone, an e-mail and a
 * noticeList phone, notified, and a refund applied for with a phone; the raw rows of bill,
 * issue_request, notification, refund and bill_event hold none of them in any text column; the
 * console still shows them and finds the bill by each; a row an older version wrote in plaintext
 * is sealed by the startup step; a key rotation (k1 -> k2) leaves no k1 ciphertext and the search
 * still finds the bill. An own platform: the rotation re-seals all of its data.
 */
import type { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { DEMO } from '../orm/seed';
import { openOrm } from '../orm/db';
import { Bill } from '../orm/entities';
import { rotateKeys, sealedKeyCensus, sealPlaintextRows, sealerFromConfig, SEALED_COLUMNS } from '../orm/sealed';
import { eventually, startPlatform, type Platform, signIn } from './harness';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

/** A resident ID number (18 characters) with its check digit, unique per call. */
function idCardNo(): string {
  const body = `440106${1980 + Math.floor(Math.random() * 30)}0${1 + Math.floor(Math.random() * 9)}1${Math.floor(Math.random() * 10)}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}
const phone = () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const exec = (q: string, params: unknown[] = []) => p.orm.em.getConnection().execute<Array<Record<string, unknown>>>(q, params);

let token: string | undefined;
async function consoleGet<T = any>(path: string): Promise<{ status: number; body: T }> {
  token ??= await signIn(p.baseUrl, 'admin', 'admin123');
  const r = await fetch(`${p.baseUrl}${path}`, { headers: { cookie: token } });
  return { status: r.status, body: (await r.json()) as T };
}
const search = async (patient: string) => ((await consoleGet<{ items: Array<{ id: number }> }>(`/api/bills?patient=${encodeURIComponent(patient)}`)).body.items ?? []).map((b) => b.id);

/** The value as it is, and as a mask shows it (138****8000, the e-mail's domain kept). */
const shownAs = (value: unknown, plain: string) => typeof value === 'string' && (value === plain || (value.includes('*') && value.slice(-4) === plain.slice(-4)));

interface Patient {
  tel: string;
  listTel: string;
  email: string;
  idCard: string;
}

async function issueAndNotify(): Promise<{ billId: number; busNo: string; who: Patient; billBatchCode: string; billNo: string }> {
  const who: Patient = { tel: phone(), listTel: phone(), email: `sealed-${randomUUID().slice(0, 8)}@example.com`, idCard: idCardNo() };
  const r = await p.his.issueOutpatient({ tel: who.tel, email: who.email, idCardNo: who.idCard, cardType: '1', noticeList: [{ noticeType: '1201', noticeValue: who.listTel }] });
  await p.client.workflow.getHandle(`bill-${DEMO.appid}-${r.busNo}`).result();
  const [row] = await exec('select id from bill where bill_batch_code = ? and bill_no = ?', [r.billBatchCode, r.billNo]);
  return { billId: Number(row.id), busNo: r.busNo, who, billBatchCode: r.billBatchCode, billNo: r.billNo };
}

/** Every row of the bill in the tables that hold patient data, every column as text. */
async function rawRows(billId: number, busNo: string): Promise<string> {
  const rows = [
    ...(await exec('select * from bill where id = ?', [billId])),
    ...(await exec('select * from issue_request where bus_no = ?', [busNo])),
    ...(await exec('select * from notification where bill_id = ?', [billId])),
    ...(await exec('select * from refund where bill_id = ?', [billId])),
    ...(await exec('select * from bill_event where bill_id = ?', [billId])),
  ];
  return rows.map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).join('\u0001')).join('\n');
}

function expectNoPlaintext(raw: string, who: Patient): void {
  for (const secret of [who.tel, who.listTel, who.email, who.email.split('@')[0], who.idCard, who.idCard.slice(0, 17)]) expect(raw).not.toContain(secret);
}

let issued: Awaited<ReturnType<typeof issueAndNotify>>;

test('a bill issued through the HIS, notified and applied for a refund: no plaintext ID number, phone or e-mail in any raw row', async () => {
  issued = await issueAndNotify();
  const { billId, busNo, who } = issued;
  // the notices went out (so notification rows with the targets exist) ...
  const notices = await eventually(async () => {
    const rows = await exec("select channel, status from notification where bill_id = ? and status = 'sent'", [billId]);
    return rows.length >= 2 ? rows : undefined;
  }, 'the SMS and e-mail notices sent');
  expect(notices.map((n: Record<string, unknown>) => n.channel).sort()).toEqual(['email', 'sms']);
  // ... to the patient's real addresses (sealing changed nothing of the delivery)
  const sms = (await (await fetch(`${p.simUrl}/_sim/messages?to=${who.listTel}`)).json()) as unknown[];
  expect(sms.length).toBeGreaterThan(0);
  // and a refund request with the patient's phone
  const apply = await p.hisClient.callWithRetry('applyRefund', { refundNo: `S${Date.now().toString(36)}`.toUpperCase(), billBatchCode: issued.billBatchCode, billNo: issued.billNo, channel: 'cash', refundAmt: '1.00', reason: '退费', tel: who.tel, applicantName: '张三' });
  expect(apply.result).toBe('S0000');

  const raw = await rawRows(billId, busNo);
  expect(raw).toContain(busNo); // the rows were read
  expect(Number((await exec('select count(*) as n from refund where bill_id = ?', [billId]))[0].n)).toBe(1);
  expectNoPlaintext(raw, who);
  // every sealed column of the bill's rows is an envelope, with a blind index where searched
  const [b] = await exec('select id_card_no, tel, email, signed_data, extra, id_card_bidx, tel_bidx, email_bidx from bill where id = ?', [billId]);
  for (const c of ['id_card_no', 'tel', 'email', 'signed_data', 'extra']) expect(String(b[c])).toMatch(/^v1:k1:[0-9a-f]{24}:[0-9a-f]+:[0-9a-f]{32}$/);
  for (const c of ['id_card_bidx', 'tel_bidx', 'email_bidx']) expect(String(b[c])).toMatch(/^[0-9a-f]{64}$/);
  const [{ payload }] = await exec('select payload from issue_request where bus_no = ?', [busNo]);
  expect(String(payload)).toMatch(/^v1:k1:/);
  const [rf] = await exec('select tel, tel_bidx from refund where bill_id = ?', [billId]);
  expect(String(rf.tel)).toMatch(/^v1:k1:/);
});

test('the console shows the values (or their masks) and finds the bill by phone, ID number and e-mail', async () => {
  const { billId, who } = issued;
  const d = await consoleGet<{ bill: Record<string, any> }>(`/api/bills/${billId}`);
  expect(d.status).toBe(200);
  expect(shownAs(d.body.bill.tel, who.tel)).toBe(true);
  expect(typeof d.body.bill.email === 'string' && (d.body.bill.email === who.email || d.body.bill.email.endsWith('@example.com'))).toBe(true);
  for (const q of [who.tel, who.idCard, who.email, who.email.toUpperCase()]) expect(await search(q)).toContain(billId);
  expect(await search(phone())).not.toContain(billId);
  // the entity read in the test process opens them too
  const bill = await p.orm.em.fork().findOneOrFail(Bill, billId);
  expect([bill.tel, bill.email, bill.idCardNo]).toEqual([who.tel, who.email, who.idCard]);
});

test('a row an older version wrote in plaintext: sealed by the startup step, read back, found by the console search', async () => {
  const { billId, busNo, who } = await issueAndNotify();
  // as the version before sealing stored it
  const oldTel = phone();
  await p.orm.em.getConnection().execute('update bill set tel = ?, tel_bidx = null, id_card_no = ?, id_card_bidx = null where id = ?', [oldTel, who.idCard, billId], 'run');
  await p.orm.em.getConnection().execute('update notification set target = ? where bill_id = ? and channel = ?', [oldTel, billId, 'sms'], 'run');
  expect(await search(oldTel)).not.toContain(billId); // no blind index yet
  expect((await p.orm.em.fork().findOneOrFail(Bill, billId)).tel).toBe(oldTel); // still readable meanwhile

  const progress = await sealPlaintextRows(p.orm.em);
  expect(progress.find((c) => c.table === 'bill' && c.column === 'tel')!.sealed).toBeGreaterThanOrEqual(1);
  expect(progress.every((c) => c.remaining === 0)).toBe(true);
  expectNoPlaintext(await rawRows(billId, busNo), { ...who, tel: oldTel });
  expect((await p.orm.em.fork().findOneOrFail(Bill, billId)).tel).toBe(oldTel);
  expect(await search(oldTel)).toContain(billId);
  expect(await search(who.idCard)).toContain(billId);
});

test('key rotation k1 -> k2: every value re-sealed under k2, no k1 ciphertext left, still shown and found', async () => {
  const before = await sealedKeyCensus(p.orm.em);
  expect(before.k1).toBeGreaterThan(0);
  const cfg = { ...p.cfg, keys: { ...p.cfg.keys, dataKeyId: 'k2' } };
  let k2: MikroORM | undefined;
  try {
    k2 = await openOrm(p.dbUrl, { migrate: false, pool: 2, sealer: sealerFromConfig(cfg) });
    const report = await rotateKeys(k2.em, { toKeyId: 'k2', batch: 7 });
    expect(report.done).toBe(true);
    expect(report.retired).toEqual(['k1']);
    expect(report.columns.reduce((s, c) => s + c.sealed, 0)).toBe(before.k1);
    const again = await rotateKeys(k2.em, { toKeyId: 'k2', batch: 7 });
    expect(again.columns.reduce((s, c) => s + c.sealed, 0)).toBe(0);
  } finally {
    await k2?.close(true);
  }
  for (const c of SEALED_COLUMNS) {
    const rows = await exec(`select ${c.column} as v from ${c.table} where ${c.column} is not null`);
    for (const r of rows) expect(String(r.v)).toMatch(/^v1:k2:/);
  }
  expect(await sealedKeyCensus(p.orm.em)).toEqual({ k2: before.k1 });
  // the platform (still configured with k1) reads the k2 values and its blind indexes still find the bill
  const { billId, who } = issued;
  const d = await consoleGet<{ bill: Record<string, any> }>(`/api/bills/${billId}`);
  expect(shownAs(d.body.bill.tel, who.tel)).toBe(true);
  for (const q of [who.tel, who.idCard, who.email]) expect(await search(q)).toContain(billId);
  expect((await p.orm.em.fork().findOneOrFail(Bill, billId)).idCardNo).toBe(who.idCard);
});
