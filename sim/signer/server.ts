/**
 * Simulator of an external SM2 signing server (签名服务器), a real HTTP server:
 *
 *   POST /sign        { keyId, data: base64, alg: 'SM3withSM2' } -> { code: 0, signature, publicKey }
 *                     refusals are HTTP 200 with code != 0, like real signing servers:
 *                     1001 unknown key, 1002 unsupported algorithm, 1003 bad data (not base64 / empty)
 *                     malformed JSON or a missing field -> HTTP 400 { code: 1000, message }
 *   GET  /keys/:keyId -> { code: 0, keyId, publicKey }
 *   GET  /health      -> { status: 'ok', keys }
 *   POST /_sim/faults { mode: 'ok' | 'down' | 'slow', delayMs? }   down = HTTP 503, slow = delay
 *   GET  /_sim/stats  -> { signed }
 *
 * Signatures are SM3withSM2 with the default user ID (common/gm.ts), r||s hex.
 */
import { heldDelays, readJsonObject } from '../http-server';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { sm2KeyPair, sm2Sign } from '../../common/gm';

/** A malformed request's answer, in the simulated platform's error format. */
const signerError = (reason: string) => ({ code: 1000, message: reason });

export interface SimKey {
  privateKey: string;
  publicKey: string;
}

export interface SignerSimOptions {
  port: number;
  host?: string;
  /** Key store; default: one fresh key "sim-key-1". */
  keys?: Record<string, SimKey>;
}

export interface SignerSim {
  url: string;
  port: number;
  /** keyId -> public key of every key in the store. */
  publicKeys: Record<string, string>;
  close(): Promise<void>;
}

type FaultMode = 'ok' | 'down' | 'slow';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function startSignerSim(opts: SignerSimOptions): Promise<SignerSim> {
  const keys: Record<string, SimKey> = opts.keys ? { ...opts.keys } : { 'sim-key-1': sm2KeyPair() };
  let fault: { mode: FaultMode; delayMs: number } = { mode: 'ok', delayMs: 0 };
  let signed = 0;
  const { sleep, closeServer } = heldDelays();

  const router = new Router();
  router.post('/sign', async (ctx) => {
    const body = (await readJsonObject(ctx, signerError)) as { keyId?: unknown; data?: unknown; alg?: unknown } | undefined;
    if (!body) return;
    if (typeof body.keyId !== 'string' || typeof body.data !== 'string' || typeof body.alg !== 'string') {
      ctx.status = 400;
      ctx.body = { code: 1000, message: 'keyId, data and alg are required strings' };
      return;
    }
    if (body.alg !== 'SM3withSM2') {
      ctx.body = { code: 1002, message: `unsupported algorithm ${body.alg}` };
      return;
    }
    const key = keys[body.keyId];
    if (!key) {
      ctx.body = { code: 1001, message: `key not found: ${body.keyId}` };
      return;
    }
    if (!body.data || body.data.length % 4 !== 0 || !BASE64.test(body.data)) {
      ctx.body = { code: 1003, message: 'data must be non-empty base64' };
      return;
    }
    const message = Buffer.from(body.data, 'base64').toString('utf8');
    const signature = sm2Sign(message, key.privateKey, key.publicKey);
    signed++;
    ctx.body = { code: 0, signature, publicKey: key.publicKey };
  });
  router.get('/keys/:keyId', (ctx) => {
    const key = keys[ctx.params.keyId];
    ctx.body = key ? { code: 0, keyId: ctx.params.keyId, publicKey: key.publicKey } : { code: 1001, message: `key not found: ${ctx.params.keyId}` };
  });
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', keys: Object.keys(keys) };
  });
  router.post('/_sim/faults', async (ctx) => {
    const body = (await readJsonObject(ctx, signerError)) as { mode?: unknown; delayMs?: unknown } | undefined;
    if (!body) return;
    if (body.mode !== 'ok' && body.mode !== 'down' && body.mode !== 'slow') {
      ctx.status = 400;
      ctx.body = { error: 'mode must be ok, down or slow' };
      return;
    }
    fault = { mode: body.mode, delayMs: typeof body.delayMs === 'number' ? body.delayMs : 10_000 };
    ctx.body = fault;
  });
  router.get('/_sim/stats', (ctx) => {
    ctx.body = { signed };
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/_sim/')) {
      if (fault.mode === 'down') {
        ctx.status = 503;
        ctx.body = { code: 503, message: 'signing service unavailable (simulated)' };
        return;
      }
      if (fault.mode === 'slow') await sleep(fault.delayMs);
    }
    await next();
  });
  app.use(router.routes()).use(router.allowedMethods());

  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const publicKeys = Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, k.publicKey]));
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    publicKeys,
    close: () =>
      closeServer(server),
  };
}

