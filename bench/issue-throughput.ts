/**
 * Issuance through the real HIS interface: N concurrent HIS clients for D seconds against a
 * platform started in its own process (Temporal dev server, worker, API; MariaDB by default).
 * Prints bills/s and latency percentiles. Usage:
 *   node dist/bench/issue-throughput.js [--clients 32] [--duration 60] [--warmup 5] [--db mysql://root@127.0.0.1:3306/medbill_bench] [--url http://host:port]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HisClient, sampleOutpatient } from '../sim/his/client';
import { DEMO } from '../orm/seed';
import { freePort } from '../scripts/temporal-dev';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function waitHealthy(url: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`platform exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('platform did not become healthy');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  const clients = Number(arg('clients', '32'));
  const duration = Number(arg('duration', '60'));
  const warmup = Number(arg('warmup', '5'));
  let url = arg('url', '');
  let child: ChildProcess | undefined;
  let dataDir = '';
  const db = arg('db', `mysql://root@127.0.0.1:3306/medbill_bench_${Date.now()}`);
  if (!url) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-'));
    const [port, tport, uport, sport] = [await freePort(), await freePort(), await freePort(), await freePort()];
    child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'start.js')], {
      env: {
        ...process.env,
        MEDBILL_DATA_DIR: dataDir,
        MEDBILL_DB_URL: db,
        MEDBILL_PORT: String(port),
        MEDBILL_SIM_PORT: String(sport),
        MEDBILL_TEMPORAL_ADDRESS: `127.0.0.1:${tport}`,
        MEDBILL_TEMPORAL_UI_URL: `http://127.0.0.1:${uport}`,
        MEDBILL_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    url = `http://127.0.0.1:${port}`;
  }
  await waitHealthy(url, child);
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
  console.log(`issuance via HIS interface: clients=${clients} duration=${duration}s db=${url === arg('url', '') ? '(external)' : db.replace(/\/\/[^@]*@/, '//')}`);
  console.log(`bills=${lat.length} throughput=${(lat.length / elapsed).toFixed(1)} bills/s  slowest-second=${minSec} bills`);
  console.log(`latency ms: p50=${pct(sorted, 50).toFixed(1)} p95=${pct(sorted, 95).toFixed(1)} p99=${pct(sorted, 99).toFixed(1)} max=${sorted[sorted.length - 1].toFixed(1)}`);
  console.log(`errors: ${errors.size ? [...errors].map(([k, v]) => `${k}=${v}`).join(' ') : 'none'}`);
  if (child) {
    child.kill('SIGINT');
    await new Promise((r) => child!.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (db.startsWith('mysql')) {
      const mysql = await import('mysql2/promise');
      const u = new URL(db);
      const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: u.username || 'root' });
      await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
      await conn.end();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
