/**
 * Issuing and reversing bills (`cfg.bills`): how long the HIS waits, how a reversal reminds.
 * Imports only ./parse (bundle-safe: the reversal workflow takes its fallback from here).
 */
import { duration, int } from './parse';

export const DEFAULT_ISSUE_TIMEOUT_MS = 10000;
export const DEFAULT_PAPER_REMIND_AFTER_MS = 4 * 3_600_000;

export interface BillsConfig {
  /** MEDBILL_ISSUE_TIMEOUT_MS: how long the HIS call waits for a bill before answering "in progress" (E0050). */
  issueTimeoutMs: number;
  /** MEDBILL_PAPER_REMIND_AFTER: how long a reversal waits for a paper form before it reminds the cashiers, then again each time (e.g. 30m, 4h, 1d). */
  paperRemindAfterMs: number;
}

export function loadBillsConfig(env: NodeJS.ProcessEnv): BillsConfig {
  return {
    issueTimeoutMs: int('MEDBILL_ISSUE_TIMEOUT_MS', env.MEDBILL_ISSUE_TIMEOUT_MS, DEFAULT_ISSUE_TIMEOUT_MS),
    paperRemindAfterMs: duration('MEDBILL_PAPER_REMIND_AFTER', env.MEDBILL_PAPER_REMIND_AFTER, DEFAULT_PAPER_REMIND_AFTER_MS),
  };
}
