/**
 * Runs the real, compiled platform for a test file in its own process, exactly as `npm start`
 * does (scripts/start.js): a real Temporal dev server (headless, free ports), the database
 * (SQLite in a temp folder, or a fresh MySQL/MariaDB database when MEDBILL_TEST_DB_URL is a
 * mysql:// URL), the simulators, the worker and the API. Tests talk to it over HTTP, and read the
 * database and Temporal with their own connections. `npm test` builds dist/ first.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { connectClient, loadTemporalSetup, REPO_ROOT } from '../temporal/setup';
import { freePort, reclaimOrphan } from '../scripts/temporal-dev';
import { openOrm } from '../orm/db';
import { DEMO } from '../orm/seed';
import { HisClient, sampleOutpatient } from '../sim/his/client';

export interface Platform {
  baseUrl: string;
  dbUrl: string;
  dataDir: string;
  simUrl: string;
  temporalAddress: string;
  temporalUiUrl: string;
  namespace: string;
  cfg: Config;
  orm: MikroORM;
  client: Client;
  hisClient: HisClient;
  his: {
    issueOutpatient(overrides?: Record<string, unknown>): Promise<{ busNo: string; billBatchCode: string; billNo: string; random: string; pictureUrl: string }>;
  };
  /** Kills the platform process without warning (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts the platform process again on the same data, database and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const isMysql = () => /^mysql:|^mariadb:/.test(process.env.MEDBILL_TEST_DB_URL ?? '');

async function dropMysqlDb(url: string): Promise<void> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password || '') });
  await conn.query(`DROP DATABASE IF EXISTS \`${u.pathname.slice(1)}\``);
  await conn.end();
}

const START_JS = path.join(REPO_ROOT, 'dist', 'scripts', 'start.js');

export async function startPlatform(extraEnv: Record<string, string> = {}): Promise<Platform> {
  if (!fs.existsSync(START_JS)) throw new Error(`${START_JS} is missing: run the tests with \`npm test\`, which builds first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-test-'));
  // Every port from the OS, none derived (sim port + N): a derived port can be the port another
  // platform of a parallel test file was just given.
  const [apiPort, temporalPort, uiPort, simPort, smtpPort, printerPort, fiscalPort, wechatpayPort, alipayPort] = [
    await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  let dbUrl = `sqlite:${path.join(dataDir, 'medbill.sqlite')}`;
  if (isMysql()) {
    const u = new URL(process.env.MEDBILL_TEST_DB_URL!.replace(/^mariadb:/, 'mysql:'));
    u.pathname = `/medbill_t_${randomBytes(4).toString('hex')}`;
    dbUrl = u.toString();
  }
  const env: Record<string, string> = {
    MEDBILL_DATA_DIR: dataDir,
    MEDBILL_DB_URL: dbUrl,
    MEDBILL_PORT: String(apiPort),
    MEDBILL_SIM_PORT: String(simPort),
    MEDBILL_SIM_SMTP_PORT: String(smtpPort),
    MEDBILL_PRINTER_SIM_PORT: String(printerPort),
    MEDBILL_FISCAL_SIM_PORT: String(fiscalPort),
    MEDBILL_WECHATPAY_SIM_PORT: String(wechatpayPort),
    MEDBILL_ALIPAY_SIM_PORT: String(alipayPort),
    MEDBILL_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    MEDBILL_TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    MEDBILL_TEMPORAL_UI: '0',
    MEDBILL_LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const cfg = loadConfig({ ...process.env, ...env });
  const logFile = path.join(dataDir, 'platform.log');
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const out = fs.openSync(logFile, 'a');
    child = spawn(process.execPath, [START_JS], { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`platform exited (${child.exitCode}):\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
      try {
        if ((await fetch(`${baseUrl}/health`)).ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`platform not healthy within 180 s:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };

  await launch();
  const orm = await openOrm(dbUrl, { migrate: false, pool: 5 });
  const namespace = loadTemporalSetup().namespace.name;
  const { connection, client } = await connectClient(`127.0.0.1:${temporalPort}`, namespace);
  const hisClient = new HisClient(baseUrl, DEMO.appid, DEMO.appKey);

  return {
    baseUrl,
    dbUrl,
    dataDir,
    simUrl: `http://127.0.0.1:${simPort}`,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    temporalUiUrl: cfg.temporalUiUrl,
    namespace,
    cfg,
    orm,
    client,
    hisClient,
    his: {
      async issueOutpatient(overrides = {}) {
        const business = sampleOutpatient(overrides);
        const r = await hisClient.callWithRetry('invoiceEBillOutpatient', business);
        if (r.result !== 'S0000') throw new Error(`issue failed: ${r.result} ${JSON.stringify(r.message)}`);
        return { busNo: business.busNo as string, ...r.message };
      },
    },
    kill: () => halt('SIGKILL'),
    restart: launch,
    async stop() {
      await halt('SIGINT');
      // A platform that died (a crash drill) leaves its Temporal dev server behind: stop it too.
      await reclaimOrphan(path.join(dataDir, `${loadTemporalSetup().devServer.dataFile}.pid`));
      await (connection as Connection).close();
      await orm.close(true);
      if (isMysql()) await dropMysqlDb(dbUrl);
      if (process.env.MEDBILL_TEST_LOGS) console.log(fs.readFileSync(logFile, 'utf8'));
      fs.rmSync(dataDir, { recursive: true, force: true });
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

/**
 * Timeline events that background work adds at its own pace (notices, the fiscal upload and its
 * accounting status): tests that check a bill's business steps leave them out.
 */
export const BACKGROUND_EVENTS = ['notified', 'notice_failed', 'notice_resent', 'card_inserted', 'layout_printed', 'uploaded', 'upload_rejected', 'upload_requeued', 'accounted'];
