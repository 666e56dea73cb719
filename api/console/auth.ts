/**
 * Console sign-in routes and the session check every console route runs (the rules and the
 * session store are services/sign-in.ts). The session travels only in the `medbill_session`
 * cookie: HttpOnly, SameSite=Strict, Secure over HTTPS; the login answer carries the user, never
 * the token. Single sign-on (services/oidc.ts): `GET /api/auth/oidc` (public: on or off, the button's
 * text), `GET /api/auth/oidc/start` (302 to the identity platform) and `GET /api/auth/oidc/callback`
 * (302 back to the console: `/console/` signed in, or `/console/login?sso_error=...`; never an
 * error page).
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { policyText, PASSWORD_MAX_LENGTH } from '../../domain/sign-in';
import { permissionDef } from '../../domain/permissions';
import { SignInService, type OpenSession, type SessionUser } from '../../services/sign-in';
import { MfaService } from '../../services/mfa';
import { OidcService, OIDC_REQUEST_TTL_MS, SsoStartError, type SsoFailure } from '../../services/oidc';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';

export type { SessionUser };
export const SESSION_COOKIE = 'medbill_session';
/** The state of this browser's single sign-on request in flight (binds the callback to the browser that started it). */
export const OIDC_STATE_COOKIE = 'medbill_oidc';
const OIDC_COOKIE_PATH = '/api/auth/oidc';

const services = new WeakMap<ApiContext, SignInService>();
/** The process's one sign-in service for this API (it holds the per-address failure counts). */
export function signInOf(api: ApiContext): SignInService {
  let s = services.get(api);
  if (!s) services.set(api, (s = new SignInService(api.deps)));
  return s;
}

const oidcServices = new WeakMap<ApiContext, OidcService>();
/** The process's one single sign-on service for this API (it holds the discovered identity platform). */
export function oidcOf(api: ApiContext): OidcService {
  let s = oidcServices.get(api);
  if (!s) oidcServices.set(api, (s = new OidcService(api.deps, signInOf(api))));
  return s;
}

/** Routes a user who must change the password may still reach. */
const WHILE_PASSWORD_CHANGE = new Set(['/api/auth/me', '/api/auth/password', '/api/auth/logout', '/api/auth/sessions']);
/** Routes a user who must enrol a second factor first may still reach (after the password change, if one is due). */
const WHILE_MFA_ENROLMENT = new Set([...WHILE_PASSWORD_CHANGE, '/api/auth/mfa', '/api/auth/mfa/enrol', '/api/auth/mfa/confirm']);

/**
 * Sets ctx.state.user (and ctx.state.session), or answers 401; a user who must change the password
 * reaches only the auth routes (403 E0008), then one who must enrol a second factor only the
 * enrolment routes (403 E0009).
 */
export function requireUser(api: ApiContext) {
  return async (ctx: Context, next: Next) => {
    const session = await signInOf(api).authenticate(ctx.cookies.get(SESSION_COOKIE));
    if (!session) return sendError(ctx, new HttpError(401, 'E0004', '请先登录（未登录或会话已过期）'));
    if (session.user.passwordChange && !WHILE_PASSWORD_CHANGE.has(ctx.path)) {
      const why = session.user.passwordChange === 'reset' ? '密码已被重置' : '密码已过期';
      return sendError(ctx, new HttpError(403, 'E0008', `${why}，请先修改密码`));
    }
    // A single sign-on session: the identity platform is the authenticator (services/oidc.ts).
    if (session.user.mfa.required && !session.user.mfa.enrolled && session.user.signedInWith !== 'sso' && !WHILE_MFA_ENROLMENT.has(ctx.path)) {
      return sendError(ctx, new HttpError(403, 'E0009', '您的账号须使用双因素登录：请先绑定身份验证器（动态口令）'));
    }
    ctx.state.user = session.user;
    ctx.state.session = session;
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
      const code = body.code === undefined || body.code === '' ? undefined : text(body, 'code', '动态口令', 32);
      const r = await signIn.login({ username, password, code, address: ctx.ip, userAgent: ctx.get('user-agent') });
      cookie(ctx, r.token, api.deps.cfg.sessions.maxMs);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user: r.user, session: { idleMinutes: Math.round(api.deps.cfg.sessions.idleMs / 60_000) } };
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.post('/api/auth/logout', async (ctx) => {
    try {
      const r = await signIn.logout(ctx.cookies.get(SESSION_COOKIE));
      cookie(ctx, '', 0);
      // A single sign-on session: the console then opens the identity platform's logout.
      const endSessionUrl = r.ssoIdToken ? await oidc.endSessionUrl(r.ssoIdToken) : undefined;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = endSessionUrl ? { ok: true, endSessionUrl } : { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });
  // Single sign-on with the hospital's identity platform.
  const oidc = oidcOf(api);
  const stateCookie = (ctx: Context, value: string, maxAge: number) =>
    ctx.cookies.set(OIDC_STATE_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: OIDC_COOKIE_PATH, maxAge, overwrite: true });
  const toLogin = (ctx: Context, error: SsoFailure, subject?: string) => {
    const q = new URLSearchParams({ sso_error: error });
    if (subject) q.set('sso_subject', subject);
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`/console/login?${q}`);
  };
  router.get('/api/auth/oidc', async (ctx) => {
    ctx.body = oidc.info();
  });
  router.get('/api/auth/oidc/start', async (ctx) => {
    try {
      const r = await oidc.start();
      stateCookie(ctx, r.state, OIDC_REQUEST_TTL_MS);
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(r.url);
    } catch (e) {
      toLogin(ctx, e instanceof SsoStartError ? e.reason : 'unavailable');
    }
  });
  router.get('/api/auth/oidc/callback', async (ctx) => {
    const cookieState = ctx.cookies.get(OIDC_STATE_COOKIE);
    stateCookie(ctx, '', 0);
    try {
      const r = await oidc.callback({ query: ctx.querystring, cookieState, address: ctx.ip, userAgent: ctx.get('user-agent') });
      if (!r.ok) return toLogin(ctx, r.error, r.subject);
      cookie(ctx, r.signedIn.token, api.deps.cfg.sessions.maxMs);
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect('/console/');
    } catch {
      // e.g. the database: the person is sent back to the login page, never to an error page
      toLogin(ctx, 'unavailable');
    }
  });
  router.get('/api/auth/me', requireUser(api), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { user: ctx.state.user as SessionUser, passwordPolicy: policyText(signIn.policy) };
  });
  // Two-factor enrolment (services/mfa.ts): status, a new secret as a QR code, its confirmation with a code, new recovery codes.
  const mfa = new MfaService(api.deps);
  const me = (ctx: Context) => ctx.state.user as SessionUser;
  router.get('/api/auth/mfa', requireUser(api), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await mfa.status(api.deps.orm.em.fork(), me(ctx), api.deps.cfg.sessions.mfaEnforce);
  });
  router.post('/api/auth/mfa/enrol', requireUser(api), async (ctx) => {
    try {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await mfa.begin(me(ctx));
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.post('/api/auth/mfa/confirm', requireUser(api), async (ctx) => {
    try {
      const body = (await readJson(ctx)) as Record<string, unknown>;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await mfa.confirm(me(ctx), body?.code, new Date(), ctx.ip);
    } catch (e) {
      sendError(ctx, e);
    }
  });
  router.post('/api/auth/mfa/recovery-codes', requireUser(api), async (ctx) => {
    try {
      const body = (await readJson(ctx)) as Record<string, unknown>;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = await mfa.newRecoveryCodes(me(ctx), body?.code, new Date(), ctx.ip);
    } catch (e) {
      sendError(ctx, e);
    }
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
