/**
 * Single sign-on with the hospital's identity platform (issue 14 point 3; README: Security,
 * "统一身份认证 (OIDC)"). OpenID Connect, authorization code flow (adapters/oidc/client.ts,
 * openid-client):
 * - `start`: a new authorization request with PKCE (S256), `state` and `nonce`; the verifier and
 *   nonce stay on the server (`oidc_login`, keyed by the HMAC of the state), the state also goes to
 *   the browser in a short-lived HttpOnly cookie (api/console/auth.ts), so a callback is accepted
 *   only in the browser that started it (no login CSRF) and only once (the row is deleted on use);
 * - `callback`: the code exchanged, the ID token validated by the library (signature, issuer,
 *   audience, expiry, nonce); its `sub` — scoped by the one issuer the platform trusts
 *   (MEDBILL_OIDC_ISSUER; the issuer is checked and kept with the session) — is looked up as
 *   `user.oidc_subject`, set by the security administrator (系统管理 → 用户);
 * - a subject the platform does not know, an inactive user, or an administrator opens no session
 *   and is a failed sign-in in the operation log. The three administrators keep their password and
 *   the platform's second factor (they are refused here); for a business user the identity platform
 *   is the authenticator, and its second-factor policy is the hospital's (the platform's TOTP is not
 *   asked of a single sign-on session);
 * - a known, active business user gets a session exactly as a password sign-in makes it
 *   (SignInService.openExternalSession); its logout also answers the identity platform's
 *   end-session URL (RP-initiated logout with id_token_hint and post_logout_redirect_uri).
 * No token, code, verifier or nonce is ever logged.
 */
import { hmacSm3Hex } from '../common/gm';
import { ADMIN_KINDS, mfaRequired, type RoleKind } from '../domain/permissions';
import type { OidcConfig } from '../config/oidc';
import { OidcClient, OidcProtocolError, OidcUnavailableError } from '../adapters/oidc/client';
import { User } from '../orm/entities';
import { rolesOfCodes } from '../orm/repositories/rbac';
import { insertOidcLogin, pruneOidcLogins, takeOidcLogin } from '../orm/repositories/sessions';
import { recordOperation, useOperationLog } from './operation-log';
import type { SignInService, SignedIn } from './sign-in';
import type { Deps } from './deps';

/** How long the identity platform may take between start and callback (the person types a password there). */
export const OIDC_REQUEST_TTL_MS = 10 * 60_000;

/**
 * Why a single sign-on attempt opened no session (the console's `sso_error`): `disabled` off;
 * `state` an unknown, used, expired or foreign state; `denied` the identity platform answered an
 * error (the person cancelled); `unknown` a subject no user has; `inactive` the user is deactivated;
 * `admin` an administrator (password and TOTP only); `mfa` a user whose second factor is required
 * (finance) signed in at the identity platform without one (its `amr`); `protocol` the answer failed validation;
 * `unavailable` the identity platform could not be reached.
 */
export type SsoFailure = 'disabled' | 'state' | 'denied' | 'unknown' | 'inactive' | 'admin' | 'mfa' | 'protocol' | 'unavailable';

export type CallbackOutcome = { ok: true; signedIn: SignedIn } | { ok: false; error: SsoFailure; subject?: string };

/** The operation log's user name for an attempt no platform user is known for. */
const SSO_ACTOR = '统一身份认证';

/**
 * Whether a single sign-on may open a session as far as the second factor goes: a user whose second
 * factor is required (finance, with MEDBILL_MFA_ENFORCE=1) needs an ID token whose `amr` names one
 * of `mfaAmr` (the identity platform used a second factor); everyone else needs nothing more.
 */
export function ssoSecondFactorOk(roles: ReadonlyArray<{ code: string; kind: RoleKind }>, amr: readonly string[], mfaAmr: readonly string[], enforce: boolean): boolean {
  if (!enforce || !mfaRequired(roles)) return true;
  return amr.some((a) => mfaAmr.includes(a));
}

export class OidcService {
  private readonly client?: OidcClient;
  private readonly key: string;

  constructor(
    private readonly deps: Pick<Deps, 'orm' | 'masterKey'> & { cfg: { oidc: OidcConfig; sessions?: { mfaEnforce: boolean } } },
    private readonly signIn: SignInService,
    client?: OidcClient,
  ) {
    const o = deps.cfg.oidc;
    if (o.issuer) this.client = client ?? new OidcClient(o);
    this.key = hmacSm3Hex(deps.masterKey, 'medbill oidc state v1');
    useOperationLog(deps);
  }

  get enabled(): boolean {
    return !!this.client;
  }

  /** What the login page needs (public). */
  info(): { enabled: boolean; buttonText: string } {
    return { enabled: this.enabled, buttonText: this.deps.cfg.oidc.buttonText };
  }

  private stateHash(state: string): string {
    return hmacSm3Hex(this.key, state);
  }

  /** A new authorization request: the URL to send the browser to, and the state for its cookie. Throws SsoStartError. */
  async start(now = new Date()): Promise<{ url: string; state: string }> {
    if (!this.client) throw new SsoStartError('disabled');
    let req;
    try {
      req = await this.client.authorizationRequest();
    } catch (e) {
      throw new SsoStartError(e instanceof OidcUnavailableError ? 'unavailable' : 'protocol');
    }
    const em = this.deps.orm.em.fork();
    await pruneOidcLogins(em, new Date(now.getTime() - OIDC_REQUEST_TTL_MS));
    await insertOidcLogin(em, { stateHash: this.stateHash(req.state), verifier: req.verifier, nonce: req.nonce, at: now });
    return { url: req.url, state: req.state };
  }

  /**
   * The identity platform's redirect back: `query` its query string, `cookieState` the state cookie
   * of this browser. Never throws for a bad or replayed request: the outcome says why.
   */
  async callback(input: { query: string; cookieState: string | undefined; address: string; userAgent: string }, now = new Date()): Promise<CallbackOutcome> {
    if (!this.client) return { ok: false, error: 'disabled' };
    const em = this.deps.orm.em.fork();
    const fail = async (error: SsoFailure, detail: string, who?: { username: string; displayName?: string; objectId?: string }, subject?: string): Promise<CallbackOutcome> => {
      await recordOperation(em, {
        at: now, username: who?.username ?? SSO_ACTOR, displayName: who?.displayName, address: input.address, action: 'login-failed',
        objectType: 'user', objectId: who?.objectId ?? who?.username ?? null, result: 'refused', detail,
      });
      return { ok: false, error, subject };
    };
    const q = new URLSearchParams(input.query);
    const state = q.get('state') ?? '';
    if (!state || state.length > 256) return fail('state', '统一身份认证登录失败：回调缺少 state');
    // The request is used up whatever happens next: a state is never accepted twice.
    const pending = await takeOidcLogin(em, this.stateHash(state), new Date(now.getTime() - OIDC_REQUEST_TTL_MS));
    if (!pending) return fail('state', '统一身份认证登录失败：登录请求未知、已使用或已过期（state）');
    if (input.cookieState !== state) return fail('state', '统一身份认证登录失败：回调不属于发起登录的浏览器（state 与 Cookie 不符）');
    if (q.get('error')) return fail('denied', `统一身份认证登录失败：身份认证平台返回 ${q.get('error')!.slice(0, 64)}`);
    let id;
    try {
      id = await this.client.exchange(input.query, { state, nonce: pending.nonce, verifier: pending.verifier });
    } catch (e) {
      if (e instanceof OidcUnavailableError) return fail('unavailable', '统一身份认证登录失败：身份认证平台不可达');
      const why = e instanceof OidcProtocolError ? e.message : String(e);
      return fail('protocol', `统一身份认证登录失败：身份认证平台的应答未通过校验（${why.slice(0, 200)}）`);
    }
    if (id.issuer !== this.deps.cfg.oidc.issuer) return fail('protocol', '统一身份认证登录失败：ID Token 的签发方与配置不符');
    const subject = id.subject.slice(0, 128);
    const user = await em.findOne(User, { oidcSubject: subject });
    if (!user) {
      return fail('unknown', `统一身份认证账号（${subject}）尚未开通本平台权限`, { username: `${SSO_ACTOR}:${subject}`.slice(0, 64), objectId: subject }, subject);
    }
    const who = { username: user.username, displayName: user.displayName };
    if (!user.active) return fail('inactive', `统一身份认证登录失败：账号已停用（统一身份认证账号 ${subject}）`, who);
    const roles = await rolesOfCodes(em, user.roles.split(',').filter(Boolean));
    const kinds = roles.map((r) => r.kind as RoleKind);
    if (kinds.some((k) => ADMIN_KINDS.includes(k))) {
      return fail('admin', `统一身份认证登录失败：管理员须使用本地密码和动态口令登录（统一身份认证账号 ${subject}）`, who);
    }
    if (!ssoSecondFactorOk(roles.map((r, i) => ({ code: r.code, kind: kinds[i] })), id.amr ?? [], this.deps.cfg.oidc.mfaAmr, this.deps.cfg.sessions?.mfaEnforce ?? true)) {
      return fail('mfa', `统一身份认证登录失败：财务人员须经双因素认证登录，身份认证平台本次登录未使用双因素（amr：${(id.amr ?? []).join(',') || '无'}）`, who);
    }
    const signedIn = await this.signIn.openExternalSession(
      { userId: user.id, address: input.address, userAgent: input.userAgent, issuer: id.issuer, idToken: id.idToken, detail: `登录成功（统一身份认证，账号 ${subject}）` },
      now,
    );
    return { ok: true, signedIn };
  }

  /** The identity platform's end-session URL for a single sign-on session ending now, or undefined (off, none, unreachable). */
  async endSessionUrl(idToken: string): Promise<string | undefined> {
    if (!this.client) return undefined;
    try {
      return await this.client.endSessionUrl(idToken);
    } catch {
      return undefined;
    }
  }
}

export class SsoStartError extends Error {
  constructor(readonly reason: SsoFailure) {
    super(`single sign-on could not start: ${reason}`);
  }
}
