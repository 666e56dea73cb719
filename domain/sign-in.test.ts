import { afterFailure, isLocked, mustChangePassword, passwordProblem, sessionEnded } from './sign-in';

const policy = { minLength: 8, history: 5 };
const at = (min: number) => new Date(Date.UTC(2026, 11, 3, 8, 0) + min * 60_000);

test('password policy: 8 characters, 3 of 4 classes, no user name, no control characters', () => {
  expect(passwordProblem('Ab1#xyz', 'doctor', policy)).toBe('新密码至少 8 位');
  expect(passwordProblem('admin123', 'doctor', policy)).toMatch(/至少 3 类/);
  expect(passwordProblem('abcdefgh', 'doctor', policy)).toMatch(/至少 3 类/);
  expect(passwordProblem('Doctor#2026', 'doctor', policy)).toBe('新密码不能包含用户名');
  expect(passwordProblem('Good#pass\u0000', 'doctor', policy)).toBe('新密码不能包含控制字符');
  expect(passwordProblem('x'.repeat(129) + 'A1', 'doctor', policy)).toBe('新密码最多 128 位');
  expect(passwordProblem('Kq7-river', 'doctor', policy)).toBeUndefined();
  expect(passwordProblem('kq7-river', 'doctor', policy)).toBeUndefined(); // lower, digit, symbol
  expect(passwordProblem('Kq7river', 'doctor', policy)).toBeUndefined(); // upper, lower, digit
  expect(passwordProblem('Kq7river', 'doctor', { ...policy, minLength: 10 })).toBe('新密码至少 10 位');
});

test('a session ends when revoked, unused for the idle time, or past the absolute lifetime', () => {
  const limits = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };
  const s = { createdAt: at(0), lastSeenAt: at(0) };
  expect(sessionEnded(s, limits, at(29))).toBeUndefined();
  expect(sessionEnded(s, limits, at(30))).toBe('idle');
  expect(sessionEnded({ ...s, lastSeenAt: at(700) }, limits, at(710))).toBeUndefined();
  expect(sessionEnded({ ...s, lastSeenAt: at(719) }, limits, at(720))).toBe('expired');
  expect(sessionEnded({ ...s, revokedAt: at(1) }, limits, at(2))).toBe('revoked');
});

test('five wrong passwords in a row lock the name for the lock time; an expired lock counts again from one', () => {
  const opts = { maxFailures: 5, lockMs: 15 * 60_000 };
  let g = afterFailure(undefined, opts, at(0));
  for (let i = 0; i < 3; i++) g = afterFailure(g, opts, at(0));
  expect(g).toEqual({ failures: 4, lockedUntil: null });
  expect(isLocked(g, at(0))).toBe(false);
  g = afterFailure(g, opts, at(1));
  expect(g.lockedUntil).toEqual(at(16));
  expect(isLocked(g, at(15))).toBe(true);
  expect(isLocked(g, at(16))).toBe(false);
  expect(afterFailure(g, opts, at(17))).toEqual({ failures: 1, lockedUntil: null });
});

test('a reset or an old password must be changed first', () => {
  expect(mustChangePassword({ mustChangePassword: true, passwordChangedAt: at(0) }, 0, at(1))).toBe('reset');
  expect(mustChangePassword({ passwordChangedAt: at(0) }, 90 * 86_400_000, at(89 * 1440))).toBeUndefined();
  expect(mustChangePassword({ passwordChangedAt: at(0) }, 90 * 86_400_000, at(90 * 1440))).toBe('expired');
  expect(mustChangePassword({ passwordChangedAt: at(0) }, 0, at(900 * 1440))).toBeUndefined();
  expect(mustChangePassword({ passwordChangedAt: null }, 60_000, at(10))).toBeUndefined();
});
