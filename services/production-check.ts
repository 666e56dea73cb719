/**
 * The production-start check (MEDBILL_PRODUCTION=1; issue 13 points 3 and 8): a production start
 * refuses to run while anything of the demo is in force, and names every reason at once.
 * - configProblems: the settings alone (demo seed, simulators, the embedded dev server, demo or
 *   missing secrets and keys, the master key's place), checked before anything starts;
 * - dataProblems: the database (the demo HIS application and its public key, console users whose
 *   password is still the demo one), checked once it is open and migrated.
 */
import { DEFAULT_FISCAL_APPID, DEFAULT_FISCAL_SECRET } from '../config/fiscal';
import { DEFAULT_WECHAT_SECRET } from '../config/notify';
import { DEFAULT_WECHATPAY_APIV3_KEY } from '../config/payment';
import { SIM_OIDC_CLIENT_SECRET } from '../config/simulators';
import type { Config } from '../config';
import { masterKeyLocationProblem, unseal } from '../common/keys';
import { verifyPassword } from '../common/password';
import { DEMO } from '../orm/seed';
import { HisApp, User } from '../orm/entities';
import type { SqlEm } from '../orm/sql';

export function configProblems(cfg: Config): string[] {
  const p: string[] = [];
  const key = masterKeyLocationProblem(cfg);
  if (key) p.push(key);
  if (!cfg.sessions.mfaEnforce) p.push('MEDBILL_MFA_ENFORCE is 0: administrators and finance could sign in with a password alone; set MEDBILL_MFA_ENFORCE=1');
  if (!cfg.audit.exchangeLog) p.push('MEDBILL_EXCHANGE_LOG is 0: exchanges with outside systems would leave no record (交互日志); remove the setting');
  if (cfg.server.seedDemo) p.push('MEDBILL_DEMO is on: the demo hospital and its users would be seeded; set MEDBILL_DEMO=0');
  if (cfg.sim.port > 0) p.push('MEDBILL_SIM_PORT is set: the simulators of the outside systems would run; set MEDBILL_SIM_PORT=0 and the real systems\' URLs');
  if (cfg.temporal.embedded) p.push('MEDBILL_EMBEDDED_TEMPORAL is on: the Temporal dev server is not for production; set MEDBILL_EMBEDDED_TEMPORAL=0 and MEDBILL_TEMPORAL_ADDRESS');
  if (cfg.oidc.issuer && !cfg.oidc.issuer.startsWith('https://')) p.push('MEDBILL_OIDC_ISSUER is not an https:// URL (the identity platform simulator?); set the hospital identity platform\'s issuer');
  if (cfg.oidc.issuer && (!cfg.oidc.clientSecret || cfg.oidc.clientSecret === SIM_OIDC_CLIENT_SECRET)) p.push('MEDBILL_OIDC_CLIENT_SECRET is empty or the demo secret');
  if (!cfg.fiscal.url) p.push('MEDBILL_FISCAL_URL is empty (the fiscal simulator)');
  if (cfg.fiscal.appId === DEFAULT_FISCAL_APPID) p.push('MEDBILL_FISCAL_APPID is the demo app id');
  if (cfg.fiscal.secret === DEFAULT_FISCAL_SECRET) p.push('MEDBILL_FISCAL_SECRET is the demo secret');
  if (cfg.notify.wechat.secret === DEFAULT_WECHAT_SECRET) p.push('MEDBILL_WECHAT_SECRET is the demo secret');
  const pay = cfg.payment;
  if (!pay.wechatpay.url) p.push('MEDBILL_WECHATPAY_URL is empty (the WeChat Pay simulator)');
  if (pay.wechatpay.apiV3Key === DEFAULT_WECHATPAY_APIV3_KEY) p.push('MEDBILL_WECHATPAY_APIV3_KEY is the demo key');
  if (!pay.wechatpay.privateKey) p.push('MEDBILL_WECHATPAY_PRIVATE_KEY is empty (a demo key)');
  if (!pay.wechatpay.platformPublicKey) p.push('MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY is empty (the simulator\'s key)');
  if (!pay.alipay.url) p.push('MEDBILL_ALIPAY_URL is empty (the Alipay simulator)');
  if (!pay.alipay.privateKey) p.push('MEDBILL_ALIPAY_PRIVATE_KEY is empty (a demo key)');
  if (!pay.alipay.publicKey) p.push('MEDBILL_ALIPAY_PUBLIC_KEY is empty (the simulator\'s key)');
  return p;
}

export async function dataProblems(em: SqlEm, masterKey: string): Promise<string[]> {
  const p: string[] = [];
  for (const app of await em.find(HisApp, { active: true })) {
    let demoKey = app.appid === DEMO.appid;
    try {
      demoKey ||= unseal(app.keyEnc, masterKey) === DEMO.appKey;
    } catch {
      /* a key the master key does not open is not the demo key */
    }
    if (demoKey) p.push(`HIS application ${app.appid} uses the demo app id or key: deactivate it or give it a new key`);
  }
  // The demo user names, each against every demo password (a demo name with another demo password counts too).
  const demoPasswords = [...new Set(DEMO.users.map((d) => d.password))];
  for (const u of await em.find(User, { active: true, username: { $in: DEMO.users.map((d) => d.username) } })) {
    for (const pw of demoPasswords) {
      if (await verifyPassword(pw, u.passwordHash)) {
        p.push(`console user ${u.username} still has a demo password: reset it (npm run users -- reset ${u.username}) or deactivate the user`);
        break;
      }
    }
  }
  return p;
}

/** Throws one Error listing every problem, if any. */
export function refuseProduction(problems: string[]): void {
  if (problems.length) throw new Error(`MEDBILL_PRODUCTION=1 refuses to start:\n${problems.map((x) => `  - ${x}`).join('\n')}`);
}
