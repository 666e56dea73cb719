/**
 * What the benchmarks share: their arguments, percentiles, and a platform started in its own
 * process (Temporal dev server, worker, API, simulators) on a fresh database, stopped and dropped
 * at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../scripts/temporal-dev';
import { DEFAULT_SIM_PORT } from '../config/simulators';

export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function waitHealthy(url: string, child?: ChildProcess): Promise<void> {
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

export interface BenchPlatform {
  url: string;
  /** The simulators' base port (each simulator at its SIM_PORT_OFFSET). */
  simPort: number;
  /** The platform process (for its memory), absent for an external URL. */
  child?: ChildProcess;
  /** Peak resident memory of the platform process so far (MiB), from /proc. */
  peakRssMiB(): number | undefined;
  stop(): Promise<void>;
}

/** The platform at `--url`, or one started here on `db` (a fresh MySQL/MariaDB database by default). */
export async function benchPlatform(db: string, env: Record<string, string> = {}): Promise<BenchPlatform> {
  const external = arg('url', '');
  if (external) return { url: external, simPort: Number(arg('sim-port', String(DEFAULT_SIM_PORT))), peakRssMiB: () => undefined, stop: async () => undefined };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-'));
  const [port, tport, uport, sport] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'start.js')], {
    env: {
      ...process.env,
      MEDBILL_DATA_DIR: dataDir,
      MEDBILL_DB_URL: db,
      MEDBILL_PORT: String(port),
      MEDBILL_SIM_PORT: String(sport),
      MEDBILL_TEMPORAL_ADDRESS: `127.0.0.1:${tport}`,
      MEDBILL_TEMPORAL_UI_URL: `http://127.0.0.1:${uport}`,
      MEDBILL_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child);
  return {
    url,
    simPort: sport,
    child,
    peakRssMiB() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (db.startsWith('mysql')) {
        const mysql = await import('mysql2/promise');
        const u = new URL(db);
        const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: u.username || 'root' });
        await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
        await conn.end();
      }
    },
  };
}
