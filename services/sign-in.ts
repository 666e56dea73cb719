/**
 * Console sign-in and sessions (issue 13 point 3; the rules are domain/sign-in.ts):
 * - a session is a row of `console_session`; the browser holds a random 256-bit token in an
 *   HttpOnly cookie, the table only its HMAC-SM3, so neither a copy of the table nor JavaScript on
 *   the page can open a session. Logout, a password change and a reset revoke rows; a session
 *   ends when unused for `idleMs` or `maxMs` after sign-in;
 * - a user name (known to the platform or not: the answer and the work are the same) is locked
 *   for `lockMs` after `maxFailures` wrong passwords in a row (423); an address that fails
 *   `ipLimit` times within `ipWindowMs` gets 429 (counted in this process);
 * - every sign-in runs one scrypt, against the user's hash or a dummy one, off the event loop;
 * - a new password follows the policy and repeats none of the last `passwordHistory`; a reset
 *   or an expired password admits the user only to the change-password page;
 * - every sign-in, failed sign-in, lockout, sign-out and password change is a row of the operation
 *   log (services/operation-log.ts): who, from which address, the outcome; never the password;
 * - with single sign-on on (cfg.oidc, services/oidc.ts) a session may also be opened for a user the
 *   identity platform authenticated (`openExternalSession`); such a session knows no password
 *   clock and no platform second factor (the identity platform is the authenticator), and while
 *   MEDBILL_OIDC_LOCAL_PASSWORDS=admins only the three administrators may sign in with a password.
 */
import { randomBytes } from 'node:crypto';
import { hmacSm3Hex } from '../common/gm';
import { DomainError, fieldError } from '../common/errors'; // E0004 401, E0006 423, E0007 429 (api/http.ts)
import { FailureWindow, waitText } from '../common/failure-window';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../common/password';
import { afterFailure, isLocked, mustChangePassword, passwordProblem, sessionEnded, TOUCH_EVERY_MS, type PasswordPolicy } from '../domain/sign-in';
import { User } from '../orm/entities';
import type { SqlEm } from '../orm/sql';
import {
  addPasswordHistory, clearLoginGuard, insertSession, loginGuardOf, openSessionsOf, passwordHistoryOf, pruneLoginGuards, pruneSessions,
  revokeSession, revokeSessionsOf, sessionById, ssoIdTokenOf, touchSession, updateLoginGuard,
} from '../orm/repositories/sessions';
import type { SessionsConfig } from '../config/sessions';
import type { OidcConfig } from '../config/oidc';
import type { Deps } from './deps';
import { ADMIN_KINDS, type RoleKind } from '../domain/permissions';
import { defaultDataScope, resolveScope, type DataScope, type DataScopeSetting } from '../domain/access';
import { pointTree, rolesOfCodes } from '../orm/repositories/rbac';
import { totpOf } from '../orm/repositories/mfa';
import { acceptSecondFactor, mfaStateOf, type MfaState } from './mfa';
import { recordOperation, useOperationLog, type OperationEntry } from './operation-log';
import { SYSTEM_ACTOR } from '../domain/operation-log';

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  /** The codes of the user's roles (`role` rows; a code without a row grants nothing and is left out). */
  roles: string[];
  /** The names of `roles` (Chinese), in the same order. */
  roleNames: string[];
  /** The kinds of `roles` (business, or one of the three administrators), in the same order. */
  roleKinds: RoleKind[];
  /** The union of the roles' permissions (domain/permissions.ts codes), as `role_permission` holds them now. */
  permissions: string[];
  placeCode?: string;
  /** The data scope in force: the stored one resolved against the billing-point tree, or the role's default. */
  scope: DataScope;
  /** The stored scope (null: the role's default). */
  scopeSetting: DataScopeSetting | null;
  /** Set when the user must choose a new password before anything else: after a reset, or when it expired. */
  passwordChange?: 'reset' | 'expired';
  /** The second factor: required of the user (administrators, finance), and enrolled (services/mfa.ts). */
  mfa: MfaState;
  /** How this session was opened: a password (and TOTP) of the platform (also when absent), or the identity platform (single sign-on). */
  signedInWith?: 'password' | 'sso';
}

export interface SignedIn {
  /** The cookie's value: never stored, never logged, never sent to JavaScript. */
  token: string;
  user: SessionUser;
}

export interface OpenSession {
  sessionId: string;
  user: SessionUser;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const PRUNE_EVERY_MS = 3_600_000;

export const guardKey = (username: string) => username.trim().toLowerCase().slice(0, 64);

export class SignInService {
  private readonly addresses: FailureWindow;
  private readonly key: string;
  private lastPrune = 0;

  private readonly verify: typeof verifyPassword;

  constructor(
    private readonly deps: Pick<Deps, 'orm' | 'masterKey'> & { cfg: { sessions: SessionsConfig; oidc?: OidcConfig } },
    opts: { verify?: typeof verifyPassword } = {},
  ) {
    this.verify = opts.verify ?? verifyPassword;
    const s = deps.cfg.sessions;
    this.addresses = new FailureWindow(s.ipLimit, s.ipWindowMs);
    this.key = hmacSm3Hex(deps.masterKey, 'medbill console session v2');
    useOperationLog(deps);
  }

  private get cfg(): SessionsConfig {
    return this.deps.cfg.sessions;
  }

  get policy(): PasswordPolicy {
    return { minLength: this.cfg.passwordMinLength, history: this.cfg.passwordHistory };
  }

  private sessionIdOf(token: string): string {
    return hmacSm3Hex(this.key, token);
  }

  /** The user as a session sees it: roles and permissions as the role tables hold them now, the scope resolved. */
  async view(em: SqlEm, u: User, now: Date, signedInWith: SessionUser['signedInWith'] = 'password'): Promise<SessionUser> {
    // A single sign-on session never used the platform's password: its age and a reset do not hold it up.
    if (signedInWith === 'password') return { ...(await sessionUserOf(em, u, mustChangePassword(u, this.cfg.passwordMaxAgeMs, now), this.cfg.mfaEnforce)), signedInWith };
    // Single sign-on (business users only, services/oidc.ts): the identity platform is the
    // authenticator, so neither the platform's password clock nor its second factor holds the session up.
    const v = await sessionUserOf(em, u, undefined, this.cfg.mfaEnforce);
    return { ...v, mfa: { ...v.mfa, required: false }, signedInWith };
  }

  /** True when single sign-on is on and only the three administrators may sign in with a password. */
  private passwordsForAdminsOnly(): boolean {
    const o = this.deps.cfg.oidc;
    return !!o?.issuer && o.localPasswords === 'admins';
  }

  /**
   * A password sign-in; for a user with an authenticator also `code` (a current TOTP code or a
   * recovery code): without it the answer is E0015 (the console then asks for it, and the password
   * is sent again with the code); a wrong code counts as a wrong password toward the lockout.
   */
  async login(input: { username: string; password: string; code?: string; address: string; userAgent: string }, now = new Date()): Promise<SignedIn> {
    const em = this.deps.orm.em.fork();
    const attempt = (action: string, result: string, detail: string) =>
      recordOperation(em, { at: now, username: input.username, address: input.address, action, objectType: 'user', objectId: input.username, result, detail });
    const wait = this.addresses.retryAfter(input.address, now.getTime());
    if (wait > 0) {
      await attempt('login-failed', 'refused', `来源地址登录失败次数过多，已拒绝登录（${waitText(wait)}后可再试）`);
      throw new DomainError('E0007', `登录失败次数过多，请 ${waitText(wait)}后再试`);
    }
    const key = guardKey(input.username);
    const guard = await loginGuardOf(em, key);
    const user = await em.findOne(User, { username: input.username });
    // One scrypt whatever happens next: an unknown name costs what a wrong password costs.
    const ok = await this.verify(input.password, user?.passwordHash ?? DUMMY_HASH);
    const locked = (until: Date) =>
      new DomainError('E0006', `账号已锁定（连续 ${this.cfg.maxFailures} 次密码错误），请 ${waitText(until.getTime() - now.getTime())}后再试，或请安全管理员解锁`, 'username');
    if (isLocked(guard, now)) {
      this.addresses.fail(input.address, now.getTime());
      await attempt('login-failed', 'refused', `账号已锁定（至 ${guard!.lockedUntil!.toISOString()}），拒绝登录`);
      throw locked(guard!.lockedUntil!);
    }
    /** A wrong password or second factor: counted toward the name's lock and the address's limit, logged, refused. */
    const failed = async (why: string, refusal: string, field?: string): Promise<never> => {
      this.addresses.fail(input.address, now.getTime());
      const g = await updateLoginGuard(em, key, (before) => afterFailure(before, this.cfg, now), now);
      await attempt('login-failed', 'refused', `登录失败：${why}（连续失败 ${g.failures} 次）`);
      if (isLocked(g, now)) {
        await attempt('locked', 'ok', `连续 ${g.failures} 次登录失败，账号锁定至 ${g.lockedUntil!.toISOString()}`);
        throw locked(g.lockedUntil!);
      }
      const left = this.cfg.maxFailures - g.failures;
      throw new DomainError('E0004', `${refusal}（再错 ${left} 次将锁定 ${waitText(this.cfg.lockMs)}）`, field);
    };
    if (!user || !user.active || !ok || user.username !== input.username) {
      return failed(!user || user.username !== input.username ? '用户不存在' : !user.active ? '账号已停用' : '密码错误', '用户名或密码错误');
    }
    if (this.passwordsForAdminsOnly()) {
      // Asked only once the password is right: a wrong guess learns nothing about the account.
      const kinds = (await rolesOfCodes(em, user.roles.split(',').filter(Boolean))).map((r) => r.kind as RoleKind);
      if (!kinds.some((k) => ADMIN_KINDS.includes(k))) {
        await attempt('login-failed', 'refused', '登录失败：已启用统一身份认证，业务用户不能使用本地密码登录');
        throw new DomainError('E0016', '本平台已启用医院统一身份认证：请点击“统一身份认证登录”，使用医院统一身份认证账号登录', 'username');
      }
    }
    const totp = await totpOf(em, user.id);
    if (totp?.confirmedAt) {
      if (!input.code?.trim()) throw new DomainError('E0015', '请输入动态口令（身份验证器 App 显示的 6 位数字，或一个恢复码）', 'code');
      if (!(await acceptSecondFactor(em, totp, input.code, now))) await failed('动态口令不正确或已使用', '动态口令不正确或已使用过', 'code');
    }
    if (guard) await clearLoginGuard(em, key);
    const token = randomBytes(32).toString('base64url');
    await insertSession(em, { id: this.sessionIdOf(token), userId: user.id, address: input.address, userAgent: input.userAgent, at: now });
    user.lastLoginAt = now;
    user.passwordChangedAt ??= now; // a password set before sessions existed: its clock starts now
    await em.flush();
    await recordOperation(em, {
      at: now, username: user.username, displayName: user.displayName, address: input.address, action: 'login', objectType: 'user', objectId: user.username,
      result: 'ok', detail: '登录成功', after: { userAgent: input.userAgent.slice(0, 200) },
    });
    await this.pruneNowAndThen(em, now);
    return { token, user: await this.view(em, user, now) };
  }

  /** The session a cookie's token opens, or undefined (unknown, revoked, idle, expired, user inactive). Records the use. */
  async authenticate(token: string | undefined, now = new Date()): Promise<OpenSession | undefined> {
    if (!token || !TOKEN.test(token)) return undefined;
    const em = this.deps.orm.em.fork();
    const id = this.sessionIdOf(token);
    const s = await sessionById(em, id);
    if (!s) return undefined;
    const ended = sessionEnded(s, this.cfg, now);
    if (ended) {
      if (ended !== 'revoked') await revokeSession(em, id, ended, now);
      return undefined;
    }
    const user = await em.findOne(User, { id: s.userId, active: true });
    if (!user) return undefined;
    if (now.getTime() - s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession(em, id, now);
    return { sessionId: id, user: await this.view(em, user, now, s.ssoIssuer ? 'sso' : 'password') };
  }

  /**
   * Opens a session for a user the identity platform authenticated (services/oidc.ts decided who):
   * the same session as a password sign-in makes, marked as single sign-on, with the ID token kept
   * for the identity platform's logout; a lock of the user name is lifted as a sign-in does.
   */
  async openExternalSession(input: { userId: number; address: string; userAgent: string; issuer: string; idToken: string; detail: string }, now = new Date()): Promise<SignedIn> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOneOrFail(User, { id: input.userId, active: true });
    const token = randomBytes(32).toString('base64url');
    await insertSession(em, { id: this.sessionIdOf(token), userId: user.id, address: input.address, userAgent: input.userAgent, at: now, sso: { issuer: input.issuer, idToken: input.idToken } });
    user.lastLoginAt = now;
    await em.flush();
    await recordOperation(em, {
      at: now, username: user.username, displayName: user.displayName, address: input.address, action: 'login', objectType: 'user', objectId: user.username,
      result: 'ok', detail: input.detail, after: { userAgent: input.userAgent.slice(0, 200), method: 'sso' },
    });
    await this.pruneNowAndThen(em, now);
    return { token, user: await this.view(em, user, now, 'sso') };
  }

  /**
   * Ends the session of this token (if any). `ended`: one was open; `ssoIdToken`: the ID token of a
   * single sign-on session, for the identity platform's logout.
   */
  async logout(token: string | undefined, now = new Date()): Promise<{ ended: boolean; ssoIdToken?: string }> {
    if (!token || !TOKEN.test(token)) return { ended: false };
    const id = this.sessionIdOf(token);
    const em = this.deps.orm.em.fork();
    const s = await sessionById(em, id);
    const ssoIdToken = s?.ssoIssuer ? await ssoIdTokenOf(em, id) : undefined;
    const user = s ? await em.findOne(User, s.userId) : null;
    return em.transactional(async (tx) => {
      const ended = await revokeSession(tx, id, 'logout', now);
      // The address is the session's (where it signed in from).
      if (ended && s) await recordOperation(tx, { at: now, username: user?.username ?? String(s.userId), displayName: user?.displayName, address: s.address, action: 'logout', objectType: 'user', objectId: user?.username ?? String(s.userId), detail: s.ssoIssuer ? '退出登录（统一身份认证会话）' : '退出登录' });
      return { ended, ssoIdToken: ended ? ssoIdToken : undefined };
    });
  }

  /** The user's sessions still in force (for the console's "where am I signed in"), `current` marking the asking one. */
  async sessionsOf(session: OpenSession, now = new Date()): Promise<Array<{ address: string; createdAt: Date; lastSeenAt: Date; current: boolean }>> {
    const rows = await openSessionsOf(this.deps.orm.em.fork(), session.user.id);
    return rows
      .filter((s) => !sessionEnded(s, this.cfg, now))
      .map((s) => ({ address: s.address, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, current: s.id === session.sessionId }));
  }

  /** Why `password` may not become `user`'s password (policy, or one of the last N), or undefined. */
  private async refusal(em: SqlEm, user: User, password: string): Promise<string | undefined> {
    const problem = passwordProblem(password, user.username, this.policy);
    if (problem) return problem;
    const previous = [user.passwordHash, ...(await passwordHistoryOf(em, user.id, this.cfg.passwordHistory))].slice(0, Math.max(1, this.cfg.passwordHistory));
    for (const h of previous) if (await verifyPassword(password, h)) return `新密码不能与最近 ${this.cfg.passwordHistory} 次使用过的密码相同`;
    return undefined;
  }

  private async setPassword(em: SqlEm, user: User, password: string, opts: { mustChange: boolean; now: Date; log: OperationEntry }): Promise<void> {
    const hash = await hashPassword(password);
    await em.transactional(async (tx) => {
      const u = await tx.findOneOrFail(User, user.id);
      u.passwordHash = hash;
      u.passwordChangedAt = opts.now;
      u.mustChangePassword = opts.mustChange;
      await addPasswordHistory(tx, u.id, hash, opts.now);
      await tx.flush();
      await recordOperation(tx, opts.log);
    });
  }

  /**
   * The signed-in user sets a new password: the current one must be given; every other session of
   * the user ends (the one making the change stays).
   */
  async changePassword(session: OpenSession, input: { currentPassword: string; newPassword: string }, now = new Date()): Promise<void> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOneOrFail(User, session.user.id);
    // The address is the session's (where it signed in from).
    const address = (await sessionById(em, session.sessionId))?.address ?? null;
    const entry = (result: string, detail: string): OperationEntry => ({ at: now, username: user.username, displayName: user.displayName, address, action: 'password-change', objectType: 'user', objectId: user.username, result, detail });
    const refuse = async (field: string, why: string) => {
      await recordOperation(em, entry('refused', `修改密码被拒绝：${why}`));
      return fieldError(field, why);
    };
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) throw await refuse('currentPassword', '当前密码不正确');
    if (input.newPassword === input.currentPassword) throw await refuse('newPassword', '新密码不能与当前密码相同');
    const refusal = await this.refusal(em, user, input.newPassword);
    if (refusal) throw await refuse('newPassword', refusal);
    await this.setPassword(em, user, input.newPassword, { mustChange: false, now, log: entry('ok', '修改密码成功') });
    await revokeSessionsOf(em, user.id, 'password', now, session.sessionId);
  }

  /**
   * An administrator resets a user's password (scripts/users.ts today, the user page of the
   * console later): a one-time password the user must change at the next sign-in; the user's
   * sessions end and a lock is lifted. Returns the one-time password.
   */
  async resetPassword(username: string, now = new Date()): Promise<string> {
    const em = this.deps.orm.em.fork();
    const user = await em.findOne(User, { username });
    if (!user) throw fieldError('username', `用户 ${username} 不存在`);
    const temporary = oneTimePassword();
    await this.setPassword(em, user, temporary, {
      mustChange: true, now,
      log: { at: now, username: SYSTEM_ACTOR, displayName: '命令行（scripts/users.ts）', action: 'password-reset', objectType: 'user', objectId: username, detail: `重置用户 ${username} 的密码（一次性密码，下次登录须修改）` },
    });
    await revokeSessionsOf(em, user.id, 'reset', now);
    await clearLoginGuard(em, guardKey(username));
    return temporary;
  }

  /** Lifts the lock of a user name (the security administrator's unlock). */
  async unlock(username: string): Promise<void> {
    await this.deps.orm.em.fork().transactional(async (tx) => {
      await clearLoginGuard(tx, guardKey(username));
      await recordOperation(tx, { username: SYSTEM_ACTOR, displayName: '命令行（scripts/users.ts）', action: 'unlock', objectType: 'user', objectId: username, detail: `解除用户 ${username} 的登录锁定` });
    });
  }

  private async pruneNowAndThen(em: SqlEm, now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now.getTime();
    await pruneSessions(em, new Date(now.getTime() - this.cfg.maxMs));
    await pruneLoginGuards(em, new Date(now.getTime() - Math.max(this.cfg.lockMs, this.cfg.ipWindowMs)));
  }
}

/** 12 characters from all four classes (no look-alikes), for a reset. */
export function oneTimePassword(): string {
  const sets = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '#%+=@'];
  const pick = (set: string) => set[randomBytes(1)[0] % set.length];
  const chars = [...sets.map(pick), ...Array.from({ length: 8 }, () => pick(sets.join('')))];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomBytes(1)[0] % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}

/** The stored scope of a user row (null: none, or unreadable). */
export function storedScope(u: Pick<User, 'scopeJson'>): DataScopeSetting | null {
  if (!u.scopeJson) return null;
  try {
    return JSON.parse(u.scopeJson) as DataScopeSetting;
  } catch {
    return null;
  }
}

/** A user's roles, permissions and data scope as the tables hold them now. */
export async function sessionUserOf(em: SqlEm, u: User, passwordChange?: SessionUser['passwordChange'], mfaEnforce = true): Promise<SessionUser> {
  const roles = await rolesOfCodes(em, u.roles.split(',').filter(Boolean));
  const setting = storedScope(u);
  const mfa = await mfaStateOf(em, { id: u.id, username: u.username, roles: roles.map((r) => r.code), roleKinds: roles.map((r) => r.kind as RoleKind) }, mfaEnforce);
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    roles: roles.map((r) => r.code),
    roleNames: roles.map((r) => r.name),
    roleKinds: roles.map((r) => r.kind as RoleKind),
    permissions: [...new Set(roles.flatMap((r) => r.permissions))].sort(),
    placeCode: u.placeCode,
    scope: setting ? resolveScope(setting, await pointTree(em)) : defaultDataScope({ roles: roles.map((r) => r.code), placeCode: u.placeCode }),
    scopeSetting: setting,
    passwordChange,
    mfa,
  };
}
