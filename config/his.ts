/**
 * Settings of the HIS interface's input rules and replay guard (README: Security, "HIS input and
 * replays"). Every setting has a MEDBILL_HIS_* variable and a default.
 */
import { HIS_LIMIT_DEFAULTS, type HisLimits } from '../domain/his-input';
import { duration, int } from './parse';
import { parseYuan } from '../common/money';

export interface HisConfig extends HisLimits {
  /** MEDBILL_HIS_REPLAY_WINDOW: how long an envelope (appid + noise + sign) is remembered and answered again byte for byte (e.g. 24h). */
  replayWindowMs: number;
  /** MEDBILL_HIS_ISSUE_MAX_ATTEMPTS: attempts of the issuing step on an unexpected error before it gives up (E9999 to the HIS and a to-do). */
  issueMaxAttempts: number;
  /** MEDBILL_HIS_MAX_BODY_BYTES: the largest request body of any endpoint (HIS, console, H5, pay notices). */
  maxBodyBytes: number;
  /** MEDBILL_HIS_MAX_JSON_DEPTH: the deepest nesting of arrays and objects in any JSON body (and in the HIS envelope's data). */
  maxJsonDepth: number;
  /** MEDBILL_HIS_BATCH_MAX: the most bills one invoiceEBillBatch call (medbill extension) may carry. */
  batchMax: number;
}

/** An integer setting with a floor (parse.int allows any non-negative integer). */
function atLeast(name: string, v: string | undefined, dflt: number, min: number): number {
  const n = int(name, v, dflt);
  if (n < min) throw new Error(`${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

export const DEFAULT_HIS_REPLAY_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_HIS_ISSUE_MAX_ATTEMPTS = 5;
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_JSON_DEPTH = 32;
export const DEFAULT_HIS_BATCH_MAX = 50;

/** `yuan` as `12345.67` -> fen. */
function fenOf(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  if (!/^\d{1,11}(\.\d{1,2})?$/.test(v.trim())) throw new Error(`${name} must be an amount in yuan (at most 2 decimals), got "${v}"`);
  return parseYuan(v)!; // the pattern above is a subset of what parseYuan accepts
}

export function loadHisConfig(env: NodeJS.ProcessEnv): HisConfig {
  const codes = (env.MEDBILL_HIS_PAY_CHANNEL_CODES ?? '').split(/[,;\s]+/).filter(Boolean);
  for (const c of codes) if (!/^[0-9A-Za-z]{1,8}$/.test(c)) throw new Error(`MEDBILL_HIS_PAY_CHANNEL_CODES: "${c}" must be 1-8 letters or digits`);
  return {
    /** MEDBILL_HIS_PAY_CHANNEL_CODES: the payChannelCode values accepted on a bill, comma separated. */
    payChannelCodes: codes.length ? codes : HIS_LIMIT_DEFAULTS.payChannelCodes,
    /** MEDBILL_HIS_MAX_LINE_AMOUNT: the largest amount (yuan) of one charge line or one pay channel. */
    maxLineFen: fenOf('MEDBILL_HIS_MAX_LINE_AMOUNT', env.MEDBILL_HIS_MAX_LINE_AMOUNT, HIS_LIMIT_DEFAULTS.maxLineFen),
    /** MEDBILL_HIS_MAX_BILL_AMOUNT: the largest total (yuan) of one bill. */
    maxBillFen: fenOf('MEDBILL_HIS_MAX_BILL_AMOUNT', env.MEDBILL_HIS_MAX_BILL_AMOUNT, HIS_LIMIT_DEFAULTS.maxBillFen),
    replayWindowMs: duration('MEDBILL_HIS_REPLAY_WINDOW', env.MEDBILL_HIS_REPLAY_WINDOW, DEFAULT_HIS_REPLAY_WINDOW_MS),
    issueMaxAttempts: atLeast('MEDBILL_HIS_ISSUE_MAX_ATTEMPTS', env.MEDBILL_HIS_ISSUE_MAX_ATTEMPTS, DEFAULT_HIS_ISSUE_MAX_ATTEMPTS, 1),
    maxBodyBytes: atLeast('MEDBILL_HIS_MAX_BODY_BYTES', env.MEDBILL_HIS_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 1024),
    maxJsonDepth: atLeast('MEDBILL_HIS_MAX_JSON_DEPTH', env.MEDBILL_HIS_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_DEPTH, 4),
    batchMax: atLeast('MEDBILL_HIS_BATCH_MAX', env.MEDBILL_HIS_BATCH_MAX, DEFAULT_HIS_BATCH_MAX, 1),
  };
}
