/**
 * Runs the identity platform simulator (sim/oidc/server.ts) on its own, for the demo and the tests:
 *
 *   node dist/scripts/oidc-sim.js --port 8096 --platform http://127.0.0.1:8080
 *
 * registers the platform's client with `{platform}/api/auth/oidc/callback` as redirect URI and
 * `{platform}/console/login` as post-logout URI, and prints `oidc-sim listening <issuer>` once up.
 * Start the platform with MEDBILL_OIDC_ISSUER=<issuer>, MEDBILL_OIDC_CLIENT_ID=medbill and
 * MEDBILL_OIDC_CLIENT_SECRET=medbill-demo-oidc-secret-2026.
 */
import { OIDC_CALLBACK_PATH, OIDC_POST_LOGOUT_PATH } from '../config/oidc';
import { startOidcSim } from '../sim/oidc/server';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const platform = arg('platform', 'http://127.0.0.1:8080').replace(/\/$/, '');
  const sim = await startOidcSim({
    port: Number(arg('port', '8096')),
    redirectUris: [`${platform}${OIDC_CALLBACK_PATH}`],
    postLogoutRedirectUris: [`${platform}${OIDC_POST_LOGOUT_PATH}`],
  });
  console.log(`oidc-sim listening ${sim.issuer}`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
