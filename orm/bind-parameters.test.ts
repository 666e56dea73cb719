import { randomKeyHex } from '../common/gm';
import { MasterKeyProvider } from '../common/keys';
import { Sealer } from '../common/sealed';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqlOrm } from './sql';
import { openOrm } from './db';
import { insertReceivedRequest, requestHashOf, storedRequest } from './repositories/issue-requests';
import { IssueRequest } from './entities';

describe('statements bind their parameters (SQLite)', () => {
  let orm: SqlOrm;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-bind-'));
    orm = await openOrm(`sqlite:${path.join(dir, 'db.sqlite')}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
  });
  afterAll(async () => {
    await orm.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a NUL byte and quotes in a value are stored and read back as sent (raw SQL)', async () => {
    const payload = `{"placeCode":"ZY01\u0000' or 1=1 --\\"}`;
    await insertReceivedRequest(orm.em, { appid: 'A', busNo: "B'\u00001", method: 'm', hash: 'h', payload });
    const r = await requestHashOf(orm.em, 'A', "B'\u00001");
    expect(r).toBeDefined();
    expect((await storedRequest(orm.em, r!.id))!.payload).toBe(payload);
  });

  test('the ORM (entities, dates, query builder) works through bound parameters', async () => {
    const em = orm.em.fork();
    const at = new Date('2026-12-03T01:02:03.456Z');
    await em.nativeUpdate(IssueRequest, { appid: 'A' }, { updatedAt: at, errorMessage: 'x\u0000y' });
    const row = await orm.em.fork().findOneOrFail(IssueRequest, { appid: 'A', errorMessage: 'x\u0000y' });
    expect(row.updatedAt.toISOString()).toBe(at.toISOString());
    expect(await orm.em.fork().count(IssueRequest, { appid: { $in: ['A', 'Z'] } })).toBe(1);
  });
});
