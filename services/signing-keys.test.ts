/**
 * alignSigningKeys: with an external signing server the hospital's public key is the server's. A
 * hospital seeded just now takes it; an existing hospital with another key stops the start; a
 * server that does not answer is reported and the start goes on (a just-seeded hospital cannot).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sealer } from '../common/sealed';
import { MasterKeyProvider } from '../common/keys';
import { randomKeyHex, sm2KeyPair } from '../common/gm';
import { openOrm } from '../orm/db';
import { DEMO, seedDemo } from '../orm/seed';
import type { SqlOrm } from '../orm/sql';
import { hospitalPublicKeys } from '../orm/repositories/hospitals';
import { startSignerSim, type SignerSim } from '../sim/signer/server';
import { alignSigningKeys } from './signing-keys';

let orm: SqlOrm;
let dir: string;
let sim: SignerSim;
const serverKey = sm2KeyPair();
const notes: string[] = [];
const log = { info: (m: string) => void notes.push(`info ${m}`), warn: (m: string) => void notes.push(`warn ${m}`) };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-keys-'));
  orm = await openOrm(`sqlite:${path.join(dir, 'db.sqlite')}`, { sealer: new Sealer(new MasterKeyProvider(randomKeyHex()), 'k1') });
  await seedDemo(orm.em.fork(), randomKeyHex());
  sim = await startSignerSim({ port: 0, keys: { [DEMO.hospitalCode]: serverKey } });
});
afterAll(async () => {
  await sim?.close();
  await orm.close(true);
  fs.rmSync(dir, { recursive: true, force: true });
});

const keyNow = async () => (await hospitalPublicKeys(orm.em)).find((h) => h.code === DEMO.hospitalCode)!.publicKey;

it('an existing hospital with another key stops the start and keeps its key', async () => {
  const before = await keyNow();
  expect(before).not.toBe(serverKey.publicKey);
  await expect(alignSigningKeys(orm.em, sim.url, false, log)).rejects.toThrow(/not the signing server's key H44000001/);
  expect(await keyNow()).toBe(before);
});

it('a hospital seeded just now takes the signing server\'s key; then the keys agree', async () => {
  await alignSigningKeys(orm.em, sim.url, true, log);
  expect(await keyNow()).toBe(serverKey.publicKey.toLowerCase());
  expect(notes.at(-1)).toContain('takes the signing server');
  notes.length = 0;
  await alignSigningKeys(orm.em, sim.url, false, log);
  expect(notes).toEqual([]);
});

it('a server that does not answer is reported; a just-seeded hospital cannot start without it; no server URL checks nothing', async () => {
  const gone = await startSignerSim({ port: 0 });
  await gone.close();
  const down = gone.url; // nothing listens there any more
  await alignSigningKeys(orm.em, down, false, log);
  expect(notes.at(-1)).toMatch(/^warn the signing server did not give/);
  await expect(alignSigningKeys(orm.em, down, true, log)).rejects.toThrow(/needs its public key from the signing server/);
  const unknown = await startSignerSim({ port: 0 });
  try {
    await expect(alignSigningKeys(orm.em, unknown.url, true, log)).rejects.toThrow(/code 1001/);
  } finally {
    await unknown.close();
  }
  notes.length = 0;
  await alignSigningKeys(orm.em, '', true, log);
  expect(notes).toEqual([]);
  expect(await keyNow()).toBe(serverKey.publicKey.toLowerCase());
});
