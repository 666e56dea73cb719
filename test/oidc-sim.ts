/**
 * The identity platform simulator (sim/oidc/server.ts) for a test file, as a child process from
 * dist/ (oidc-provider is ESM-only: jest's module system does not load it), registered for the
 * platform at `platformUrl`.
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../temporal/setup';

export interface OidcSimProcess {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcSimProcess(port: number, platformUrl: string): Promise<OidcSimProcess> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'scripts', 'oidc-sim.js'), '--port', String(port), '--platform', platformUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('oidc-sim listening')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`oidc-sim exited (${code}): ${out}`)));
  });
  return {
    issuer: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The platform's settings for the simulator on `port`. */
export const oidcEnv = (port: number): Record<string, string> => ({
  MEDBILL_OIDC_ISSUER: `http://127.0.0.1:${port}`,
  MEDBILL_OIDC_CLIENT_ID: 'medbill',
  MEDBILL_OIDC_CLIENT_SECRET: 'medbill-demo-oidc-secret-2026',
});
