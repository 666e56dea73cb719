/** The operation log (`cfg.audit`, 操作日志): how long rows stay in the table, how often the chain is verified. */
import { bool, duration, int } from './parse';

/** The least retention the rules allow (等保: at least 180 days online). */
export const MIN_OPLOG_RETENTION_DAYS = 180;
export const DEFAULT_OPLOG_RETENTION_DAYS = 180;
export const DEFAULT_OPLOG_CHECK_EVERY_MS = 24 * 3_600_000;

export interface AuditConfig {
  /** MEDBILL_OPLOG_RETENTION_DAYS: days a row stays in the table before it is archived to a file (at least 180). */
  retentionDays: number;
  /** MEDBILL_OPLOG_CHECK_EVERY: how often the `operation-log-check` schedule verifies the chain and archives. */
  checkEveryMs: number;
  /**
   * MEDBILL_EXCHANGE_LOG: keep the exchange log (交互日志, on by default). `0` only to measure what the
   * log costs in the issuance benchmark: a production start refuses it.
   */
  exchangeLog: boolean;
}

export function loadAuditConfig(env: NodeJS.ProcessEnv): AuditConfig {
  const retentionDays = int('MEDBILL_OPLOG_RETENTION_DAYS', env.MEDBILL_OPLOG_RETENTION_DAYS, DEFAULT_OPLOG_RETENTION_DAYS);
  if (retentionDays < MIN_OPLOG_RETENTION_DAYS) throw new Error(`MEDBILL_OPLOG_RETENTION_DAYS must be at least ${MIN_OPLOG_RETENTION_DAYS}, got "${env.MEDBILL_OPLOG_RETENTION_DAYS}"`);
  return {
    retentionDays,
    checkEveryMs: duration('MEDBILL_OPLOG_CHECK_EVERY', env.MEDBILL_OPLOG_CHECK_EVERY, DEFAULT_OPLOG_CHECK_EVERY_MS),
    exchangeLog: bool(env.MEDBILL_EXCHANGE_LOG, true),
  };
}
