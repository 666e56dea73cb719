/**
 * What sign-ins cost the rest of the API: the latency of a signed-in request (GET /api/auth/me)
 * alone, then while `--loops` clients sign in back to back (right password), for `--seconds`
 * each; prints p50/p99 of both phases, their ratio, and sign-ins/s. A password hash on the event
 * loop (scryptSync) stalls every other request while it runs; on the thread pool it does not.
 * Usage:
 *   node dist/bench/sign-in.js [--loops 4] [--seconds 10] [--db mysql://...] [--url http://host:port]
 * With --url it measures a platform already running (e.g. an older version, for comparison).
 */
import { arg, benchPlatform, pct } from './platform';

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99) };
};

async function signIn(url: string): Promise<string> {
  const r = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin123' }) });
  const pair = r.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('medbill_session='));
  if (!pair) throw new Error(`sign-in refused: HTTP ${r.status}`);
  return pair;
}

async function probe(url: string, cookie: string, until: number): Promise<number[]> {
  const ms: number[] = [];
  while (Date.now() < until) {
    const t0 = performance.now();
    const r = await fetch(`${url}/api/auth/me`, { headers: { cookie } });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET /api/auth/me: HTTP ${r.status}`);
    ms.push(performance.now() - t0);
  }
  return ms;
}

async function main(): Promise<void> {
  const loops = Number(arg('loops', '4'));
  const seconds = Number(arg('seconds', '10'));
  const platform = await benchPlatform(arg('db', ''));
  try {
    const cookie = await signIn(platform.url);
    await probe(platform.url, cookie, Date.now() + 2000); // warm-up
    const quiet = stats(await probe(platform.url, cookie, Date.now() + seconds * 1000));
    let signIns = 0;
    const until = Date.now() + seconds * 1000;
    const loaders = Array.from({ length: loops }, async () => {
      while (Date.now() < until) {
        await signIn(platform.url);
        signIns++;
      }
    });
    const busy = stats(await probe(platform.url, cookie, until));
    await Promise.all(loaders);
    console.log(`signed-in request alone:            n=${quiet.n} p50=${quiet.p50.toFixed(1)} ms p99=${quiet.p99.toFixed(1)} ms`);
    console.log(`... during ${loops} sign-in loops:        n=${busy.n} p50=${busy.p50.toFixed(1)} ms p99=${busy.p99.toFixed(1)} ms`);
    console.log(`slowdown p50 x${(busy.p50 / quiet.p50).toFixed(1)}, p99 x${(busy.p99 / quiet.p99).toFixed(1)}; sign-ins ${(signIns / seconds).toFixed(1)}/s`);
  } finally {
    await platform.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
