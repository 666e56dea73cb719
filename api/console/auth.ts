/**
 * Console sign-in routes and the session check every console route runs (the rules and the
 * session store are services/sign-in.ts). The session travels only in the `medbill_session`
 * cookie: HttpOnly, SameSite=Strict, Secure over HTTPS; the login answer carries the user, never
 * the token.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { policyText, PASSWORD_MAX_LENGTH } from '../../domain/sign-in';
import { mfaRequired, permissionDef } from '../../domain/permissions';
import { SignInService, type OpenSession, type SessionUser } from '../../services/sign-in';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';

export type { SessionUser };
export const SESSION_COOKIE = 'medbill_session';

const services = new WeakMap<ApiContext, SignInService>();
/** The process's one sign-in service for this API (it holds the per-address failure counts). */
export function signInOf(api: ApiContext): SignInService {
  let s = services.get(api);
  if (!s) services.set(api, (s = new SignInService(api.deps)));
  return s;
}

/** Routes a user who must change the password may still reach. */
const WHILE_PASSWORD_CHANGE = new Set(['/api/auth/me', '/api/auth/password', '/api/auth/logout', '/api/auth/sessions']);

/** Sets ctx.state.user (and ctx.state.session), or answers 401; a user who must change the password reaches only the auth routes (403 E0008). */
export function requireUser(api: ApiContext) {
  return async (ctx: Context, next: Next) => {
    const session = await signInOf(api).authenticate(ctx.cookies.get(SESSION_COOKIE));
    if (!session) return sendError(ctx, new HttpError(401, 'E0004', '请先登录（未登录或会话已过期）'));
    if (session.user.passwordChange && !WHILE_PASSWORD_CHANGE.has(ctx.path)) {
      const why = session.user.passwordChange === 'reset' ? '密码已被重置' : '密码已过期';
      return sendError(ctx, new HttpError(403, 'E0008', `${why}，请先修改密码`));
    }
    ctx.state.user = session.user;
    ctx.state.session = session;
    await next();
  };
}

export function requireRole(...roles: string[]) {
  return async (ctx: Context, next: Next) => {
    const user = ctx.state.user as SessionUser;
    if (!roles.some((r) => user.roles.includes(r))) return sendError(ctx, new HttpError(403, 'E0005', `需要以下角色之一：${roles.join(', ')}`));
    await next();
  };
}

/** Admits a user holding any of `codes` (domain/permissions.ts), else 403 E0005 naming the permission in Chinese. */
export function requirePermission(...codes: string[]) {
  return async (ctx: Context, next: Next) => {
    const user = ctx.state.user as SessionUser;
    if (!codes.some((c) => user.permissions.includes(c))) {
      const names = codes.map((c) => permissionDef(c)?.name ?? c).join('、');
      return sendError(ctx, new HttpError(403, 'E0005', `需要权限：${names}`));
    }
    await next();
  };
}

function text(body: Record<string, unknown>, field: string, label: string, max: number): string {
  const v = body[field];
  if (typeof v !== 'string' || !v) throw new HttpError(400, 'E0010', `${field}: 请输入${label}`, field);
  if (v.length > max) throw new HttpError(400, 'E0010', `${field}: ${label}最多 ${max} 个字符`, field);
  return v;
}

export function mountAuthRoutes(router: Router, api: ApiContext): void {
  const signIn = signInOf(api);
  const cookie = (ctx: Context, value: string, maxAge: number) =>
    ctx.cookies.set(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/', maxAge, overwrite: true });

  router.post('/api/auth/login', async (ctx) => {
    try {
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const username = text(body, 'username', '用户名', 64);
      const password = text(body, 'password', '密码', PASSWORD_MAX_LENGTH);
      const r = await signIn.login({ username, password, address: ctx.ip, userAgent: ctx.get('user-agent') });
      cookie(ctx, r.token, api.deps.cfg.sessions.maxMs);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user: r.user, session: { idleMinutes: Math.round(api.deps.cfg.sessions.idleMs / 60_000) } };
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.post('/api/auth/logout', async (ctx) => {
    try {
      await signIn.logout(ctx.cookies.get(SESSION_COOKIE));
      cookie(ctx, '', 0);
      ctx.body = { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.get('/api/auth/me', requireUser(api), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const user = ctx.state.user as SessionUser;
    // mfa.enrolled stays false until TOTP enrolment lands (issue 14 point 3).
    ctx.body = { user: { ...user, mfa: { required: mfaRequired(user.roles.map((code, i) => ({ code, kind: user.roleKinds[i] }))), enrolled: false } }, passwordPolicy: policyText(signIn.policy) };
  });
  router.get('/api/auth/sessions', requireUser(api), async (ctx) => {
    ctx.body = { sessions: await signIn.sessionsOf(ctx.state.session as OpenSession) };
  });
  router.post('/api/auth/password', requireUser(api), async (ctx) => {
    try {
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const currentPassword = text(body, 'currentPassword', '当前密码', PASSWORD_MAX_LENGTH);
      const newPassword = text(body, 'newPassword', '新密码', PASSWORD_MAX_LENGTH);
      await signIn.changePassword(ctx.state.session as OpenSession, { currentPassword, newPassword });
      ctx.body = { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });
}
