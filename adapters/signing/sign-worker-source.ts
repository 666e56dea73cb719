/**
 * Source of the SM2 signing worker, run with `new Worker(SIGN_WORKER_SOURCE, { eval: true })`.
 * It is a string (plain CommonJS JavaScript) so the same code runs from compiled `dist/` and
 * under jest/swc, where a `.ts` worker file could not be loaded.
 *
 * workerData: { modulePath, privateKey, publicKey, userId, window }
 *   modulePath  absolute path of sm-crypto-v2 (require.resolve in the parent)
 *   window      wNAF window for the precomputed base point G (8 = the library's own table)
 *
 * Protocol (parent -> worker):  { type: 'sign', batch: [{ id, msg }] }
 *          (worker -> parent):  { type: 'ready', mode: 'fast' | 'library' }
 *                               { type: 'done', results: [{ id, sig } | { id, err }] }
 *
 * Speed-ups over `sm2.doSignature(msg, d, { hash: true, publicKey })`, all computed once:
 *  - Z = SM3(ENTL || userId || a || b || G || P) for the key (sm2.getZ); per message only
 *    e = SM3(Z || M) remains.
 *  - k*G, about 60% of a signature, on a bigger precomputed table of the base point:
 *    sm2.precomputePublicKey accepts any point, so it is given G itself with a wider window
 *    than the library's default 8. The nonce point (k, x1) reaches doSignature through its
 *    `pointPool` option, so r and s are still computed by sm-crypto-v2 itself.
 *    (precomputePublicKey on the *public* key does not help signing: signing never multiplies
 *    the public key; that table only speeds up doVerifySignature / doEncrypt.)
 * At start the worker signs a test message on that path and verifies it with the library's
 * doVerifySignature; if that ever failed it falls back to plain doSignature ('library' mode).
 * The private key is never logged or sent back; errors carry only the error message.
 */
import { makeFastSign } from './fast-sign';

export const SIGN_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const { sm2, sm3 } = require(workerData.modulePath);

const privateKey = workerData.privateKey;
const publicKey = workerData.publicKey;
const userId = workerData.userId;
const makeFastSignShared = ${makeFastSign.toString()};

function librarySign(msg) {
  return sm2.doSignature(msg, privateKey, { hash: true, publicKey, userId });
}

function makeFastSign() {
  return makeFastSignShared({ sm2, sm3, randomBytes, privateKey, publicKey, userId, window: workerData.window });
}

let sign = librarySign;
let mode = 'library';
try {
  const fast = makeFastSign();
  const probe = 'medbill signer self-test 医疗电子票据 ' + Date.now();
  const sig = fast(probe);
  if (/^[0-9a-f]{128}$/.test(sig) && sm2.doVerifySignature(probe, sig, publicKey, { hash: true, userId })) {
    sign = fast;
    mode = 'fast';
  }
} catch (e) {
  // keep the library path
}

parentPort.on('message', (m) => {
  if (!m || m.type !== 'sign') return;
  const results = new Array(m.batch.length);
  for (let i = 0; i < m.batch.length; i++) {
    const it = m.batch[i];
    try {
      if (typeof it.msg !== 'string') throw new TypeError('message to sign must be a string, got ' + typeof it.msg);
      results[i] = { id: it.id, sig: sign(it.msg) };
    } catch (e) {
      results[i] = { id: it.id, err: String((e && e.message) || e) };
    }
  }
  parentPort.postMessage({ type: 'done', results });
});
parentPort.postMessage({ type: 'ready', mode });
`;
