/**
 * Runs the real, compiled platform for a test file in its own process, exactly as `npm start`
 * does (scripts/start.js): a real Temporal dev server (headless, free ports), the database
 * (SQLite in a temp folder, or a fresh MySQL/MariaDB database when MEDBILL_TEST_DB_URL is a
 * mysql:// URL), the simulators, the worker and the API. Tests talk to it over HTTP, and read the
 * database and Temporal with their own connections. `npm test` builds dist/ first.
 * Files on the common profile share one platform per jest worker (see sharedPlatform below).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { SqlOrm } from '../orm/sql';
import type { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { connectClient, loadTemporalSetup, REPO_ROOT } from '../temporal/setup';
import { freePort, reclaimOrphan } from '../scripts/temporal-dev';
import { openOrm } from '../orm/db';
import { sealerFromConfig } from '../orm/sealed';
import { demoMasterKeyFile } from '../common/keys';
import { DEMO } from '../orm/seed';
import { HisClient, sampleOutpatient } from '../sim/his/client';
import { DEFAULT_SQLITE_FILE } from '../config/database';

export interface Platform {
  baseUrl: string;
  dbUrl: string;
  dataDir: string;
  simUrl: string;
  temporalAddress: string;
  temporalUiUrl: string;
  namespace: string;
  cfg: Config;
  orm: SqlOrm;
  client: Client;
  hisClient: HisClient;
  his: {
    issueOutpatient(overrides?: Record<string, unknown>): Promise<{ busNo: string; billBatchCode: string; billNo: string; random: string; pictureUrl: string }>;
  };
  /** True when this is the jest worker's shared platform (stop() then only closes connections). */
  shared: boolean;
  /** The platform process's log (stdout and stderr). */
  logFile: string;
  /** The pid of the platform process now running. */
  pid(): number | undefined;
  /** Waits for the platform process of an own platform to end; its signal (e.g. 'SIGKILL') or exit code. */
  exited(): Promise<NodeJS.Signals | number | null>;
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

/** What a test file needs to reach a running platform (written to disk for a shared one). */
interface PlatformInfo {
  pid: number;
  baseUrl: string;
  dbUrl: string;
  dataDir: string;
  simPort: number;
  temporalPort: number;
  env: Record<string, string>;
}

/** Spawns the platform process and waits for /health. */
async function bootPlatform(extraEnv: Record<string, string>) {
  if (!fs.existsSync(START_JS)) throw new Error(`${START_JS} is missing: run the tests with \`npm test\`, which builds first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-test-'));
  // Every port from the OS, none derived (sim port + N): a derived port can be the port another
  // platform of a parallel test file was just given.
  const [apiPort, temporalPort, uiPort, simPort, smtpPort, printerPort, fiscalPort, wechatpayPort, alipayPort] = [
    await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  let dbUrl = `sqlite:${path.join(dataDir, DEFAULT_SQLITE_FILE)}`;
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
    // Every test file of a jest worker reaches its shared platform from 127.0.0.1: the per-address
    // limits are for one person; test/sign-in.test.ts tries them on its own platform.
    MEDBILL_LOGIN_IP_LIMIT: '10000',
    MEDBILL_H5_CODE_LIMIT_PER_ADDRESS: '10000',
    // The demo users sign in with a password alone in the tests; test/mfa.test.ts turns the second factor on.
    MEDBILL_MFA_ENFORCE: '0',
    ...extraEnv,
  };
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
  const info = (): PlatformInfo => ({ pid: child!.pid!, baseUrl, dbUrl, dataDir, simPort, temporalPort, env });
  const exited = () => {
    const c = child!;
    if (c.exitCode !== null || c.signalCode) return Promise.resolve(c.signalCode ?? c.exitCode);
    return new Promise<NodeJS.Signals | number | null>((resolve) => c.once('exit', (code, signal) => resolve(signal ?? code)));
  };
  return { info, launch, halt, exited, logFile, child: () => child };
}

/**
 * Frees what a platform leaves behind once its process is gone: a Temporal dev server orphaned by
 * a crash, the MySQL database, the data folder.
 */
async function cleanUp(info: Pick<PlatformInfo, 'dataDir' | 'dbUrl'>): Promise<void> {
  await reclaimOrphan(path.join(info.dataDir, `${loadTemporalSetup().devServer.dataFile}.pid`));
  if (isMysql()) await dropMysqlDb(info.dbUrl);
  if (process.env.MEDBILL_TEST_LOGS) console.log(fs.readFileSync(path.join(info.dataDir, 'platform.log'), 'utf8'));
  fs.rmSync(info.dataDir, { recursive: true, force: true });
  // the demo master key the platform made for this data folder (common/keys.ts), outside it
  fs.rmSync(demoMasterKeyFile(loadConfig({ ...process.env, MEDBILL_DATA_DIR: info.dataDir })), { force: true });
}

/**
 * Shared platforms: test/global-setup.ts sets MEDBILL_SHARED_DIR; each jest worker then boots one
 * platform on the common profile (the default env) the first time a file asks for it, records it
 * there, and every later file of that worker connects to it. A worker runs its files one after the
 * other, so two files never use a shared platform at once; each keeps to its own business keys
 * and leaves the platform's master data and stock as it found them. test/global-teardown.ts stops
 * them.
 */
const sharedFile = () => path.join(process.env.MEDBILL_SHARED_DIR!, `worker-${process.env.JEST_WORKER_ID ?? '1'}.json`);

async function sharedPlatform(): Promise<PlatformInfo> {
  const file = sharedFile();
  if (fs.existsSync(file)) {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as PlatformInfo;
    const r = await fetch(`${info.baseUrl}/health`).catch((e: unknown) => e as Error);
    if (!(r instanceof Response) || !r.ok) throw new Error(`the shared platform of jest worker ${process.env.JEST_WORKER_ID} (${info.baseUrl}) is not healthy: ${r instanceof Response ? r.status : r}; log: ${info.dataDir}/platform.log`);
    return info;
  }
  const booted = await bootPlatform({});
  // The worker does not wait for its platform to exit: global-teardown stops it by pid.
  booted.child()!.unref();
  const info = booted.info();
  fs.writeFileSync(file, JSON.stringify(info));
  return info;
}

/** Stops the shared platforms recorded in dir (global-teardown). */
export async function stopSharedPlatforms(dir: string): Promise<number> {
  let stopped = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!/^worker-.*\.json$/.test(name)) continue;
    const info = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as PlatformInfo;
    const alive = () => {
      try {
        process.kill(info.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) {
      process.kill(info.pid, 'SIGINT');
      const deadline = Date.now() + 60_000;
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive()) process.kill(info.pid, 'SIGKILL');
    }
    await cleanUp(info);
    stopped++;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return stopped;
}

export interface StartOptions {
  /**
   * A platform of the file's own even with the common profile: for files that kill or restart it
   * (crash drills) or whose assertions cover all the data of the platform (e.g. a day's totals).
   */
  own?: boolean;
}

/**
 * The platform for a test file. With no extraEnv (the common profile) and not `own`, the shared
 * platform of the jest worker when the run has them (npm test), booted on first use; otherwise a
 * platform of the file's own. stop() stops an own platform, and only closes the file's
 * connections to a shared one.
 */
export async function startPlatform(extraEnv: Record<string, string> = {}, opts: StartOptions = {}): Promise<Platform> {
  const shared = !opts.own && Object.keys(extraEnv).length === 0 && !!process.env.MEDBILL_SHARED_DIR;
  let info: PlatformInfo;
  let own: Awaited<ReturnType<typeof bootPlatform>> | undefined;
  if (shared) {
    info = await sharedPlatform();
  } else {
    own = await bootPlatform(extraEnv);
    info = own.info();
  }
  const { baseUrl, dbUrl, dataDir, simPort, temporalPort, env } = info;
  const cfg = loadConfig({ ...process.env, ...env });
  const orm = await openOrm(dbUrl, { migrate: false, pool: 5, sealer: sealerFromConfig(cfg) });
  const namespace = loadTemporalSetup().namespace.name;
  const { connection, client } = await connectClient(`127.0.0.1:${temporalPort}`, namespace);
  const hisClient = new HisClient(baseUrl, DEMO.appid, DEMO.appKey);
  const ownOnly = (what: string) => () => {
    throw new Error(`${what} on a shared platform: pass { own: true } to startPlatform`);
  };

  return {
    baseUrl,
    dbUrl,
    dataDir,
    simUrl: `http://127.0.0.1:${simPort}`,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    temporalUiUrl: cfg.temporal.uiUrl,
    namespace,
    cfg,
    orm,
    client,
    hisClient,
    shared,
    logFile: path.join(dataDir, 'platform.log'),
    his: {
      async issueOutpatient(overrides = {}) {
        const business = sampleOutpatient(overrides);
        const r = await hisClient.callWithRetry('invoiceEBillOutpatient', business);
        if (r.result !== 'S0000') throw new Error(`issue failed: ${r.result} ${JSON.stringify(r.message)}`);
        return { busNo: business.busNo as string, ...r.message };
      },
    },
    kill: own ? () => own.halt('SIGKILL') : ownOnly('kill()'),
    restart: own ? own.launch : ownOnly('restart()'),
    pid: () => (own ? own.child()?.pid : info.pid),
    exited: own ? own.exited : ownOnly('exited()'),
    async stop() {
      if (own) await own.halt('SIGINT');
      await (connection as Connection).close();
      await orm.close(true);
      if (own) await cleanUp(info);
    },
  };
}

/**
 * Signs in to the console as a browser does and returns the `cookie` header value that carries
 * the session (`medbill_session=...`); throws with the answer when the sign-in is refused.
 */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`sign-in of ${username} refused: ${r.status} ${await r.text()}`);
  const cookie = sessionCookieOf(r);
  if (!cookie) throw new Error(`sign-in of ${username}: no session cookie in the answer`);
  return cookie;
}

/** One JSON call of the platform's API, with a console session cookie or none: the status, the JSON body ({} when none) and a new session cookie if one was set. */
export type ApiAnswer = { status: number; body: any; cookie?: string };
export async function apiCall(baseUrl: string, cookie: string | undefined, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const r = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => ({})), cookie: sessionCookieOf(r) };
}

/** The `medbill_session=...` pair of an answer's Set-Cookie, if any. */
export function sessionCookieOf(r: Response): string | undefined {
  for (const c of r.headers.getSetCookie()) {
    const pair = c.split(';')[0];
    if (pair.startsWith('medbill_session=') && pair.length > 'medbill_session='.length) return pair;
  }
  return undefined;
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
