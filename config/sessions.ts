/**
 * Console sign-in and sessions (`cfg.sessions`; README: Security, "Sign-in and sessions"):
 * server-side sessions with an idle and an absolute lifetime, account lockout, a per-address
 * throttle, the password policy, and the wrong-check-code limit of the patient's H5 page.
 */
import { duration, durationOrZero, int } from './parse';

/** A whole number of at least 1. */
function count(name: string, v: string | undefined, dflt: number): number {
  const n = int(name, v, dflt);
  if (n < 1) throw new Error(`${name} must be an integer >= 1, got "${v}"`);
  return n;
}

function flag(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new Error(`${name} must be 1 or 0, got "${v}"`);
}

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_SESSION_MAX_MS = 12 * 3_600_000;
export const DEFAULT_LOGIN_MAX_FAILURES = 5;
export const DEFAULT_LOGIN_LOCK_MS = 15 * 60_000;
export const DEFAULT_LOGIN_IP_LIMIT = 20;
export const DEFAULT_LOGIN_IP_WINDOW_MS = 15 * 60_000;
export const DEFAULT_PASSWORD_MIN_LENGTH = 8;
export const DEFAULT_PASSWORD_HISTORY = 5;
export const DEFAULT_PASSWORD_MAX_AGE_MS = 90 * 24 * 3_600_000;
export const DEFAULT_H5_CODE_LIMIT_PER_BILL = 10;
export const DEFAULT_H5_CODE_LIMIT_PER_ADDRESS = 30;
export const DEFAULT_H5_CODE_WINDOW_MS = 15 * 60_000;

export interface SessionsConfig {
  /** MEDBILL_SESSION_IDLE: a console session unused this long ends (e.g. 30m). */
  idleMs: number;
  /** MEDBILL_SESSION_MAX: a console session ends this long after sign-in, used or not (e.g. 12h). */
  maxMs: number;
  /** MEDBILL_LOGIN_MAX_FAILURES: wrong passwords in a row that lock a user name. */
  maxFailures: number;
  /** MEDBILL_LOGIN_LOCK: how long a locked user name stays locked (423), e.g. 15m. */
  lockMs: number;
  /** MEDBILL_LOGIN_IP_LIMIT: failed sign-ins one address may make per MEDBILL_LOGIN_IP_WINDOW before it gets 429. */
  ipLimit: number;
  /** MEDBILL_LOGIN_IP_WINDOW: the window of MEDBILL_LOGIN_IP_LIMIT (e.g. 15m). */
  ipWindowMs: number;
  /** MEDBILL_PASSWORD_MIN_LENGTH: the shortest password a user may choose (3 of 4 character classes are always required). */
  passwordMinLength: number;
  /** MEDBILL_PASSWORD_HISTORY: a new password may not be any of this many previous ones. */
  passwordHistory: number;
  /** MEDBILL_PASSWORD_MAX_AGE: a password older than this must be changed at the next sign-in (e.g. 90d; 0 = never). */
  passwordMaxAgeMs: number;
  /** MEDBILL_H5_CODE_LIMIT_PER_BILL: wrong check codes for one bill number per MEDBILL_H5_CODE_WINDOW before the bill's page answers 429. */
  h5CodeLimitPerBill: number;
  /** MEDBILL_H5_CODE_LIMIT_PER_ADDRESS: wrong check codes from one address per MEDBILL_H5_CODE_WINDOW before it gets 429. */
  h5CodeLimitPerAddress: number;
  /** MEDBILL_H5_CODE_WINDOW: the window of the two H5 limits (e.g. 15m). */
  h5CodeWindowMs: number;
  /**
   * MEDBILL_MFA_ENFORCE (1, the default): the three administrators and finance must enrol a TOTP
   * authenticator before anything else, and give its code at every sign-in. 0 makes it optional for
   * them too (a test or a demo machine only: a production start refuses 0).
   */
  mfaEnforce: boolean;
}

export function loadSessionsConfig(env: NodeJS.ProcessEnv): SessionsConfig {
  const minLength = count('MEDBILL_PASSWORD_MIN_LENGTH', env.MEDBILL_PASSWORD_MIN_LENGTH, DEFAULT_PASSWORD_MIN_LENGTH);
  if (minLength < 8) throw new Error(`MEDBILL_PASSWORD_MIN_LENGTH must be at least 8, got "${env.MEDBILL_PASSWORD_MIN_LENGTH}"`);
  const idleMs = duration('MEDBILL_SESSION_IDLE', env.MEDBILL_SESSION_IDLE, DEFAULT_SESSION_IDLE_MS);
  const maxMs = duration('MEDBILL_SESSION_MAX', env.MEDBILL_SESSION_MAX, DEFAULT_SESSION_MAX_MS);
  if (idleMs > maxMs) throw new Error('MEDBILL_SESSION_IDLE must not be longer than MEDBILL_SESSION_MAX');
  return {
    idleMs,
    maxMs,
    maxFailures: count('MEDBILL_LOGIN_MAX_FAILURES', env.MEDBILL_LOGIN_MAX_FAILURES, DEFAULT_LOGIN_MAX_FAILURES),
    lockMs: duration('MEDBILL_LOGIN_LOCK', env.MEDBILL_LOGIN_LOCK, DEFAULT_LOGIN_LOCK_MS),
    ipLimit: count('MEDBILL_LOGIN_IP_LIMIT', env.MEDBILL_LOGIN_IP_LIMIT, DEFAULT_LOGIN_IP_LIMIT),
    ipWindowMs: duration('MEDBILL_LOGIN_IP_WINDOW', env.MEDBILL_LOGIN_IP_WINDOW, DEFAULT_LOGIN_IP_WINDOW_MS),
    passwordMinLength: minLength,
    passwordHistory: int('MEDBILL_PASSWORD_HISTORY', env.MEDBILL_PASSWORD_HISTORY, DEFAULT_PASSWORD_HISTORY),
    passwordMaxAgeMs: durationOrZero('MEDBILL_PASSWORD_MAX_AGE', env.MEDBILL_PASSWORD_MAX_AGE, DEFAULT_PASSWORD_MAX_AGE_MS),
    h5CodeLimitPerBill: count('MEDBILL_H5_CODE_LIMIT_PER_BILL', env.MEDBILL_H5_CODE_LIMIT_PER_BILL, DEFAULT_H5_CODE_LIMIT_PER_BILL),
    h5CodeLimitPerAddress: count('MEDBILL_H5_CODE_LIMIT_PER_ADDRESS', env.MEDBILL_H5_CODE_LIMIT_PER_ADDRESS, DEFAULT_H5_CODE_LIMIT_PER_ADDRESS),
    h5CodeWindowMs: duration('MEDBILL_H5_CODE_WINDOW', env.MEDBILL_H5_CODE_WINDOW, DEFAULT_H5_CODE_WINDOW_MS),
    mfaEnforce: flag('MEDBILL_MFA_ENFORCE', env.MEDBILL_MFA_ENFORCE, true),
  };
}
