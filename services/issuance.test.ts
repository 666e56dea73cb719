import { randomKeyHex } from '../common/gm';
import { MasterKeyProvider } from '../common/keys';
import { Sealer } from '../common/sealed';
/**
 * The issuing step's error rules without the platform: an unexpected error is retried a bounded
 * number of times, then refused with E9999 and an issuance to-do; an error that cannot change on
 * retry refuses the request at once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqlOrm } from '../orm/sql';
import { openOrm } from '../orm/db';
import { insertReceivedRequest, issueRequestOf } from '../orm/repositories/issue-requests';
import { issueTodos } from '../orm/repositories/todos';
import { issueBill, permanentDbError } from './issuance';
import { sampleOutpatient } from '../sim/his/client';
import { HIS_LIMIT_DEFAULTS } from '../domain/his-input';
import { DomainError } from '../common/errors';
import type { Deps } from './deps';

let orm: SqlOrm;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-issue-'));
  orm = await openOrm(`sqlite:${path.join(dir, 'db.sqlite')}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
});
afterAll(async () => {
  await orm.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

const depsWith = (maxAttempts: number, app: () => unknown) =>
  ({ orm, cfg: { publicUrl: 'http://x', his: { ...HIS_LIMIT_DEFAULTS, issueMaxAttempts: maxAttempts, replayWindowMs: 1, maxBodyBytes: 1, maxJsonDepth: 32 } }, master: { app } }) as unknown as Deps;
const store = async (busNo: string, payload: Record<string, unknown>) =>
  insertReceivedRequest(orm.em, { appid: 'A', busNo, method: 'invoiceEBillOutpatient', hash: 'h', payload: JSON.stringify(payload) });

test('an unexpected error is retried while attempts are left, then refused with E9999 and a to-do', async () => {
  await store('U1', sampleOutpatient({ busNo: 'U1' }));
  const boom = () => {
    throw new Error("insert into bill values ('440101199001031234') - connection reset");
  };
  const retry = await issueBill(depsWith(2, boom), { appid: 'A', busNo: 'U1' }, { attempt: 1 }).catch((e: unknown) => e as Error);
  expect(retry).not.toBeInstanceOf(DomainError);
  expect((retry as Error).name).toBe('IssueAttemptFailed');
  expect((retry as Error).message).not.toContain('440101199001031234');
  expect((await issueRequestOf(orm.em, 'A', 'U1'))!.status).toBe('received');
  expect(await issueTodos(orm.em, { state: 'open' })).toEqual([]);

  const gaveUp = await issueBill(depsWith(2, boom), { appid: 'A', busNo: 'U1' }, { attempt: 2 }).catch((e: unknown) => e as DomainError);
  expect(gaveUp).toBeInstanceOf(DomainError);
  expect((gaveUp as DomainError).code).toBe('E9999');
  expect((await issueRequestOf(orm.em, 'A', 'U1'))!.status).toBe('rejected');
  const todos = await issueTodos(orm.em, { state: 'open' });
  expect(todos.map((t) => [t.busNo, t.placeCode])).toEqual([['U1', 'MZ01']]);
  expect(todos[0].detail).not.toContain('440101199001031234');
});

test('a validation error refuses the stored request at once, whatever attempt it is', async () => {
  await store('V1', sampleOutpatient({ busNo: 'V1', placeCode: 'MZ01\u0000' }));
  const e = (await issueBill(depsWith(5, () => ({})), { appid: 'A', busNo: 'V1' }, { attempt: 1 }).catch((x: unknown) => x)) as DomainError;
  expect(e).toBeInstanceOf(DomainError);
  expect(e.code).toBe('E0010');
  expect(e.field).toBe('placeCode');
  expect((await issueRequestOf(orm.em, 'A', 'V1'))!.status).toBe('rejected');
});

test('database errors that repeat on retry are permanent; unique keys and lost connections are not', () => {
  expect(permanentDbError({ code: 'ER_DATA_TOO_LONG' })?.code).toBe('E0010');
  expect(permanentDbError({ code: 'SQLITE_CONSTRAINT_NOTNULL' })?.code).toBe('E0010');
  expect(permanentDbError({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBeUndefined();
  expect(permanentDbError({ code: 'ER_DUP_ENTRY' })).toBeUndefined();
  expect(permanentDbError({ code: 'ECONNRESET' })).toBeUndefined();
});
