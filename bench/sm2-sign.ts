/**
 * SM2 signing throughput: SM3withSM2 (default user ID) over a ~1 KB canonical bill text.
 *
 *   npx tsc -p . && node dist/bench/sm2-sign.js [seconds per case, default 5]
 *
 * Cases: (a) sm-crypto, one thread; (b) sm-crypto-v2, one thread, doSignature with
 * { hash: true, publicKey }; (c) LocalSigner with 1 and 2 worker threads, kept busy by a
 * closed loop of concurrent sign() calls; (d) LocalSigner 2 threads, one request at a time
 * (latency). Every case warms up for 1 s first; a sample of each case's signatures is
 * verified with sm-crypto. Prints: case, signatures/s, p50 and p99 latency (ms), RSS.
 */
import { sm2 as sm2v2 } from 'sm-crypto-v2';
import { LocalSigner } from '../adapters/signing/local-signer';

// sm-crypto ships no type declarations
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sm2: sm2v1 } = require('sm-crypto') as {
  sm2: {
    doSignature(msg: string, key: string, opts: { hash: boolean; publicKey?: string }): string;
    doVerifySignature(msg: string, sig: string, pub: string, opts: { hash: boolean }): boolean;
  };
};

const SECONDS = Number(process.argv[2] ?? 5);
const WARMUP_MS = 1000;

const key = sm2v2.generateKeyPairHex();
const bill = (i: number) =>
  JSON.stringify({
    billBatchCode: '33010125',
    billNo: String(i).padStart(10, '0'),
    random: 'a1b2c3',
    payer: '张三',
    hospital: '杭州市第一人民医院',
    busDateTime: '20250301140509000',
    totalAmt: '1285.50',
    items: Array.from({ length: 8 }, (_, j) => ({ code: `0${j}`, name: ['西药费', '检查费', '化验费', '治疗费'][j % 4], amt: `${100 + j}.25` })),
    payments: [{ channel: '医保统筹', amount: '800.00' }, { channel: '个人账户', amount: '485.50' }],
  });
const MESSAGES = Array.from({ length: 1024 }, (_, i) => bill(i));

interface Result {
  name: string;
  perSec: number;
  p50: number;
  p99: number;
  /** CPU the whole process got while measuring, in cores (the machine may be shared). */
  cores: number;
  samples: Array<[string, string]>;
}

/** CPU time of the process (all threads) per wall time since `since`. */
function coresSince(since: { cpu: NodeJS.CpuUsage; t: number }): number {
  const c = process.cpuUsage(since.cpu);
  return (c.user + c.system) / 1000 / (performance.now() - since.t);
}
const mark = () => ({ cpu: process.cpuUsage(), t: performance.now() });

const mb = (n: number) => (n / 1048576).toFixed(0);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

function line(r: Result): string {
  return [
    r.name.padEnd(38),
    `${r.perSec.toFixed(0).padStart(6)} sig/s`,
    `p50 ${r.p50.toFixed(2).padStart(7)} ms`,
    `p99 ${r.p99.toFixed(2).padStart(7)} ms`,
    `cpu ${r.cores.toFixed(2)} cores`,
    `rss ${mb(process.memoryUsage().rss).padStart(4)} MB`,
  ].join('  ');
}

function syncCase(name: string, sign: (m: string) => string): Result {
  let i = 0;
  const warmEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmEnd) sign(MESSAGES[i++ % MESSAGES.length]);
  const lat: number[] = [];
  const samples: Array<[string, string]> = [];
  const m0 = mark();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  let now = t0;
  while (now < end) {
    const m = MESSAGES[i++ % MESSAGES.length];
    const s = sign(m);
    const t = performance.now();
    lat.push(t - now);
    now = t;
    if (samples.length < 10) samples.push([m, s]);
  }
  const cores = coresSince(m0);
  lat.sort((a, b) => a - b);
  return { name, perSec: lat.length / ((now - t0) / 1000), p50: pct(lat, 50), p99: pct(lat, 99), cores, samples };
}

/** Closed loop: `concurrency` callers, each signing again as soon as its last signature came back. */
async function asyncCase(name: string, signer: LocalSigner, concurrency: number): Promise<Result> {
  let i = 0;
  const lat: number[] = [];
  const samples: Array<[string, string]> = [];
  let measuring = false;
  let stopAt = performance.now() + WARMUP_MS;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const m = MESSAGES[i++ % MESSAGES.length];
      const t = performance.now();
      const s = await signer.sign(m);
      if (measuring) {
        lat.push(performance.now() - t);
        if (samples.length < 10) samples.push([m, s]);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop)); // warm-up
  measuring = true;
  const m0 = mark();
  const t0 = performance.now();
  stopAt = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: concurrency }, loop));
  const dt = (performance.now() - t0) / 1000;
  const cores = coresSince(m0);
  lat.sort((a, b) => a - b);
  return { name, perSec: lat.length / dt, p50: pct(lat, 50), p99: pct(lat, 99), cores, samples };
}

function check(r: Result): void {
  for (const [m, s] of r.samples) {
    if (!sm2v1.doVerifySignature(m, s, key.publicKey, { hash: true })) throw new Error(`${r.name}: a signature does not verify with sm-crypto`);
  }
}

async function main(): Promise<void> {
  const os = await import('node:os');
  console.log(
    `SM3withSM2 over ${MESSAGES[0].length}-character bill texts, ${SECONDS} s per case after ${WARMUP_MS / 1000} s warm-up; ` +
      `node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? '?'})`,
  );
  console.log(`rss at start ${mb(process.memoryUsage().rss)} MB; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results: Result[] = [];
  const run = (r: Result) => {
    check(r);
    results.push(r);
    console.log(line(r));
  };

  run(syncCase('(a) sm-crypto 0.5, 1 thread', (m) => sm2v1.doSignature(m, key.privateKey, { hash: true, publicKey: key.publicKey })));
  run(syncCase('(b) sm-crypto-v2, 1 thread', (m) => sm2v2.doSignature(m, key.privateKey, { hash: true, publicKey: key.publicKey })));

  for (const threads of [1, 2]) {
    const signer = new LocalSigner({ privateKey: key.privateKey, publicKey: key.publicKey, threads });
    await signer.ready();
    run(await asyncCase(`(c) LocalSigner, ${threads} thread${threads > 1 ? 's' : ' '} (${signer.stats().modes[0]})`, signer, 32 * threads));
    if (threads === 2) run(await asyncCase('(d) LocalSigner, 2 threads, 1 at a time', signer, 1));
    await signer.close();
  }
  console.log(
    `rss at end ${mb(process.memoryUsage().rss)} MB; max rss ${mb(process.resourceUsage().maxRSS * 1024)} MB; ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
