/**
 * Test helper: verifies signatures with the reference implementation, sm-crypto 0.5 (not v2),
 * `sm2.doVerifySignature(msg, sig, publicKey, { hash: true })`, i.e. SM3withSM2 with the
 * default user ID. sm-crypto is slow (~30 ms per verification, ~3x more inside jest's VM), so
 * bulk checks run on plain worker threads, one slice per core.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';

// sm-crypto ships no type declarations
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sm2: reference } = require('sm-crypto') as {
  sm2: { doVerifySignature(msg: string, sig: string, pub: string, opts: { hash: boolean }): boolean };
};

export const verifyRef = (msg: string, sig: string, publicKey: string): boolean =>
  reference.doVerifySignature(msg, sig, publicKey, { hash: true });

const VERIFY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { sm2 } = require(workerData.modulePath);
parentPort.postMessage(workerData.items.map(([m, s]) => sm2.doVerifySignature(m, s, workerData.publicKey, { hash: true })));
`;

/** One boolean per [message, signature] pair, computed by sm-crypto on worker threads. */
export async function verifyRefMany(items: Array<[string, string]>, publicKey: string): Promise<boolean[]> {
  const modulePath = require.resolve('sm-crypto');
  const n = Math.max(1, Math.min(os.availableParallelism(), 4));
  const size = Math.ceil(items.length / n);
  const parts = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const slice = items.slice(i * size, (i + 1) * size);
      return new Promise<boolean[]>((resolve, reject) => {
        const w = new Worker(VERIFY_WORKER, { eval: true, workerData: { modulePath, publicKey, items: slice } });
        w.once('message', (r: boolean[]) => {
          resolve(r);
          void w.terminate();
        });
        w.once('error', reject);
      });
    }),
  );
  return parts.flat();
}
