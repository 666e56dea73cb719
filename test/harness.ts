/**
 * Boots the real platform for a test file: a real Temporal dev server (headless, on a free port),
 * the database (SQLite in a temp folder, or a fresh MySQL/MariaDB database when
 * MEDBILL_TEST_DB_URL is a mysql:// URL), the simulators, the worker and the API.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, setConfig } from '../common/config';
import { startPlatform as boot, type Platform as Booted } from '../scripts/platform';
import { freePort } from '../scripts/temporal-dev';
import { DEMO } from '../orm/seed';
import { HisClient, sampleOutpatient } from '../sim/his/client';

export interface Platform extends Booted {
  baseUrl: string;
  dbUrl: string;
  dataDir: string;
  hisClient: HisClient;
  his: {
    issueOutpatient(overrides?: Record<string, unknown>): Promise<{ busNo: string; billBatchCode: string; billNo: string; random: string; pictureUrl: string }>;
  };
}

export const isMysql = () => /^mysql:|^mariadb:/.test(process.env.MEDBILL_TEST_DB_URL ?? '');

async function dropMysqlDb(url: string): Promise<void> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password || '') });
  await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
  await conn.end();
}

export async function startPlatform(env: Record<string, string> = {}): Promise<Platform> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-test-'));
  const [apiPort, temporalPort, simPort] = [await freePort(), await freePort(), await freePort()];
  let dbUrl = `sqlite:${path.join(dataDir, 'medbill.sqlite')}`;
  if (isMysql()) {
    const u = new URL(process.env.MEDBILL_TEST_DB_URL!.replace(/^mariadb:/, 'mysql:'));
    u.pathname = `/medbill_t_${randomBytes(4).toString('hex')}`;
    dbUrl = u.toString();
  }
  const cfg = loadConfig({
    ...process.env,
    MEDBILL_DATA_DIR: dataDir,
    MEDBILL_DB_URL: dbUrl,
    MEDBILL_PORT: String(apiPort),
    MEDBILL_SIM_PORT: String(simPort),
    MEDBILL_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    MEDBILL_LOG_LEVEL: 'warn',
    MEDBILL_SIGN_THREADS: '2',
    ...env,
  });
  setConfig(cfg);
  const logs: string[] = [];
  const p = await boot(cfg, { headless: true, log: (m) => logs.push(m) });
  const hisClient = new HisClient(p.apiUrl, DEMO.appid, DEMO.appKey);
  return {
    ...p,
    baseUrl: p.apiUrl,
    dbUrl,
    dataDir,
    hisClient,
    his: {
      async issueOutpatient(overrides = {}) {
        const business = sampleOutpatient(overrides);
        const r = await hisClient.call('invoiceEBillOutpatient', business);
        if (r.result !== 'S0000') throw new Error(`issue failed: ${r.result} ${JSON.stringify(r.message)}`);
        return { busNo: business.busNo as string, ...r.message };
      },
    },
    async stop() {
      await p.stop();
      if (isMysql()) await dropMysqlDb(dbUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (logs.length && process.env.MEDBILL_TEST_LOGS) console.log(logs.join('\n'));
    },
  };
}

/** Polls until fn returns a truthy value (no timing assertions: only a bound on waiting). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
