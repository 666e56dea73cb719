/**
 * Issuance through the real HIS interface: N concurrent HIS clients for D seconds against a
 * platform started in its own process (Temporal dev server, worker, API; MariaDB by default).
 * Prints bills/s and latency percentiles. Usage:
 *   node dist/bench/issue-throughput.js [--clients 32] [--duration 60] [--warmup 5] [--db mysql://root@127.0.0.1:3306/medbill_bench] [--url http://host:port]
 */
import { HisClient, sampleOutpatient } from '../sim/his/client';
import { DEMO } from '../orm/seed';
import { arg, benchPlatform, pct } from './platform';

async function main(): Promise<void> {
  const clients = Number(arg('clients', '32'));
  const duration = Number(arg('duration', '60'));
  const warmup = Number(arg('warmup', '5'));
  const db = arg('db', `mysql://root@127.0.0.1:3306/medbill_bench_${Date.now()}`);
  const platform = await benchPlatform(db);
  const url = platform.url;
  const his = new HisClient(url, DEMO.appid, DEMO.appKey);
  const stamp = Date.now();
  let seq = 0;
  const lat: number[] = [];
  const errors = new Map<string, number>();
  let measuring = false;
  let done = false;

  const worker = async (c: number) => {
    while (!done) {
      const business = sampleOutpatient({ busNo: `BENCH${stamp}-${c}-${seq++}`, placeCode: 'MZ01' });
      const t0 = performance.now();
      try {
        const r = await his.call('invoiceEBillOutpatient', business);
        const ms = performance.now() - t0;
        if (r.result !== 'S0000') errors.set(r.result, (errors.get(r.result) ?? 0) + 1);
        else if (measuring) lat.push(ms);
      } catch (e) {
        errors.set(String((e as Error).message).slice(0, 60), (errors.get(String((e as Error).message).slice(0, 60)) ?? 0) + 1);
      }
    }
  };
  const runners = Array.from({ length: clients }, (_, c) => worker(c));
  await new Promise((r) => setTimeout(r, warmup * 1000));
  measuring = true;
  const t0 = performance.now();
  const perSecond: number[] = [];
  for (let s = 0; s < duration; s++) {
    const before = lat.length;
    await new Promise((r) => setTimeout(r, 1000));
    perSecond.push(lat.length - before);
  }
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  done = true;
  await Promise.all(runners);
  const sorted = [...lat].sort((a, b) => a - b);
  if (!sorted.length) throw new Error(`no bill was issued while measuring; errors: ${[...errors].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const minSec = Math.min(...perSecond);
  console.log(`issuance via HIS interface: clients=${clients} duration=${duration}s db=${platform.child ? db.replace(/\/\/[^@]*@/, '//') : '(external)'}`);
  console.log(`bills=${lat.length} throughput=${(lat.length / elapsed).toFixed(1)} bills/s  slowest-second=${minSec} bills`);
  console.log(`latency ms: p50=${pct(sorted, 50).toFixed(1)} p95=${pct(sorted, 95).toFixed(1)} p99=${pct(sorted, 99).toFixed(1)} max=${sorted[sorted.length - 1].toFixed(1)}`);
  console.log(`errors: ${errors.size ? [...errors].map(([k, v]) => `${k}=${v}`).join(' ') : 'none'}`);
  await platform.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
