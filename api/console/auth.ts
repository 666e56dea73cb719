/**
 * Console sign-in: scrypt passwords, a session token `userId.expiresAt.hmac` (HMAC-SM3 with a key
 * derived from the master key) carried in an HttpOnly cookie or an Authorization bearer header.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { hmacSm3Hex } from '../../common/gm';
import { safeEqual } from '../../common/compare';
import { verifyPassword } from '../../common/password';
import { User } from '../../orm/entities';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';

export const SESSION_COOKIE = 'medbill_session';
const SESSION_HOURS = 12;

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  placeCode?: string;
}

const sessionKey = (api: ApiContext) => hmacSm3Hex(api.deps.masterKey, 'medbill console session v1');

export function issueToken(api: ApiContext, userId: number, now = Date.now()): string {
  const exp = now + SESSION_HOURS * 3600_000;
  return `${userId}.${exp}.${hmacSm3Hex(sessionKey(api), `${userId}.${exp}`)}`;
}

export function readToken(api: ApiContext, token: string | undefined): number | undefined {
  if (!token) return undefined;
  const [id, exp, mac] = token.split('.');
  if (!id || !exp || !mac || Number(exp) < Date.now()) return undefined;
  return safeEqual(hmacSm3Hex(sessionKey(api), `${id}.${exp}`), mac) ? Number(id) : undefined;
}

const view = (u: User): SessionUser => ({ id: u.id, username: u.username, displayName: u.displayName, roles: u.roles.split(',').filter(Boolean), placeCode: u.placeCode });

/** Sets ctx.state.user, or answers 401. */
export function requireUser(api: ApiContext) {
  return async (ctx: Context, next: Next) => {
    const bearer = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    const id = readToken(api, bearer ?? ctx.cookies.get(SESSION_COOKIE));
    const user = id ? await api.deps.orm.em.fork().findOne(User, { id, active: true }) : null;
    if (!user) return sendError(ctx, new HttpError(401, 'E0004', '请先登录 (not signed in or session expired)'));
    ctx.state.user = view(user);
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

export function mountAuthRoutes(router: Router, api: ApiContext): void {
  router.post('/api/auth/login', async (ctx) => {
    try {
      const body = (await readJson(ctx)) as { username?: unknown; password?: unknown };
      if (typeof body.username !== 'string' || !body.username) throw new HttpError(400, 'E0010', 'username: 请输入用户名', 'username');
      if (typeof body.password !== 'string' || !body.password) throw new HttpError(400, 'E0010', 'password: 请输入密码', 'password');
      const user = await api.deps.orm.em.fork().findOne(User, { username: body.username });
      if (!user || !user.active || !verifyPassword(body.password, user.passwordHash)) throw new HttpError(401, 'E0004', '用户名或密码错误');
      const token = issueToken(api, user.id);
      ctx.cookies.set(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', maxAge: SESSION_HOURS * 3600_000, overwrite: true });
      ctx.body = { token, user: view(user) };
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.post('/api/auth/logout', async (ctx) => {
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, maxAge: 0, overwrite: true });
    ctx.body = { ok: true };
  });
  router.get('/api/auth/me', requireUser(api), async (ctx) => {
    ctx.body = { user: ctx.state.user };
  });
}
