/**
 * 系统管理 routes (issue 14 points 1-2): users, roles and permissions, data scope, the HIS cashier
 * mapping. The rules are services/system.ts; every route checks a permission of the security
 * administrator's groups (domain/permissions.ts), so a system or audit administrator and every
 * business role get 403.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { fieldError } from '../../common/errors';
import { KIND_GROUPS, PERMISSIONS, ROLE_KIND_NAMES, type RoleKind } from '../../domain/permissions';
import { consoleHospitalId } from './hospital';
import { actorOf, SystemService } from '../../services/system';
import { HttpError, noStoreRoute, readJson } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';


export function mountSystemRoutes(router: Router, api: ApiContext): void {
  const system = new SystemService(api.deps);
  const auth = requireUser(api);
  const handle = noStoreRoute;
  const actor = (ctx: Context) => actorOf(ctx.state.user as SessionUser, ctx.ip);
  const body = async (ctx: Context) => {
    const b = await readJson(ctx);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'E0010', '请求内容应为 JSON 对象');
    return b as Record<string, unknown>;
  };
  const id = (ctx: Context) => {
    const n = Number(ctx.params.id);
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 31) throw fieldError('id', '用户编号应为正整数');
    return n;
  };
  const int = (v: unknown, field: string, dflt: number, max: number) => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw fieldError(field, `应为 1 至 ${max} 的整数`);
    return n;
  };
  const q = (ctx: Context, k: string, max = 64): string | undefined => {
    const v = ctx.query[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || v.length > max) throw fieldError(k, `最多 ${max} 个字符`);
    return v;
  };
  const hospitalId = () => consoleHospitalId(api);
  const users = [auth, requirePermission('menu:system-users')];
  const userEdit = [auth, requirePermission('user:edit')];
  const roles = [auth, requirePermission('menu:system-roles')];
  const roleEdit = [auth, requirePermission('role:edit')];

  router.get('/api/system/users', ...users, handle(async (ctx) => {
    const active = q(ctx, 'active');
    if (active !== undefined && active !== 'true' && active !== 'false') throw fieldError('active', '应为 true 或 false');
    return system.listUsers({ q: q(ctx, 'q'), role: q(ctx, 'role', 32), active: active === undefined ? undefined : active === 'true', page: int(ctx.query.page, 'page', 1, 10_000), pageSize: int(ctx.query.pageSize, 'pageSize', 20, 100) });
  }));
  router.post('/api/system/users', ...userEdit, handle(async (ctx) => {
    const b = await body(ctx);
    if (b.password !== undefined) throw fieldError('password', '初始密码由系统生成，不能指定');
    return system.createUser(actor(ctx), b);
  }, 201));
  router.get('/api/system/users/:id', ...users, handle(async (ctx) => ({ user: await system.user(id(ctx)) })));
  router.put('/api/system/users/:id', ...userEdit, handle(async (ctx) => ({ user: await system.updateUser(actor(ctx), id(ctx), await body(ctx)) })));
  router.post('/api/system/users/:id/deactivate', ...userEdit, handle(async (ctx) => ({ user: await system.setActive(actor(ctx), id(ctx), false) })));
  router.post('/api/system/users/:id/activate', ...userEdit, handle(async (ctx) => ({ user: await system.setActive(actor(ctx), id(ctx), true) })));
  router.post('/api/system/users/:id/reset-password', ...userEdit, handle(async (ctx) => system.resetPassword(actor(ctx), id(ctx))));
  router.post('/api/system/users/:id/unlock', ...userEdit, handle(async (ctx) => ({ user: await system.unlock(actor(ctx), id(ctx)) })));
  router.post('/api/system/users/:id/reset-mfa', ...userEdit, handle(async (ctx) => ({ user: await system.resetMfa(actor(ctx), id(ctx)) })));
  router.post('/api/system/users/:id/revoke-sessions', ...userEdit, handle(async (ctx) => system.revokeSessions(actor(ctx), id(ctx))));
  router.get('/api/system/users/:id/sessions', ...users, handle(async (ctx) => ({ sessions: await system.sessionsOf(id(ctx)) })));

  router.get('/api/system/roles', ...roles, handle(async () => ({ rows: await system.roles() })));
  router.get('/api/system/permissions', ...roles, handle(async () => ({
    permissions: PERMISSIONS,
    kinds: (Object.keys(KIND_GROUPS) as RoleKind[]).map((kind) => ({ kind, name: ROLE_KIND_NAMES[kind], groups: KIND_GROUPS[kind] })),
  })));
  router.post('/api/system/roles', ...roleEdit, handle(async (ctx) => ({ role: await system.createRole(actor(ctx), await body(ctx)) }), 201));
  router.put('/api/system/roles/:code', ...roleEdit, handle(async (ctx) => ({ role: await system.updateRole(actor(ctx), String(ctx.params.code).slice(0, 32), await body(ctx)) })));
  router.delete('/api/system/roles/:code', ...roleEdit, handle(async (ctx) => {
    await system.deleteRole(actor(ctx), String(ctx.params.code).slice(0, 32));
    return { ok: true };
  }));

  router.get('/api/system/points', auth, requirePermission('menu:system-users', 'menu:points'), handle(async () => ({ rows: await system.points() })));
  router.get('/api/system/collectors', auth, requirePermission('menu:collectors'), handle(async () => ({ rows: await system.collectors(await hospitalId()) })));
  router.put('/api/system/collectors', auth, requirePermission('collector:edit'), handle(async (ctx) => {
    const b = await body(ctx);
    await system.setCollectors(actor(ctx), await hospitalId(), b.rows);
    return { rows: await system.collectors(await hospitalId()) };
  }));
}
