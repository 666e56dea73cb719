/**
 * The one typed configuration module. Every setting has a default, a one-line doc and an
 * environment variable with the MEDBILL_ prefix; nothing else in the code reads process.env.
 * One group per business area, one file per group (each names its defaults as constants);
 * simulator settings live apart in config/simulators.ts (`cfg.sim`).
 */
import { loadArchiveConfig, type ArchiveConfig } from './archive';
import { loadAuditConfig, type AuditConfig } from './audit';
import { loadBillsConfig, type BillsConfig } from './bills';
import { loadDatabaseConfig, type DatabaseConfig } from './database';
import { loadFiscalConfig, type FiscalConfig } from './fiscal';
import { loadHisConfig, type HisConfig } from './his';
import { loadKeysConfig, type KeysConfig } from './keys';
import { loadLayoutConfig, type LayoutConfig } from './layout';
import { loadNotifyConfig, type NotifyConfig } from './notify';
import { loadOidcConfig, type OidcConfig } from './oidc';
import { loadPaymentConfig, type PaymentConfig } from './payment';
import { loadServerConfig, type ServerConfig } from './server';
import { loadSessionsConfig, type SessionsConfig } from './sessions';
import { loadSigningConfig, type SigningConfig } from './signing';
import { loadSimulatorConfig, type SimulatorConfig } from './simulators';
import { loadStockConfig, type StockConfig } from './stock';
import { loadTemporalConfig, type TemporalConfig } from './temporal';

export type { ArchiveConfig, AuditConfig, BillsConfig, DatabaseConfig, FiscalConfig, HisConfig, KeysConfig, LayoutConfig, NotifyConfig, OidcConfig, PaymentConfig, ServerConfig, SessionsConfig, SigningConfig, SimulatorConfig, StockConfig, TemporalConfig };

export interface Config {
  server: ServerConfig;
  database: DatabaseConfig;
  /** Console sign-in, sessions, password policy and the H5 check-code limit (MEDBILL_SESSION_*, MEDBILL_LOGIN_*, MEDBILL_PASSWORD_*, MEDBILL_H5_CODE_*). */
  sessions: SessionsConfig;
  /** Single sign-on with the hospital's identity platform (MEDBILL_OIDC_*; empty issuer = off). */
  oidc: OidcConfig;
  /** Keys of patient data sealed at rest (MEDBILL_MASTER_KEY_FILE, MEDBILL_DATA_KEY_ID...). */
  keys: KeysConfig;
  /** The operation log's retention and daily verification (MEDBILL_OPLOG_*). */
  audit: AuditConfig;
  /** The e-bill archive: when bills are archived, retention, the 四性 checks' schedule, the store (MEDBILL_ARCHIVE_*). */
  archive: ArchiveConfig;
  temporal: TemporalConfig;
  bills: BillsConfig;
  /** The HIS interface's input rules and replay guard (MEDBILL_HIS_*). */
  his: HisConfig;
  fiscal: FiscalConfig;
  stock: StockConfig;
  payment: PaymentConfig;
  notify: NotifyConfig;
  signing: SigningConfig;
  layout: LayoutConfig;
  /** The outside-system simulators (development, demo, tests); never read by production code paths. */
  sim: SimulatorConfig;
}

/** Reads every group from `env`; a refused value throws an Error naming its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const server = loadServerConfig(env);
  const sim = loadSimulatorConfig(env);
  return {
    server,
    database: loadDatabaseConfig(env, server),
    sessions: loadSessionsConfig(env),
    oidc: loadOidcConfig(env, server),
    keys: loadKeysConfig(env),
    audit: loadAuditConfig(env),
    archive: loadArchiveConfig(env),
    temporal: loadTemporalConfig(env),
    bills: loadBillsConfig(env),
    his: loadHisConfig(env),
    fiscal: loadFiscalConfig(env),
    stock: loadStockConfig(env),
    payment: loadPaymentConfig(env, server),
    notify: loadNotifyConfig(env, sim),
    signing: loadSigningConfig(env),
    layout: loadLayoutConfig(env),
    sim,
  };
}

let current: Config | undefined;
/** The process-wide configuration, read once from the environment. */
export function config(): Config {
  return (current ??= loadConfig());
}
/** Tests and launchers replace the configuration before anything else reads it. */
export function setConfig(c: Config): void {
  current = c;
}
