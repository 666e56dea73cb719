/**
 * System management (系统管理中心, issue 14 points 1-2): users, roles as sets of permissions,
 * data scope per user, and the HIS cashier mapping (开票员). The rules:
 * - 三员分立: a role's permissions stay in its kind's groups (domain/permissions.ts); a user who
 *   holds an administrator role holds no other; the built-in administrator roles keep their
 *   permissions (editing them could leave no one able to manage users or read the logs);
 * - nobody changes their own roles, scope or state through these functions (no self-grant, no
 *   self-unlock), and nothing leaves the platform without an active security administrator;
 * - a new user or a reset gets a one-time password the user must change at first sign-in;
 *   deactivating a user or changing their roles ends their sessions;
 * - every change is one transaction, written to the operation log with before and after.
 */
import { totpOf } from '../orm/repositories/mfa';
import { resetMfa } from './mfa';
import { DomainError, fieldError } from '../common/errors';
import { hashPassword } from '../common/password';
import { scopeSettingProblem, type DataScopeSetting } from '../domain/access';
import { ADMIN_KINDS, PERMISSIONS, ROLE_KIND_NAMES, rolePermissionProblem, userRolesProblem, type RoleKind } from '../domain/permissions';
import { User } from '../orm/entities';
import { isUniqueViolation } from '../orm/errors';
import { allRoles, collectors, deleteRole, insertRole, pointTree, replaceCollectors, rolesOfCodes, updateRole, type RoleRow } from '../orm/repositories/rbac';
import { clearLoginGuard, loginGuardOf, openSessionsOf, revokeSessionsOf, addPasswordHistory } from '../orm/repositories/sessions';
import type { SqlEm } from '../orm/sql';
import { sessionEnded } from '../domain/sign-in';
import type { UserSession, UserView as SharedUserView } from '../domain/system';
import type { Deps } from './deps';
import { guardKey, oneTimePassword, storedScope, type SessionUser } from './sign-in';
import { recordChange, type Actor } from './system-log';

export type { Actor } from './system-log';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$/;
const ROLE_CODE = /^[a-z][a-z0-9_-]{1,31}$/;
const refused = (message: string, field?: string) => new DomainError('E0013', field ? `${field}: ${message}` : message, field);
const notFound = (message: string, field?: string) => new DomainError('E0014', field ? `${field}: ${message}` : message, field);

/** A user as the console shows it (domain/system.ts). */
export type UserView = SharedUserView<Date>;

export interface UserInput {
  username?: unknown;
  displayName?: unknown;
  roles?: unknown;
  placeCode?: unknown;
  scope?: unknown;
  oidcSubject?: unknown;
}

const str = (v: unknown, field: string, label: string, max: number, required: boolean): string | undefined => {
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(field, `请输入${label}`);
    return undefined;
  }
  if (typeof v !== 'string') throw fieldError(field, `${label}应为文本`);
  const t = v.trim();
  if (!t && required) throw fieldError(field, `请输入${label}`);
  if (t.length > max) throw fieldError(field, `${label}最多 ${max} 个字符`);
  return t;
};

/** What the operation log keeps of a user: no hash, no secret. */
const userAudit = (u: User) => ({ username: u.username, displayName: u.displayName, roles: u.roles, placeCode: u.placeCode ?? null, scope: storedScope(u), active: u.active, oidcSubject: u.oidcSubject ?? null });

export class SystemService {
  constructor(private readonly deps: Pick<Deps, 'orm' | 'cfg' | 'masterKey'>) {}

  private em(): SqlEm {
    return this.deps.orm.em.fork();
  }

  // ---- users ----

  async listUsers(q: { q?: string; role?: string; active?: boolean; page: number; pageSize: number }, now = new Date()): Promise<{ total: number; rows: UserView[] }> {
    const em = this.em();
    const where: Record<string, unknown> = {};
    if (q.active !== undefined) where.active = q.active;
    if (q.q) where.$or = [{ username: { $like: `%${q.q}%` } }, { displayName: { $like: `%${q.q}%` } }];
    let users = await em.find(User, where, { orderBy: { id: 'asc' } });
    if (q.role) users = users.filter((u) => u.roles.split(',').includes(q.role!));
    const total = users.length;
    const page = users.slice((q.page - 1) * q.pageSize, q.page * q.pageSize);
    const roles = await allRoles(em);
    return { total, rows: await Promise.all(page.map((u) => this.userView(em, u, roles, now))) };
  }

  private async userView(em: SqlEm, u: User, roles: RoleRow[], now: Date): Promise<UserView> {
    const codes = u.roles.split(',').filter(Boolean);
    const guard = await loginGuardOf(em, guardKey(u.username));
    const sessions = (await openSessionsOf(em, u.id)).filter((s) => !sessionEnded(s, this.deps.cfg.sessions, now));
    const locked = !!guard?.lockedUntil && guard.lockedUntil > now;
    return {
      id: u.id,
      username: u.username,
      displayName: u.displayName,
      roles: codes,
      roleNames: codes.map((c) => roles.find((r) => r.code === c)?.name ?? c),
      placeCode: u.placeCode ?? null,
      active: u.active,
      scope: storedScope(u),
      lastLoginAt: u.lastLoginAt ?? null,
      locked,
      lockedUntil: locked ? guard!.lockedUntil : null,
      sessions: sessions.length,
      mfaEnrolled: !!(await totpOf(em, u.id))?.confirmedAt,
      oidcSubject: u.oidcSubject ?? null,
      mustChangePassword: u.mustChangePassword,
      createdAt: u.createdAt,
    };
  }

  async user(id: number, now = new Date()): Promise<UserView> {
    const em = this.em();
    const u = await em.findOne(User, id);
    if (!u) throw notFound(`用户 ${id} 不存在`, 'id');
    return this.userView(em, u, await allRoles(em), now);
  }

  /** Checks a role list: known codes, 三员分立. */
  private async checkRoles(em: SqlEm, v: unknown): Promise<string[]> {
    if (!Array.isArray(v) || v.length === 0) throw fieldError('roles', '请至少选择一个角色');
    if (v.length > 16 || v.some((c) => typeof c !== 'string' || c.length > 32)) throw fieldError('roles', '角色格式不正确');
    const codes = [...new Set(v as string[])];
    const found = await rolesOfCodes(em, codes);
    const unknown = codes.find((c) => !found.some((r) => r.code === c));
    if (unknown) throw fieldError('roles', `角色 ${unknown} 不存在`);
    const problem = userRolesProblem(found.map((r) => ({ code: r.code, name: r.name, kind: r.kind as RoleKind })));
    if (problem) throw refused(problem, 'roles');
    if (codes.join(',').length > 128) throw fieldError('roles', '角色过多');
    return codes;
  }

  private async checkPlace(em: SqlEm, v: unknown): Promise<string | null> {
    const code = str(v, 'placeCode', '开票点', 32, false);
    if (!code) return null;
    const p = (await pointTree(em)).find((t) => t.code === code);
    if (!p) throw fieldError('placeCode', `开票点 ${code} 不存在`, 'E0020');
    return code;
  }

  private async checkScope(em: SqlEm, v: unknown): Promise<DataScopeSetting | null> {
    if (v === undefined || v === null || v === '') return null;
    const problem = scopeSettingProblem(v, await pointTree(em));
    if (problem) throw fieldError(problem.slice(0, problem.indexOf(':')), problem.slice(problem.indexOf(':') + 2));
    const s = v as DataScopeSetting;
    // Only the fields of the kind are stored.
    if (s.kind === 'campus') return { kind: 'campus', campuses: [...new Set(s.campuses)] };
    if (s.kind === 'points') return { kind: 'points', points: [...new Set(s.points)] };
    return { kind: s.kind };
  }

  private checkSubject(v: unknown): string | null {
    const s = str(v, 'oidcSubject', '统一身份认证账号（subject）', 128, false);
    return s ?? null;
  }

  /** A new user with a one-time password (returned once, never stored in clear, never logged). */
  async createUser(actor: Actor, input: UserInput, now = new Date()): Promise<{ user: UserView; initialPassword: string }> {
    const username = str(input.username, 'username', '用户名', 32, true)!;
    if (!USERNAME.test(username)) throw fieldError('username', '用户名为 2-32 位字母、数字、. _ -，以字母或数字开头');
    const displayName = str(input.displayName, 'displayName', '姓名', 32, true)!;
    const em = this.em();
    const roles = await this.checkRoles(em, input.roles);
    const placeCode = await this.checkPlace(em, input.placeCode);
    const scope = await this.checkScope(em, input.scope);
    const oidcSubject = this.checkSubject(input.oidcSubject);
    const initialPassword = oneTimePassword();
    const hash = await hashPassword(initialPassword);
    let id = 0;
    try {
      await em.transactional(async (tx) => {
        if (await tx.findOne(User, { username })) throw refused(`用户名 ${username} 已存在`, 'username');
        const u = tx.create(User, {
          username, displayName, passwordHash: hash, roles: roles.join(','), placeCode: placeCode ?? undefined, scopeJson: scope ? JSON.stringify(scope) : null,
          oidcSubject, active: true, mustChangePassword: true, passwordChangedAt: now, createdAt: now,
        });
        await tx.flush();
        id = u.id;
        await addPasswordHistory(tx, u.id, hash, now);
        await recordChange(tx, actor, { action: 'user.create', objectType: 'user', objectId: username, detail: `新增用户 ${username}（${roles.join(',')}）`, after: userAudit(u) });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw refused(oidcSubject ? `用户名 ${username} 或统一身份认证账号已被使用` : `用户名 ${username} 已存在`, 'username');
      throw e;
    }
    return { user: await this.user(id, now), initialPassword };
  }

  private async mutate(actor: Actor, id: number, action: string, change: (u: User, tx: SqlEm) => Promise<string>, now: Date): Promise<UserView> {
    const em = this.em();
    await em.transactional(async (tx) => {
      const u = await tx.findOne(User, id);
      if (!u) throw notFound(`用户 ${id} 不存在`, 'id');
      if (u.username === actor.username) throw refused('不能通过用户管理修改自己的账号（请由另一位安全管理员操作）');
      const before = userAudit(u);
      const detail = await change(u, tx);
      await tx.flush();
      await this.keepOneSecurityAdmin(tx);
      await recordChange(tx, actor, { action, objectType: 'user', objectId: u.username, detail, before, after: userAudit(u) });
    });
    return this.user(id, now);
  }

  /** Refuses a change that would leave no active user able to manage users and roles. */
  private async keepOneSecurityAdmin(tx: SqlEm): Promise<void> {
    const managers = (await allRoles(tx)).filter((r) => r.permissions.includes('user:edit') && r.permissions.includes('role:edit')).map((r) => r.code);
    const users = await tx.find(User, { active: true });
    if (!users.some((u) => u.roles.split(',').some((c) => managers.includes(c)))) throw refused('至少要保留一位在用的安全管理员');
  }

  async updateUser(actor: Actor, id: number, input: UserInput, now = new Date()): Promise<UserView> {
    if (input.username !== undefined) throw fieldError('username', '用户名不能修改');
    const em = this.em();
    const displayName = str(input.displayName, 'displayName', '姓名', 32, false);
    const roles = input.roles === undefined ? undefined : await this.checkRoles(em, input.roles);
    const placeCode = input.placeCode === undefined ? undefined : await this.checkPlace(em, input.placeCode);
    const scope = input.scope === undefined ? undefined : await this.checkScope(em, input.scope);
    const oidcSubject = input.oidcSubject === undefined ? undefined : this.checkSubject(input.oidcSubject);
    if ([displayName, roles, placeCode, scope, oidcSubject].every((v) => v === undefined)) throw fieldError('displayName', '没有要修改的内容');
    try {
      return await this.mutate(actor, id, 'user.update', async (u, tx) => {
        const rolesChanged = roles !== undefined && roles.join(',') !== u.roles;
        if (displayName !== undefined) u.displayName = displayName;
        if (roles !== undefined) u.roles = roles.join(',');
        if (placeCode !== undefined) u.placeCode = placeCode ?? undefined;
        if (scope !== undefined) u.scopeJson = scope ? JSON.stringify(scope) : null;
        if (oidcSubject !== undefined) u.oidcSubject = oidcSubject;
        // New roles or scope take effect on the next request (sessions read them each time); a lost role must not linger in an open page.
        if (rolesChanged) await revokeSessionsOf(tx, u.id, 'roles', now);
        return `修改用户 ${u.username}`;
      }, now);
    } catch (e) {
      if (isUniqueViolation(e)) throw refused('该统一身份认证账号已对应其他用户', 'oidcSubject');
      throw e;
    }
  }

  async setActive(actor: Actor, id: number, active: boolean, now = new Date()): Promise<UserView> {
    return this.mutate(actor, id, active ? 'user.activate' : 'user.deactivate', async (u, tx) => {
      u.active = active;
      if (!active) await revokeSessionsOf(tx, u.id, 'deactivated', now);
      return `${active ? '启用' : '停用'}用户 ${u.username}`;
    }, now);
  }

  /** A one-time password the user must change at the next sign-in; their sessions end and a lock is lifted. */
  async resetPassword(actor: Actor, id: number, now = new Date()): Promise<{ initialPassword: string }> {
    const initialPassword = oneTimePassword();
    const hash = await hashPassword(initialPassword);
    await this.mutate(actor, id, 'user.reset-password', async (u, tx) => {
      u.passwordHash = hash;
      u.passwordChangedAt = now;
      u.mustChangePassword = true;
      await addPasswordHistory(tx, u.id, hash, now);
      await revokeSessionsOf(tx, u.id, 'reset', now);
      await clearLoginGuard(tx, guardKey(u.username));
      return `重置用户 ${u.username} 的密码`;
    }, now);
    return { initialPassword };
  }

  async unlock(actor: Actor, id: number, now = new Date()): Promise<UserView> {
    return this.mutate(actor, id, 'user.unlock', async (u, tx) => {
      await clearLoginGuard(tx, guardKey(u.username));
      return `解锁用户 ${u.username}`;
    }, now);
  }

  /** 重置动态口令: the user's authenticator is removed (lost phone); they enrol again at the next sign-in, and their sessions end. */
  async resetMfa(actor: Actor, id: number, now = new Date()): Promise<UserView> {
    return this.mutate(actor, id, 'user.reset-mfa', async (u, tx) => {
      const had = await resetMfa(tx, u.id);
      if (!had) throw new DomainError('E0013', `用户 ${u.username} 尚未绑定身份验证器`);
      await revokeSessionsOf(tx, u.id, 'mfa-reset', now);
      return `重置用户 ${u.username} 的动态口令（须重新绑定）`;
    }, now);
  }

  async revokeSessions(actor: Actor, id: number, now = new Date()): Promise<{ revoked: number }> {
    let revoked = 0;
    await this.mutate(actor, id, 'user.revoke-sessions', async (u, tx) => {
      revoked = await revokeSessionsOf(tx, u.id, 'admin', now);
      return `强制下线用户 ${u.username}（${revoked} 个会话）`;
    }, now);
    return { revoked };
  }

  async sessionsOf(id: number, now = new Date()): Promise<Array<UserSession<Date>>> {
    const em = this.em();
    if (!(await em.findOne(User, id))) throw notFound(`用户 ${id} 不存在`, 'id');
    return (await openSessionsOf(em, id))
      .filter((s) => !sessionEnded(s, this.deps.cfg.sessions, now))
      .map((s) => ({ id: s.id.slice(0, 8), createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, address: s.address }));
  }

  // ---- roles ----

  async roles(): Promise<Array<RoleRow & { kindName: string; users: number }>> {
    const em = this.em();
    const users = await em.find(User, {}, { fields: ['roles', 'active'] });
    return (await allRoles(em)).map((r) => ({
      ...r,
      kindName: ROLE_KIND_NAMES[r.kind as RoleKind] ?? r.kind,
      users: users.filter((u) => u.roles.split(',').includes(r.code)).length,
    }));
  }

  private checkPermissions(kind: RoleKind, v: unknown): string[] {
    if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) throw fieldError('permissions', '权限格式不正确');
    if (v.length > PERMISSIONS.length) throw fieldError('permissions', '权限过多');
    const codes = [...new Set(v as string[])];
    const problem = rolePermissionProblem(kind, codes);
    if (problem) throw refused(problem, 'permissions');
    // A button needs its menu: the page must open for the button to be used.
    return [...new Set([...codes, ...codes.map((c) => PERMISSIONS.find((p) => p.code === c)?.menu).filter((m): m is string => !!m)])].sort();
  }

  async createRole(actor: Actor, input: { code?: unknown; name?: unknown; kind?: unknown; permissions?: unknown }): Promise<RoleRow> {
    const code = str(input.code, 'code', '角色编码', 32, true)!;
    if (!ROLE_CODE.test(code)) throw fieldError('code', '角色编码为 2-32 位小写字母、数字、_ -，以字母开头');
    const name = str(input.name, 'name', '角色名称', 32, true)!;
    const kind = (input.kind ?? 'business') as RoleKind;
    if (kind !== 'business') throw fieldError('kind', ADMIN_KINDS.includes(kind) ? '三员角色是内置角色，不能再新增' : '角色类型不正确');
    const permissions = this.checkPermissions(kind, input.permissions ?? []);
    const em = this.em();
    try {
      await em.transactional(async (tx) => {
        await insertRole(tx, { code, name, kind, permissions });
        await recordChange(tx, actor, { action: 'role.create', objectType: 'role', objectId: code, detail: `新增角色 ${name}`, after: { code, name, kind, permissions } });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw refused(`角色编码 ${code} 已存在`, 'code');
      throw e;
    }
    return (await rolesOfCodes(this.em(), [code]))[0];
  }

  async updateRole(actor: Actor, code: string, input: { name?: unknown; permissions?: unknown }): Promise<RoleRow> {
    const em = this.em();
    const [role] = await rolesOfCodes(em, [code]);
    if (!role) throw notFound(`角色 ${code} 不存在`, 'code');
    const kind = role.kind as RoleKind;
    const name = str(input.name, 'name', '角色名称', 32, false);
    const permissions = input.permissions === undefined ? undefined : this.checkPermissions(kind, input.permissions);
    if (permissions && kind !== 'business' && permissions.join() !== [...role.permissions].sort().join()) {
      throw refused(`${ROLE_KIND_NAMES[kind]}角色的权限固定（三员分立），不能修改`, 'permissions');
    }
    if (name === undefined && permissions === undefined) throw fieldError('name', '没有要修改的内容');
    await em.transactional(async (tx) => {
      await updateRole(tx, code, { name, permissions });
      await recordChange(tx, actor, { action: 'role.update', objectType: 'role', objectId: code, detail: `修改角色 ${name ?? role.name}`, before: { name: role.name, permissions: role.permissions }, after: { name: name ?? role.name, permissions: permissions ?? role.permissions } });
    });
    return (await rolesOfCodes(this.em(), [code]))[0];
  }

  async deleteRole(actor: Actor, code: string): Promise<void> {
    const em = this.em();
    const [role] = await rolesOfCodes(em, [code]);
    if (!role) throw notFound(`角色 ${code} 不存在`, 'code');
    if (role.builtin) throw refused(`内置角色「${role.name}」不能删除`, 'code');
    const holders = (await em.find(User, {}, { fields: ['roles'] })).filter((u) => u.roles.split(',').includes(code));
    if (holders.length) throw refused(`角色「${role.name}」仍有 ${holders.length} 位用户使用，不能删除`, 'code');
    await em.transactional(async (tx) => {
      await deleteRole(tx, code);
      await recordChange(tx, actor, { action: 'role.delete', objectType: 'role', objectId: code, detail: `删除角色 ${role.name}`, before: { name: role.name, permissions: role.permissions } });
    });
  }

  // ---- billing points (for the scope picker) and collectors ----

  async points() {
    return pointTree(this.em());
  }

  async collectors(hospitalId: number) {
    return collectors(this.em(), hospitalId);
  }

  /** Replaces the HIS cashier mapping: each HIS code once, each to an active user. */
  async setCollectors(actor: Actor, hospitalId: number, v: unknown): Promise<void> {
    if (!Array.isArray(v)) throw fieldError('rows', '请提交开票员对照列表');
    if (v.length > 1000) throw fieldError('rows', '开票员对照最多 1000 条');
    const em = this.em();
    const active = new Set((await em.find(User, { active: true }, { fields: ['username'] })).map((u) => u.username));
    const seen = new Set<string>();
    const rows = v.map((r: Record<string, unknown>, i: number) => {
      if (!r || typeof r !== 'object') throw fieldError(`rows[${i}]`, '格式不正确');
      const hisCode = str(r.hisCode, `rows[${i}].hisCode`, 'HIS 收费员编码', 32, true)!;
      // The HIS sends its cashier as a code or as a name (收款人 李敏): letters of any script, digits, . _ - ·.
      if (!/^[\p{L}\p{N}_.\-·]{1,32}$/u.test(hisCode)) throw fieldError(`rows[${i}].hisCode`, 'HIS 收费员编码只能含文字、数字、. _ - ·');
      if (seen.has(hisCode)) throw fieldError(`rows[${i}].hisCode`, `HIS 收费员编码 ${hisCode} 重复`);
      seen.add(hisCode);
      const username = str(r.username, `rows[${i}].username`, '用户', 64, true)!;
      if (!active.has(username)) throw fieldError(`rows[${i}].username`, `用户 ${username} 不存在或已停用`);
      return { hisCode, hisName: str(r.hisName, `rows[${i}].hisName`, 'HIS 收费员姓名', 64, false) ?? null, username };
    });
    const before = await collectors(em, hospitalId);
    await em.transactional(async (tx) => {
      await replaceCollectors(tx, hospitalId, rows);
      await recordChange(tx, actor, { action: 'collector.update', objectType: 'collector', objectId: String(hospitalId), detail: `保存开票员对照 ${rows.length} 条`, before: before.map((b) => ({ hisCode: b.hisCode, username: b.username })), after: rows.map((b) => ({ hisCode: b.hisCode, username: b.username })) });
    });
  }
}

export const actorOf = (u: SessionUser, address?: string): Actor => ({ username: u.username, displayName: u.displayName, address });
