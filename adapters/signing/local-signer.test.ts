import { sm2 } from 'sm-crypto-v2';
import { sm2KeyPair } from '../../common/gm';
import { LocalSigner } from './local-signer';
import { createSigner } from './index';
import { SignerConfigError } from './signer';
import { verifyRef, verifyRefMany } from './reference-verify';

jest.setTimeout(180_000);

describe('LocalSigner', () => {
  const key = sm2KeyPair();
  let signer: LocalSigner;

  beforeAll(async () => {
    signer = new LocalSigner({ privateKey: key.privateKey, publicKey: key.publicKey, threads: 2 });
    await signer.ready();
  });
  afterAll(() => signer.close());

  it('starts every thread on the precomputed fast path', () => {
    expect(signer.stats()).toMatchObject({ threads: 2, ready: 2, modes: ['fast', 'fast'] });
    expect(signer.publicKey).toBe(key.publicKey);
  });

  it('makes 1,000 signatures that all verify (sm-crypto-v2), every fifth also with the reference sm-crypto (Chinese text included)', async () => {
    const messages = Array.from({ length: 1000 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return `{"billBatchCode":"33010125","billNo":"${String(i).padStart(10, '0')}","payer":"张三","totalAmt":"${i}.50"}`;
        case 1:
          return `浙江省人民医院 门诊收费 患者：欧阳娜娜 金额：¥${i}.00 医保统筹支付 校验码 ${i.toString(36)}`;
        case 2:
          return `plain ascii ${i} ` + 'x'.repeat(i % 97);
        default:
          return `混合 mixed 🏥 ${i} ` + '医'.repeat(i % 50);
      }
    });
    const sigs = await Promise.all(messages.map((m) => signer.sign(m)));
    expect(new Set(sigs).size).toBe(1000); // random k: no two alike
    for (const s of sigs) expect(s).toMatch(/^[0-9a-f]{128}$/);
    // Every signature verified by the fast implementation; every fifth (all four message kinds)
    // by the reference one too, which costs ~30 ms of CPU a verification.
    const all = messages.map((m, i) => sm2.doVerifySignature(m, sigs[i], key.publicKey, { hash: true }));
    expect(all.filter((v) => !v)).toHaveLength(0);
    const ok = await verifyRefMany(messages.flatMap((m, i) => (i % 5 === 0 ? [[m, sigs[i]] as [string, string]] : [])), key.publicKey);
    expect(ok).toHaveLength(200);
    expect(ok.filter((v) => !v)).toHaveLength(0);
    expect(signer.stats()).toMatchObject({ inFlight: 0, queued: 0, failed: 0 });
  });

  it('a tampered message or signature does not verify', async () => {
    const msg = '{"billNo":"0000000001","payer":"李四","totalAmt":"88.00"}';
    const sig = await signer.sign(msg);
    expect(verifyRef(msg, sig, key.publicKey)).toBe(true);
    expect(verifyRef(msg.replace('88.00', '88.01'), sig, key.publicKey)).toBe(false);
    expect(verifyRef(msg.replace('李四', '李五'), sig, key.publicKey)).toBe(false);
    const flipped = sig.slice(0, 127) + (sig[127] === '0' ? '1' : '0');
    expect(verifyRef(msg, flipped, key.publicKey)).toBe(false);
    expect(verifyRef(msg, sig, sm2KeyPair().publicKey)).toBe(false);
  });

  it('an error while signing rejects only that request', async () => {
    const results = await Promise.allSettled([signer.sign('a'), signer._signUnchecked(42), signer.sign('b'), signer.sign('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/must be a string/);
    await expect(signer.sign(7 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('replaces a thread that dies; its requests reject, the others go on', async () => {
    const before = signer._workers().map((w) => w.threadId);
    const pending = Array.from({ length: 200 }, (_, i) => signer.sign(`crash test ${i}`));
    await new Promise((r) => setTimeout(r, 20));
    await signer._workers()[0].terminate();
    const settled = await Promise.allSettled(pending);
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    for (const r of rejected) expect(r.reason.message).toMatch(/SM2 signing thread \d+ died/);
    expect(settled.length - rejected.length).toBeGreaterThan(0);
    await signer.ready();
    const after = signer._workers().map((w) => w.threadId);
    expect(after).toHaveLength(2);
    expect(after).not.toContain(before[0]);
    expect(signer.stats().replaced).toBe(1);
    const again = await Promise.all(Array.from({ length: 50 }, (_, i) => signer.sign(`after crash ${i}`)));
    expect(await verifyRefMany(again.map((s, i) => [`after crash ${i}`, s]), key.publicKey)).not.toContain(false);
  });
});

describe('LocalSigner lifecycle and configuration', () => {
  const key = sm2KeyPair();

  it('close() lets in-flight work finish, then ends the threads; later calls reject', async () => {
    // A drain bound no slow CPU can run out of (at load 10 the default 2 s did, before 20 first
    // signatures with their table precomputation were done): this test is about finishing, not the bound.
    const s = new LocalSigner({ privateKey: key.privateKey, publicKey: key.publicKey, threads: 2, drainMs: 300_000 });
    const exited = s._workers().map((w) => new Promise<number>((r) => w.once('exit', r)));
    const inflight = Promise.all(Array.from({ length: 20 }, (_, i) => s.sign(`closing ${i}`)));
    await s.close();
    await expect(inflight).resolves.toHaveLength(20);
    await expect(Promise.all(exited)).resolves.toHaveLength(2);
    expect(s.stats().threads).toBe(0);
    await expect(s.sign('too late')).rejects.toThrow(/closed/);
    await s.close(); // idempotent
  });

  it('derives the public key when absent and refuses a key pair that does not match', async () => {
    const s = new LocalSigner({ privateKey: key.privateKey, threads: 1 });
    expect(s.publicKey).toBe(key.publicKey);
    const sig = await s.sign('医疗电子票据');
    expect(verifyRef('医疗电子票据', sig, key.publicKey)).toBe(true);
    await s.close();
    expect(() => new LocalSigner({ privateKey: key.privateKey, publicKey: sm2KeyPair().publicKey })).toThrow(SignerConfigError);
    expect(() => new LocalSigner({ privateKey: 'not-a-key' })).toThrow(/64 hex/);
  });

  it('applies back-pressure: beyond maxQueue sign() rejects instead of queueing', async () => {
    const s = new LocalSigner({ privateKey: key.privateKey, threads: 1, maxInFlightPerWorker: 4, maxQueue: 10 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => s.sign(`bp ${i}`)));
    const overloaded = results.filter((r) => r.status === 'rejected' && /overloaded/.test(r.reason.message));
    expect(overloaded.length).toBe(20);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    await s.close();
  });

  it('createSigner picks the local pool without a signer URL', async () => {
    const s = createSigner({ signerUrl: '', signThreads: 1, privateKey: key.privateKey, publicKey: key.publicKey });
    expect(s).toBeInstanceOf(LocalSigner);
    expect(verifyRef('x', await s.sign('x'), key.publicKey)).toBe(true);
    await s.close();
    expect(() => createSigner({ signerUrl: '', signThreads: 1, publicKey: key.publicKey })).toThrow(SignerConfigError);
  });
});

describe('inline signing (the issuing transaction)', () => {
  test('signInline gives signatures sm-crypto verifies, from the same key as the pool', async () => {
    const keys = sm2KeyPair();
    const signer = new LocalSigner({ privateKey: keys.privateKey, publicKey: keys.publicKey, threads: 1 });
    try {
      for (const msg of ['EInvoiceNumber=0000000001', '医疗电子票据 交款人=张三']) {
        const sig = signer.signInline(msg);
        expect(sig).toMatch(/^[0-9a-f]{128}$/);
        expect(verifyRef(msg, sig, keys.publicKey)).toBe(true);
        expect(verifyRef(msg + 'x', sig, keys.publicKey)).toBe(false);
      }
      expect(verifyRef('pool', await signer.sign('pool'), keys.publicKey)).toBe(true);
    } finally {
      await signer.close();
    }
  });
});
