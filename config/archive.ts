/**
 * The e-bill archive (`cfg.archive`, 票据档案): when a bill becomes an archival package, how long a
 * package is kept, how often the 四性 checks run over the whole archive and where the packages lie.
 */
import { duration, int, positive } from './parse';

/** 会计档案管理办法: accounting vouchers are kept 30 years; less than 10 is refused. */
export const DEFAULT_ARCHIVE_RETENTION_YEARS = 30;
export const MIN_ARCHIVE_RETENTION_YEARS = 10;
export const DEFAULT_ARCHIVE_AFTER_DAYS = 365;
export const DEFAULT_ARCHIVE_CHECK_EVERY_MS = 24 * 3_600_000;
export const DEFAULT_ARCHIVE_BATCH = 200;

export type ArchiveStoreUrl = { kind: 'local'; dir?: string } | { kind: 's3'; url: string; bucket: string; prefix: string };

export interface ArchiveConfig {
  /**
   * MEDBILL_ARCHIVE_AFTER_DAYS: a bill is archived once the fiscal platform reports it accounted
   * (入账), or at the latest this many days after its issue (0: as soon as its layout file exists).
   */
  afterDays: number;
  /** MEDBILL_ARCHIVE_RETENTION_YEARS: years a package is kept before it may be destroyed (at least 10, default 30). */
  retentionYears: number;
  /** MEDBILL_ARCHIVE_CHECK_EVERY: how often the `archive-check` schedule archives due bills and re-runs the 四性 checks. */
  checkEveryMs: number;
  /** MEDBILL_ARCHIVE_BATCH: bills archived (and packages checked) per activity. */
  batch: number;
  /**
   * MEDBILL_ARCHIVE_STORE: where packages are written. Empty: `archive/` under the data folder;
   * `file:///abs/dir`: a local folder; `s3://bucket/prefix?endpoint=...&region=...`: an S3-compatible store.
   */
  store: ArchiveStoreUrl;
}

export function parseArchiveStore(v: string | undefined): ArchiveStoreUrl {
  if (v === undefined || v.trim() === '') return { kind: 'local' };
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    throw new Error(`MEDBILL_ARCHIVE_STORE must be a file:// or s3:// URL, got "${v}"`);
  }
  if (u.protocol === 'file:') {
    if (!u.pathname || u.pathname === '/') throw new Error(`MEDBILL_ARCHIVE_STORE: a file:// URL names a folder, got "${v}"`);
    return { kind: 'local', dir: decodeURIComponent(u.pathname) };
  }
  if (u.protocol === 's3:') {
    if (!u.hostname) throw new Error(`MEDBILL_ARCHIVE_STORE: an s3:// URL names its bucket (s3://bucket/prefix), got "${v}"`);
    return { kind: 's3', url: v.trim(), bucket: u.hostname, prefix: u.pathname.replace(/^\/+|\/+$/g, '') };
  }
  throw new Error(`MEDBILL_ARCHIVE_STORE must be a file:// or s3:// URL, got "${v}"`);
}

export function loadArchiveConfig(env: NodeJS.ProcessEnv): ArchiveConfig {
  const retentionYears = int('MEDBILL_ARCHIVE_RETENTION_YEARS', env.MEDBILL_ARCHIVE_RETENTION_YEARS, DEFAULT_ARCHIVE_RETENTION_YEARS);
  if (retentionYears < MIN_ARCHIVE_RETENTION_YEARS || retentionYears > 100) {
    throw new Error(`MEDBILL_ARCHIVE_RETENTION_YEARS must be from ${MIN_ARCHIVE_RETENTION_YEARS} to 100, got "${env.MEDBILL_ARCHIVE_RETENTION_YEARS}"`);
  }
  const afterDays = int('MEDBILL_ARCHIVE_AFTER_DAYS', env.MEDBILL_ARCHIVE_AFTER_DAYS, DEFAULT_ARCHIVE_AFTER_DAYS);
  if (afterDays > 36_500) throw new Error(`MEDBILL_ARCHIVE_AFTER_DAYS must be at most 36500, got "${env.MEDBILL_ARCHIVE_AFTER_DAYS}"`);
  const batch = positive('MEDBILL_ARCHIVE_BATCH', env.MEDBILL_ARCHIVE_BATCH, DEFAULT_ARCHIVE_BATCH);
  if (!Number.isInteger(batch) || batch > 5000) throw new Error(`MEDBILL_ARCHIVE_BATCH must be an integer from 1 to 5000, got "${env.MEDBILL_ARCHIVE_BATCH}"`);
  return {
    afterDays,
    retentionYears,
    checkEveryMs: duration('MEDBILL_ARCHIVE_CHECK_EVERY', env.MEDBILL_ARCHIVE_CHECK_EVERY, DEFAULT_ARCHIVE_CHECK_EVERY_MS),
    batch,
    store: parseArchiveStore(env.MEDBILL_ARCHIVE_STORE),
  };
}
