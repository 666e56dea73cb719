/**
 * Sealing at the data layer on SQLite (the platform test test/sealed.test.ts runs it on MariaDB
 * too): rows an older version wrote in plaintext are sealed by the startup step and read back;
 * a rotation re-seals everything under the new key id; entities and repositories see plain values.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openOrm } from './db';
import { seedDemo } from './seed';
import { Bill, IssueRequest, Notification } from './entities';
import { Sealer, isSealed } from '../common/sealed';
import { MasterKeyProvider } from '../common/keys';
import { billContactFilters, keyStates, rotateKeys, sealedKeyCensus, SEALED_COLUMNS } from './sealed';
import { billForDelivery } from './repositories/bills';
import { issueRequestOf } from './repositories/issue-requests';
import { findNotice } from './repositories/notifications';
import { refundById } from './repositories/refund-process';

const MASTER = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const sealer = (id: string) => new Sealer(new MasterKeyProvider(MASTER), id);
const TEL = '13912345678';
const ID_CARD = '44010619900101123X';
const EMAIL = 'Wang.Fang@Example.com';
const LIST_TEL = '13700001111';
const CARD_NO = 'JZK9001';

let dir: string;
let url: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-sealed-'));
  url = `sqlite:${path.join(dir, 'db.sqlite')}`;
});
const opened: MikroORM[] = [];
afterAll(async () => {
  for (const o of opened) await o.close(true).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

type Exec = (q: string, p?: unknown[], m?: 'all' | 'run') => Promise<any>;
const execOf = (orm: MikroORM): Exec => (q, p = [], m = 'all') => orm.em.getConnection().execute(q, p, m) as Promise<any>;

/** Inserts a row filling every NOT NULL column without a default (as an older version's code would have stored it). */
async function insertOld(exec: Exec, table: string, given: Record<string, unknown>): Promise<number> {
  const cols = (await exec(`pragma table_info(${table})`)) as Array<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number }>;
  const row: Record<string, unknown> = {};
  for (const c of cols) {
    if (c.pk || !c.notnull || c.dflt_value !== null || c.name in given) continue;
    row[c.name] = /int|bigint/i.test(c.type) ? 0 : /date/i.test(c.type) ? Date.now() : 'x';
  }
  Object.assign(row, given);
  const names = Object.keys(row);
  const r = await exec(`insert into ${table} (${names.join(', ')}) values (${names.map(() => '?').join(', ')})`, names.map((n) => row[n]), 'run');
  return Number(r.insertId);
}

test('an older version\'s plaintext rows: sealed by the startup step, read back plain; a rotation re-seals them under the new key; the blind index finds them', async () => {
  // 1. The database as the version before sealing left it: migrated to 012, rows in plaintext.
  let orm = await openOrm(url, { migrate: false });
  opened.push(orm);
  await orm.getMigrator().up({ to: 'Migration20261122000012_refund' });
  await seedDemo(orm.em.fork(), MASTER, undefined, { users: false }); // the user table of 012 lacks today's columns
  let exec = execOf(orm);
  const [place] = await exec("select id, hospital_id from billing_point where code = 'MZ01'");
  const [kind] = await exec("select id from bill_kind where code = '0401'");
  const extra = JSON.stringify({ noticeList: [{ noticeType: '1201', noticeValue: LIST_TEL }], department: '内科', cardType: '1', cardNo: CARD_NO });
  const signed = `PayerParty=王芳|${ID_CARD}\nTotalAmount=10.00`;
  const billId = await insertOld(exec, 'bill', {
    hospital_id: place.hospital_id, place_id: place.id, bill_kind_id: kind.id, appid: 'MEDBILL_DEMO_HIS', bus_no: 'OLD-1', bill_batch_code: '44040126', bill_no: '0000000001',
    payer: '王芳', patient_no: 'P001', id_card_no: ID_CARD, tel: TEL, email: EMAIL, extra, signed_data: signed, issued_at: Date.now(),
  });
  const payload = JSON.stringify({ busNo: 'OLD-1', payer: '王芳', idCardNo: ID_CARD, tel: TEL, email: EMAIL });
  await insertOld(exec, 'issue_request', { appid: 'MEDBILL_DEMO_HIS', bus_no: 'OLD-1', method: 'invoiceEBillOutpatient', payload_hash: 'h', payload, bill_id: billId, status: 'issued' });
  await insertOld(exec, 'notification', { bill_id: billId, channel: 'sms', purpose: 'issue', target: TEL, status: 'sent' });
  const refundId = await insertOld(exec, 'refund', { bill_id: billId, hospital_id: place.hospital_id, refund_no: 'RF-OLD-1', out_refund_no: 'RF-OLD-1', tel: TEL, state: 'done' });
  await orm.close(true);

  // 2. This version starts: migration 050, then the startup step seals what is plain.
  orm = await openOrm(url, { sealer: sealer('k1') });
  opened.push(orm);
  exec = execOf(orm);
  // user_totp was born after sealing (its secrets were never written plain by an older version).
  for (const c of SEALED_COLUMNS.filter((x) => x.table !== 'user_totp')) {
    const rows = (await exec(`select ${c.column} as v from ${c.table} where ${c.column} is not null`)) as Array<{ v: string }>;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.v).toMatch(/^v1:k1:/);
  }
  const raw = JSON.stringify(await Promise.all(['bill', 'issue_request', 'notification', 'refund'].map((t) => exec(`select * from ${t}`))));
  for (const secret of [TEL, ID_CARD, EMAIL, EMAIL.toLowerCase(), LIST_TEL]) expect(raw).not.toContain(secret);
  expect(await keyStates(orm.em)).toEqual([{ key_id: 'k1', state: 'current' }]);

  const readBack = async (o: MikroORM) => {
    const em = o.em.fork();
    const bill = await em.findOneOrFail(Bill, billId);
    expect([bill.idCardNo, bill.tel, bill.email, bill.signedData, bill.extra]).toEqual([ID_CARD, TEL, EMAIL, signed, extra]);
    const d = await billForDelivery(o.em, billId);
    expect([d!.id_card_no, d!.tel, d!.email, d!.extra]).toEqual([ID_CARD, TEL, EMAIL, extra]);
    expect(JSON.parse((await issueRequestOf(o.em, 'MEDBILL_DEMO_HIS', 'OLD-1'))!.payload)).toMatchObject({ idCardNo: ID_CARD, tel: TEL });
    expect((await em.findOneOrFail(IssueRequest, { busNo: 'OLD-1' })).payload).toBe(payload);
    expect((await findNotice(o.em, billId, 'sms', 'issue'))!.target).toBe(TEL);
    expect((await em.findOneOrFail(Notification, { bill: billId })).target).toBe(TEL);
    expect((await refundById(o.em, refundId))!.tel).toBe(TEL);
    // The clinic card inside the sealed extra fields: indexed by the startup step (indexBillCards).
    for (const v of [TEL, '+86 139-1234-5678', ID_CARD.toLowerCase(), EMAIL.toUpperCase(), CARD_NO, ' jzk9001 ']) {
      const found = await em.find(Bill, { $or: billContactFilters(o.em, v) });
      expect(found.map((b) => b.id)).toEqual([billId]);
    }
    expect(await em.find(Bill, { $or: billContactFilters(o.em, '13912345679') })).toEqual([]);
    expect(await exec('select count(*) as n from bill where card_no_bidx is null')).toEqual([{ n: 0 }]);
    const refundBidx = await exec('select tel_bidx from refund where id = ?', [refundId]);
    expect(refundBidx[0].tel_bidx).toMatch(/^[0-9a-f]{64}$/);
  };
  await readBack(orm);

  // An entity loaded and flushed for another change keeps its sealed columns as they were (no rewrite by a new IV).
  const before = (await exec('select tel, signed_data from bill where id = ?', [billId]))[0];
  const em = orm.em.fork();
  const b = await em.findOneOrFail(Bill, billId);
  b.remark = '备注';
  await em.flush();
  expect((await exec('select tel, signed_data, remark from bill where id = ?', [billId]))[0]).toEqual({ ...before, remark: '备注' });
  // A value written through the entity is sealed.
  b.email = 'new@example.com';
  await em.flush();
  const [{ email: stored }] = await exec('select email from bill where id = ?', [billId]);
  expect(isSealed(stored)).toBe(true);
  expect(stored).not.toContain('new@example.com');
  b.email = EMAIL;
  await em.flush();
  await orm.close(true);

  // 3. Rotation to k2 (what npm run rotate-keys runs), stopped after a first small batch? resumable: run twice.
  orm = await openOrm(url, { sealer: sealer('k2') });
  opened.push(orm);
  exec = execOf(orm);
  expect(await keyStates(orm.em)).toEqual([{ key_id: 'k1', state: 'retiring' }, { key_id: 'k2', state: 'current' }]);
  expect((await sealedKeyCensus(orm.em)).k1).toBeGreaterThan(0);
  const first = await rotateKeys(orm.em, { toKeyId: 'k2', batch: 1 });
  expect(first.done).toBe(true);
  expect(first.columns.reduce((s, c) => s + c.sealed, 0)).toBeGreaterThanOrEqual(8);
  expect(first.retired).toEqual(['k1']);
  expect(first.census.k1).toBeUndefined();
  const again = await rotateKeys(orm.em, { toKeyId: 'k2', batch: 1 });
  expect(again.columns.reduce((s, c) => s + c.sealed, 0)).toBe(0); // idempotent
  expect(again.done).toBe(true);
  for (const c of SEALED_COLUMNS) {
    const rows = (await exec(`select ${c.column} as v from ${c.table} where ${c.column} is not null`)) as Array<{ v: string }>;
    for (const r of rows) expect(r.v).toMatch(/^v1:k2:/);
  }
  expect(JSON.stringify(await exec('select * from bill'))).not.toContain('v1:k1:');
  await readBack(orm);
  expect(await keyStates(orm.em)).toEqual([{ key_id: 'k1', state: 'retired' }, { key_id: 'k2', state: 'current' }]);
  await orm.close(true);

  // 4. A process started again with the retired id is refused (it would write under it again).
  await expect(openOrm(url, { sealer: sealer('k1') })).rejects.toThrow(/retired/);
});
