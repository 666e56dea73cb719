/**
 * The rules of console sign-in (issue 13 point 3), in one pure module: the password policy, when a
 * session has ended, when a user name is locked, and when a password must be changed. The
 * service (services/sign-in.ts) applies them to the stored rows; the console shows the same
 * policy text before the user types.
 */

export interface PasswordPolicy {
  minLength: number;
  /** How many previous passwords (the current one included) a new one may not repeat. */
  history: number;
}

export const PASSWORD_MAX_LENGTH = 128;

/** The four character classes; a password needs three of them. */
const CLASSES: Array<[string, RegExp]> = [
  ['小写字母', /[a-z]/],
  ['大写字母', /[A-Z]/],
  ['数字', /[0-9]/],
  ['符号', /[^A-Za-z0-9]/],
];

export const policyText = (p: PasswordPolicy) =>
  `密码至少 ${p.minLength} 位，须含小写字母、大写字母、数字、符号中的至少 3 类，不得包含用户名，不得与最近 ${p.history} 次使用过的密码相同`;

/** Why `password` may not be chosen by `username` (a Chinese sentence), or undefined when it may. History is checked by the service. */
export function passwordProblem(password: string, username: string, p: PasswordPolicy): string | undefined {
  if (password.length < p.minLength) return `新密码至少 ${p.minLength} 位`;
  if (password.length > PASSWORD_MAX_LENGTH) return `新密码最多 ${PASSWORD_MAX_LENGTH} 位`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(password)) return '新密码不能包含控制字符';
  const classes = CLASSES.filter(([, re]) => re.test(password)).length;
  if (classes < 3) return '新密码须含小写字母、大写字母、数字、符号中的至少 3 类';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '新密码不能包含用户名';
  return undefined;
}

export interface SessionTimes {
  createdAt: Date;
  lastSeenAt: Date;
  revokedAt?: Date | null;
}

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

/** Why a session no longer admits its holder, or undefined while it does. */
export function sessionEnded(s: SessionTimes, limits: SessionLimits, now: Date): 'revoked' | 'idle' | 'expired' | undefined {
  if (s.revokedAt) return 'revoked';
  if (now.getTime() - s.createdAt.getTime() >= limits.maxMs) return 'expired';
  if (now.getTime() - s.lastSeenAt.getTime() >= limits.idleMs) return 'idle';
  return undefined;
}

/** A session's last use is written back at most this often (not on every request). */
export const TOUCH_EVERY_MS = 30_000;

export interface LoginGuardState {
  failures: number;
  lockedUntil: Date | null;
}

/** Whether a user name is locked now. */
export const isLocked = (g: LoginGuardState | undefined, now: Date) => !!g?.lockedUntil && g.lockedUntil.getTime() > now.getTime();

/** The guard after one more wrong password: locked for `lockMs` once `maxFailures` are reached in a row. */
export function afterFailure(g: LoginGuardState | undefined, opts: { maxFailures: number; lockMs: number }, now: Date): LoginGuardState {
  // A lock that has run out starts the count again.
  const failures = (g && !(g.lockedUntil && g.lockedUntil.getTime() <= now.getTime()) ? g.failures : 0) + 1;
  return failures >= opts.maxFailures ? { failures, lockedUntil: new Date(now.getTime() + opts.lockMs) } : { failures, lockedUntil: null };
}

/** Whether the user must set a new password before doing anything else. */
export function mustChangePassword(u: { mustChangePassword?: boolean; passwordChangedAt?: Date | null }, maxAgeMs: number, now: Date): 'reset' | 'expired' | undefined {
  if (u.mustChangePassword) return 'reset';
  if (maxAgeMs > 0 && u.passwordChangedAt && now.getTime() - u.passwordChangedAt.getTime() >= maxAgeMs) return 'expired';
  return undefined;
}
