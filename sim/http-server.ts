import type Koa from 'koa';
import type { Server } from 'node:http';

/**
 * The delays a simulator holds answers for (its "slow" fault), and a close that releases them and
 * drops kept-alive sockets at once, so that stopping a simulator never hangs on a slow request.
 */
export function heldDelays(): { sleep(ms: number): Promise<void>; closeServer(server: Server): Promise<void> } {
  const timers = new Set<{ t: NodeJS.Timeout; done: () => void }>();
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const h = { t: setTimeout(() => (timers.delete(h), resolve()), ms), done: resolve };
        timers.add(h);
      }),
    closeServer: (server) =>
      new Promise<void>((resolve) => {
        for (const h of timers) {
          clearTimeout(h.t);
          h.done();
        }
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Reads a simulator request's JSON object body (at most 1 MB). On failure it answers itself, with
 * 413 or 400 and the body `error(reason)` in the simulated platform's own error format.
 */
export async function readJsonObject(ctx: Koa.Context, error: (reason: string) => unknown): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of ctx.req) {
      size += (c as Buffer).length;
      if (size > 1 << 20) {
        ctx.status = 413;
        ctx.body = error('request body too large');
        return undefined;
      }
      chunks.push(c as Buffer);
    }
  } catch {
    // the client went away (aborted / timed out): nobody reads the answer
    ctx.status = 400;
    ctx.body = error('request body incomplete');
    return undefined;
  }
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: answered below
  }
  ctx.status = 400;
  ctx.body = error('request body must be a JSON object');
  return undefined;
}

/** Listens on `port`, or on a free port when it is busy and `fallback` allows. */
export async function listenWithFallback(server: Server, port: number, host: string, fallback: boolean): Promise<number> {
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !fallback) throw e;
    await listen(0);
  }
  return (server.address() as { port: number }).port;
}
