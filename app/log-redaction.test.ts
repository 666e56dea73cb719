/**
 * Logs never carry SQL values, keys or personal data: a statement that fails with a patient's
 * phone, ID number and e-mail among its parameters, logged the ways the platform logs it (the
 * worker's Temporal logger, the activity failure Temporal keeps, the API's error log, the ORM's
 * logger), leaves none of them in the line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { openOrm } from '../orm/db';
import { ormOptions } from '../orm/config';
import { redactDbError } from '../orm/errors';
import { redactingLogFunction } from './worker';
import { DomainFailureInterceptor } from '../temporal/domain-errors';
import { isDbDriverError, redactLogText, redactSql } from '../common/redact';

const PHONE = '13912345678';
const ID_CARD = '44010619900101123X';
const EMAIL = 'wang.fang@example.com';
const KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** No 4 consecutive digits of the phone, no 6 of the ID number, not the e-mail nor the key. */
function expectClean(line: string): void {
  for (let i = 0; i + 4 <= PHONE.length; i++) expect(line).not.toContain(PHONE.slice(i, i + 4));
  for (let i = 0; i + 6 <= ID_CARD.length; i++) expect(line).not.toContain(ID_CARD.slice(i, i + 6));
  expect(line).not.toContain(EMAIL);
  expect(line).not.toContain('wang.fang');
  expect(line).not.toContain(KEY);
}

let orm: MikroORM;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-redact-'));
  orm = await openOrm(`sqlite:${path.join(dir, 'db.sqlite')}`);
});
afterAll(async () => {
  await orm.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A statement that fails (NOT NULL), with the patient's data among its parameters, as the driver reports it. */
async function failingStatement(): Promise<Error> {
  try {
    await orm.em.getConnection().execute('insert into notification (bill_id, channel, purpose, target) values (?, ?, ?, ?)', [1, 'sms', `${ID_CARD} ${EMAIL} ${KEY}`, PHONE], 'run');
  } catch (e) {
    return e as Error;
  }
  throw new Error('the statement did not fail');
}

test('the failing statement really carries the values (so the checks below can fail)', async () => {
  const e = await failingStatement();
  expect(e.message).toContain(PHONE);
  expect(e.message).toContain(ID_CARD);
  expect(isDbDriverError(e)).toBe(true);
});

test('the worker log line of a failed activity holds no digit run of the phone, nor the ID number, e-mail or key', async () => {
  const e = await failingStatement();
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
  try {
    redactingLogFunction({ level: 'WARN', message: `Activity failed: ${e.message}`, timestampNanos: BigInt(Date.now()) * 1_000_000n, meta: { error: e, activityType: 'issueBill', args: [PHONE, { tel: PHONE, n: 13912345678 }] } });
  } finally {
    spy.mockRestore();
  }
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('Activity failed');
  expect(lines[0]).toContain('NOT NULL constraint failed'); // the reason stays
  expectClean(lines[0]);
});

test('the activity failure Temporal keeps is redacted (and still a retryable error)', async () => {
  const e = await failingStatement();
  const interceptor = new DomainFailureInterceptor();
  const thrown = (await interceptor.execute({} as never, async () => Promise.reject(e)).catch((x: unknown) => x)) as Error;
  expect(thrown).toBeInstanceOf(Error);
  expect(thrown.name).toBe('DatabaseError');
  expect(thrown.message).toContain('NOT NULL constraint failed');
  expectClean(`${thrown.message}\n${thrown.stack}`);
});

test('the API error log and the ORM logger', async () => {
  const e = await failingStatement();
  expectClean(redactDbError(e));
  const mysqlLike = Object.assign(new Error(`insert into bill (tel) values ('${PHONE}') - Duplicate entry '${PHONE}' for key 'tel'`), { code: 'ER_DUP_ENTRY', sqlMessage: `Duplicate entry '${PHONE}' for key 'tel'`, sql: `insert into bill (tel) values ('${PHONE}')` });
  expect(redactDbError(mysqlLike)).toMatch(/^ER_DUP_ENTRY: Duplicate entry \? for key/);
  expectClean(redactDbError(mysqlLike));
  const logger = ormOptions('sqlite::memory:').logger!;
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
  try {
    logger(`[query] select * from bill where tel = '${PHONE}' or id_card_no = '${ID_CARD}' [took 1 ms]`);
  } finally {
    spy.mockRestore();
  }
  expect(lines[0]).toContain('select * from bill where tel = ? or id_card_no = ?');
  expectClean(lines[0]);
});

test('redaction keeps what is not a value', () => {
  expect(redactSql("update bill set tel = '1', total_amt = 12.5 where id = 7 and bill_kind_id = 2")).toBe('update bill set tel = ?, total_amt = ? where id = ? and bill_kind_id = ?');
  expect(redactLogText('connecting to 127.0.0.1:7233 took 12 ms on 2026-12-03')).toBe('connecting to 127.0.0.1:7233 took 12 ms on 2026-12-03');
  expect(redactLogText('sms to 139-1234-5678 failed')).toBe('sms to <digits> failed');
});
