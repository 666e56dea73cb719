/**
 * SM3withSM2 with k*G on a wider precomputed table of the base point (about 60% of a signature),
 * r and s still computed by sm-crypto-v2 (its `pointPool` option). One function, used in the
 * signing threads (its source is embedded in SIGN_WORKER_SOURCE) and inline in the issuing
 * transaction, so the two can never drift apart. Self-contained: everything comes in as arguments.
 */
export interface FastSignDeps {
  sm2: any;
  sm3: (m: Uint8Array) => string;
  randomBytes: (n: number) => Buffer;
  privateKey: string;
  publicKey: string;
  userId: string;
  window: number;
}

export function makeFastSign(d: FastSignDeps): (msg: string) => string {
  const N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');
  const G_HEX =
    '04' + '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7' + 'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0';
  const G = d.sm2.precomputePublicKey(G_HEX, d.window);
  const Z: Uint8Array = d.sm2.getZ(d.publicKey, d.userId);
  const utf8 = new TextEncoder();
  return function fastSign(msg: string): string {
    const m = utf8.encode(msg);
    const zm = new Uint8Array(Z.length + m.length);
    zm.set(Z, 0);
    zm.set(m, Z.length);
    const e = Buffer.from(d.sm3(zm), 'hex');
    // k uniform in [1, n-1]: 320 random bits reduced mod n-1 (FIPS 186-4 B.5.1).
    const k = (BigInt('0x' + d.randomBytes(40).toString('hex')) % (N - BigInt(1))) + BigInt(1);
    const x1 = G.multiply(k).toAffine().x; // constant-time wNAF multiplication
    // A Uint8Array message is taken as the digest as is (no second hash).
    return d.sm2.doSignature(e, d.privateKey, { pointPool: [{ k, x1 }] });
  };
}
