/**
 * Finds or builds the Temporal CLI (dev server + Web UI) and runs it with the setup of
 * temporal.yaml, persisted to a file so that a restart loses no workflow.
 * Order: MEDBILL_TEMPORAL_CLI, `temporal` on PATH, the cache (<cacheDir>/temporal-<version>/temporal),
 * then `go install github.com/temporalio/cli/cmd/temporal@<version>` into the cache.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TemporalSetup } from '../temporal/setup';

export function findTemporalCli(setup: TemporalSetup, opts: { cli?: string; cacheDir: string; log?: (m: string) => void }): string {
  const log = opts.log ?? (() => undefined);
  if (opts.cli) {
    if (!fs.existsSync(opts.cli)) throw new Error(`MEDBILL_TEMPORAL_CLI points to ${opts.cli}, which does not exist`);
    return opts.cli;
  }
  const version = setup.devServer.version;
  const cached = path.join(opts.cacheDir, `temporal-${version}`, 'temporal');
  if (fs.existsSync(cached)) return cached;
  const onPath = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) {
    const v = spawnSync(onPath, ['--version'], { encoding: 'utf8' }).stdout;
    if (/Server/.test(v)) return onPath;
  }
  const go = spawnSync('sh', ['-c', 'command -v go || ls /usr/local/go/bin/go 2>/dev/null'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  if (!go) {
    throw new Error(
      'No Temporal CLI found and no Go toolchain to build it. Install Go, or the temporal CLI on PATH, or set MEDBILL_TEMPORAL_CLI, ' +
        'or point MEDBILL_TEMPORAL_ADDRESS at a running server with MEDBILL_EMBEDDED_TEMPORAL=0.',
    );
  }
  const dir = path.dirname(cached);
  fs.mkdirSync(dir, { recursive: true });
  log(`building the Temporal CLI ${version} with go install (once; cached in ${dir}) ...`);
  // Built into a private folder and renamed into place: a second process building at the same
  // time, or one killed mid-build, never leaves a half-written binary at the cached path.
  const tmp = fs.mkdtempSync(path.join(dir, 'build-'));
  try {
    const r = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${version}`], {
      env: { ...process.env, GOBIN: tmp, CGO_ENABLED: '0' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const built = path.join(tmp, 'temporal');
    if (r.status !== 0 || !fs.existsSync(built)) throw new Error(`go install of the Temporal CLI ${version} failed (exit ${r.status})`);
    fs.renameSync(built, cached);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return cached;
}

export async function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * A free port on 127.0.0.1, held back from other `bind(:0)` callers for a while: the port is left
 * in TIME_WAIT (we connect to it and close the accepted side first), so the kernel does not hand it
 * to the next ephemeral bind — such as the Temporal dev server's internal services, which pick their
 * own random ports while our platform starts — yet we can still bind it explicitly (Node sets
 * SO_REUSEADDR). The same technique as the Temporal CLI's own GetFreePort.
 */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const accepted = new Promise<net.Socket>((resolve) => srv.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const server = await accepted;
    // The side that closes first holds TIME_WAIT: the server's, so the port stays reserved.
    await new Promise<void>((resolve) => {
      server.once('close', () => resolve());
      server.destroy();
    });
    client.destroy();
  } catch {
    // Without the reservation the port is still free; it is only less protected.
  }
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(
  cli: string,
  setup: TemporalSetup,
  opts: { dbFile?: string; port?: number; uiPort?: number; headless?: boolean; namespace?: string; logFile?: string },
): Promise<DevServer> {
  const port = opts.port ?? setup.devServer.port;
  const uiPort = opts.uiPort ?? setup.devServer.uiPort;
  const pidFile = opts.dbFile ? `${opts.dbFile}.pid` : undefined;
  if (pidFile) await reclaimOrphan(pidFile);
  if (await portOpen(port)) throw new Error(`port ${port} is already in use: another Temporal server? Stop it or set MEDBILL_TEMPORAL_ADDRESS with MEDBILL_EMBEDDED_TEMPORAL=0`);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', opts.namespace ?? setup.namespace.name, '--log-level', 'warn'];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    for (const [k, v] of Object.entries(setup.devServer.sqlitePragmas ?? {})) args.push('--sqlite-pragma', `${k}=${v}`);
  }
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  for (const [k, v] of Object.entries(setup.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: false });
  let exited = false;
  child.once('exit', () => {
    exited = true;
    if (pidFile) fs.rmSync(pidFile, { force: true });
  });
  if (pidFile && child.pid) fs.writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 60_000;
  while (!(await portOpen(port))) {
    if (exited) throw new Error(`the Temporal dev server exited at start (exit ${child.exitCode})${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the Temporal dev server did not open its port within 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => !exited && child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/**
 * A launcher killed without warning (kill -9, power cut of the Node process) leaves its dev server
 * running on the same data file. The next start stops that orphan first, so Temporal's file is
 * reopened cleanly and nothing is lost.
 */
export async function reclaimOrphan(pidFile: string): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* not running (or no /proc): nothing to reclaim */
  }
  if (pid > 0 && cmd.includes('temporal') && cmd.includes('start-dev')) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (fs.existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (fs.existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
    while (fs.existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(pidFile, { force: true });
}
