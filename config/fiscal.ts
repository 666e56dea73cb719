/**
 * The fiscal e-bill platform (`cfg.fiscal`, 财政电子票据平台): credentials, and how often bills are
 * uploaded and basic data and accounting status fetched. Imports only ./parse (bundle-safe: the
 * fiscal workflows take their fallbacks from here).
 */
import { baseUrl, duration, int } from './parse';

/** Empty: the fiscal simulator (cfg.sim.fiscal.port). */
export const DEFAULT_FISCAL_URL = '';
export const DEFAULT_FISCAL_APPID = 'MEDBILL_DEMO_FISCAL';
export const DEFAULT_FISCAL_SECRET = 'medbill-demo-fiscal-secret-2026';
export const DEFAULT_FISCAL_TIMEOUT_MS = 15000;
export const DEFAULT_BASIC_SYNC_EVERY_MS = 3_600_000;
export const DEFAULT_UPLOAD_EVERY_MS = 60_000;
export const DEFAULT_UPLOAD_BATCH = 100;
export const MAX_UPLOAD_BATCH = 1000;
export const DEFAULT_UPLOAD_RETRY_MAX_MS = 5 * 60_000;
export const DEFAULT_ACCOUNT_EVERY_MS = 10 * 60_000;

export interface FiscalConfig {
  /** MEDBILL_FISCAL_URL: the fiscal e-bill platform's gateway; empty (default) = the fiscal simulator. */
  url: string;
  /** MEDBILL_FISCAL_APPID / MEDBILL_FISCAL_SECRET: the hospital's credentials at the fiscal platform (HMAC-SM3 request signatures). */
  appId: string;
  secret: string;
  /** MEDBILL_FISCAL_TIMEOUT_MS: how long one fiscal request may take before it counts as an outage. */
  timeoutMs: number;
  /** MEDBILL_BASIC_SYNC_EVERY: how often bill kinds and fiscal charge items are fetched from the fiscal platform (e.g. 1h). */
  basicSyncEveryMs: number;
  /** MEDBILL_UPLOAD_EVERY: how often the fiscal batch upload runs (Temporal Schedule `fiscal-upload`). */
  uploadEveryMs: number;
  /** MEDBILL_UPLOAD_BATCH: bills per upload batch (1-1000; also the accounting-status batch). */
  uploadBatch: number;
  /** MEDBILL_UPLOAD_RETRY_MAX: the longest wait between two tries of a batch while the fiscal platform is unavailable. */
  uploadRetryMaxMs: number;
  /** MEDBILL_ACCOUNT_EVERY: how often the accounting status (入账) of uploaded bills is fetched (Schedule `fiscal-account-status`). */
  accountEveryMs: number;
}

export function loadFiscalConfig(env: NodeJS.ProcessEnv): FiscalConfig {
  return {
    url: baseUrl(env.MEDBILL_FISCAL_URL || DEFAULT_FISCAL_URL),
    appId: env.MEDBILL_FISCAL_APPID || DEFAULT_FISCAL_APPID,
    secret: env.MEDBILL_FISCAL_SECRET || DEFAULT_FISCAL_SECRET,
    timeoutMs: int('MEDBILL_FISCAL_TIMEOUT_MS', env.MEDBILL_FISCAL_TIMEOUT_MS, DEFAULT_FISCAL_TIMEOUT_MS),
    basicSyncEveryMs: duration('MEDBILL_BASIC_SYNC_EVERY', env.MEDBILL_BASIC_SYNC_EVERY, DEFAULT_BASIC_SYNC_EVERY_MS),
    uploadEveryMs: duration('MEDBILL_UPLOAD_EVERY', env.MEDBILL_UPLOAD_EVERY, DEFAULT_UPLOAD_EVERY_MS),
    uploadBatch: Math.max(1, Math.min(MAX_UPLOAD_BATCH, int('MEDBILL_UPLOAD_BATCH', env.MEDBILL_UPLOAD_BATCH, DEFAULT_UPLOAD_BATCH) || DEFAULT_UPLOAD_BATCH)),
    uploadRetryMaxMs: duration('MEDBILL_UPLOAD_RETRY_MAX', env.MEDBILL_UPLOAD_RETRY_MAX, DEFAULT_UPLOAD_RETRY_MAX_MS),
    accountEveryMs: duration('MEDBILL_ACCOUNT_EVERY', env.MEDBILL_ACCOUNT_EVERY, DEFAULT_ACCOUNT_EVERY_MS),
  };
}
