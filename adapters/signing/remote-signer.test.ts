import * as net from 'node:net';
import { sm2KeyPair } from '../../common/gm';
import { startSignerSim, type SignerSim } from '../../sim/signer/server';
import { createSigner, RemoteSigner, SignerConfigError } from './index';
import { verifyRef, verifyRefMany } from './reference-verify';

jest.setTimeout(60_000);

const hospitalKey = sm2KeyPair();
const otherKey = sm2KeyPair();

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('RemoteSigner against the signing-server simulator', () => {
  let sim: SignerSim;
  let signer: RemoteSigner;

  beforeAll(async () => {
    sim = await startSignerSim({ port: 0, keys: { 'hosp-330101': hospitalKey, other: otherKey } });
    // A request bound no loaded CPU runs out of: the burst of 200 queues at the simulator (the slow-server test has its own bound).
    signer = new RemoteSigner({ url: sim.url, keyId: 'hosp-330101', publicKey: hospitalKey.publicKey, timeoutMs: 300_000 });
  });
  afterAll(async () => {
    await signer.close();
    await sim.close();
  });
  afterEach(() => post(`${sim.url}/_sim/faults`, { mode: 'ok' }));

  it('signs over HTTP; the signatures verify with sm-crypto (interop), Chinese text included', async () => {
    const messages = ['{"billNo":"0000000001","payer":"张三","totalAmt":"12.30"}', '浙江省人民医院 门诊收费票据 🏥', 'ascii only'];
    const sigs = await Promise.all(messages.map((m) => signer.sign(m)));
    for (const s of sigs) expect(s).toMatch(/^[0-9a-f]{128}$/);
    expect(await verifyRefMany(messages.map((m, i) => [m, sigs[i]]), hospitalKey.publicKey)).toEqual([true, true, true]);
    expect(verifyRef(messages[0].replace('12.30', '12.31'), sigs[0], hospitalKey.publicKey)).toBe(false);
    expect(signer.publicKey).toBe(hospitalKey.publicKey);
  });

  it('handles a burst over kept-alive connections', async () => {
    const sigs = await Promise.all(Array.from({ length: 200 }, (_, i) => signer.sign(`票据 ${i}`)));
    expect(new Set(sigs).size).toBe(200);
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { signed: number };
    expect(stats.signed).toBeGreaterThanOrEqual(200);
  });

  it('a server that is down gives a clear error naming the server', async () => {
    const port = await freePort();
    const down = new RemoteSigner({ url: `http://127.0.0.1:${port}`, keyId: 'k', publicKey: hospitalKey.publicKey });
    const err = await down.sign('x').catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SignerConfigError); // worth retrying
    expect((err as Error).message).toContain(`signing server http://127.0.0.1:${port}/sign`);
    expect((err as Error).message).toMatch(/unreachable \(ECONNREFUSED/);
  });

  it('HTTP 503 from the server is a retryable error naming the server', async () => {
    await post(`${sim.url}/_sim/faults`, { mode: 'down' });
    const err = (await signer.sign('x').catch((e: Error) => e)) as Error;
    expect(err).not.toBeInstanceOf(SignerConfigError);
    expect(err.message).toMatch(new RegExp(`signing server ${sim.url}/sign .*answered HTTP 503`));
  });

  it('times out a slow server', async () => {
    await post(`${sim.url}/_sim/faults`, { mode: 'slow', delayMs: 2000 });
    const quick = new RemoteSigner({ url: sim.url, keyId: 'hosp-330101', publicKey: hospitalKey.publicKey, timeoutMs: 200 });
    const err = (await quick.sign('x').catch((e: Error) => e)) as Error;
    // The message names the 200 ms bound: the call gave up, it did not get the answer 2 s later.
    expect(err.message).toMatch(/no answer within 200 ms \(timeout\)/);
  });

  it('an unknown key id is a configuration error', async () => {
    const s = new RemoteSigner({ url: sim.url, keyId: 'nope', publicKey: hospitalKey.publicKey });
    await expect(s.sign('x')).rejects.toThrow(SignerConfigError);
    await expect(s.sign('x')).rejects.toThrow(/refused to sign: code 1001, key not found: nope/);
  });

  it('refuses signatures made with another key than the hospital’s', async () => {
    const s = new RemoteSigner({ url: sim.url, keyId: 'other', publicKey: hospitalKey.publicKey });
    await expect(s.sign('x')).rejects.toThrow(/signs with public key .*not the hospital's/);
  });

  it('createSigner picks the remote signer when signerUrl is set', async () => {
    const s = createSigner({ signerUrl: sim.url, signThreads: 2, publicKey: hospitalKey.publicKey, keyId: 'hosp-330101' });
    expect(s).toBeInstanceOf(RemoteSigner);
    expect(verifyRef('医疗', await s.sign('医疗'), hospitalKey.publicKey)).toBe(true);
    await s.close();
    await expect(s.sign('x')).rejects.toThrow(/closed/);
    expect(() => createSigner({ signerUrl: sim.url, signThreads: 2, publicKey: hospitalKey.publicKey })).toThrow(/key id is required/);
  });
});

describe('signing-server simulator', () => {
  it('creates a key on startup when none is passed and answers like a signing server', async () => {
    const sim = await startSignerSim({ port: 0 });
    try {
      const [keyId] = Object.keys(sim.publicKeys);
      const msg = '票据';
      const r = await fetch(`${sim.url}/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ keyId, data: Buffer.from(msg).toString('base64'), alg: 'SM3withSM2' }),
      });
      const body = (await r.json()) as { code: number; signature: string; publicKey: string };
      expect(body.code).toBe(0);
      expect(body.publicKey).toBe(sim.publicKeys[keyId]);
      expect(verifyRef(msg, body.signature, body.publicKey)).toBe(true);
      const bad = await fetch(`${sim.url}/sign`, { method: 'POST', body: 'not json' });
      expect(bad.status).toBe(400);
      const alg = await fetch(`${sim.url}/sign`, {
        method: 'POST',
        body: JSON.stringify({ keyId, data: 'eA==', alg: 'SHA256withRSA' }),
      });
      expect(await alg.json()).toMatchObject({ code: 1002 });
      expect(await (await fetch(`${sim.url}/keys/${keyId}`)).json()).toEqual({ code: 0, keyId, publicKey: sim.publicKeys[keyId] });
    } finally {
      await sim.close();
    }
  });
});
