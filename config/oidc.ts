/**
 * Single sign-on with the hospital's identity platform (`cfg.oidc`; README: Security, "统一身份认证
 * (OIDC)"): OpenID Connect, authorization code flow with PKCE (services/oidc.ts). An empty
 * MEDBILL_OIDC_ISSUER leaves single sign-on off and every user signs in with a password.
 */
import { baseUrl, oneOf } from './parse';

export const DEFAULT_OIDC_SCOPES = 'openid profile';
export const DEFAULT_OIDC_BUTTON_TEXT = '使用医院统一身份认证登录';
/** The callback path on the platform (api/console/auth.ts). */
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';
/** Where the identity platform sends the browser after its sign-out. */
export const OIDC_POST_LOGOUT_PATH = '/console/login';
export type LocalPasswords = 'admins' | 'all';

export interface OidcConfig {
  /** MEDBILL_OIDC_ISSUER: the identity platform's issuer URL (its discovery document is `{issuer}/.well-known/openid-configuration`); empty = single sign-on off. */
  issuer: string;
  /** MEDBILL_OIDC_CLIENT_ID: the platform's client id at the identity platform. */
  clientId: string;
  /** MEDBILL_OIDC_CLIENT_SECRET: its client secret (client_secret_basic). */
  clientSecret: string;
  /** MEDBILL_OIDC_REDIRECT_URL: the redirect URI registered at the identity platform; default `{MEDBILL_PUBLIC_URL}/api/auth/oidc/callback`. */
  redirectUrl: string;
  /** MEDBILL_OIDC_POST_LOGOUT_URL: where the identity platform returns the browser after sign-out; default `{MEDBILL_PUBLIC_URL}/console/login`. */
  postLogoutUrl: string;
  /** MEDBILL_OIDC_SCOPES: the scopes asked for (space-separated; must include openid). */
  scopes: string;
  /** MEDBILL_OIDC_BUTTON_TEXT: the text of the login page's single sign-on button. */
  buttonText: string;
  /**
   * MEDBILL_OIDC_LOCAL_PASSWORDS: who may still sign in with a password while single sign-on is on:
   * `admins` (the default: the three administrators only) or `all`.
   */
  localPasswords: LocalPasswords;
  /**
   * MEDBILL_OIDC_MFA_AMR: the `amr` values (RFC 8176) of an ID token that show the identity platform
   * used a second factor; a single sign-on of a user whose second factor is required (finance, with
   * MEDBILL_MFA_ENFORCE=1) is accepted only with one of them. Default `mfa otp hwk swk sms`.
   */
  mfaAmr: string[];
}

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])$/;

function url(name: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${v}"`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.test(u.hostname))) {
    throw new Error(`${name} must be an https:// URL (http:// only on this machine), got "${v}"`);
  }
  return v;
}

export const DEFAULT_OIDC_MFA_AMR = ['mfa', 'otp', 'hwk', 'swk', 'sms'];

function mfaAmrOf(v: string | undefined): string[] {
  if (v === undefined || v.trim() === '') return DEFAULT_OIDC_MFA_AMR;
  const list = v.trim().split(/[\s,]+/);
  for (const a of list) if (!/^[a-z0-9_-]{1,32}$/i.test(a)) throw new Error(`MEDBILL_OIDC_MFA_AMR must list amr values (letters, digits, _ -), got "${v}"`);
  return list;
}

export function loadOidcConfig(env: NodeJS.ProcessEnv, server: { publicUrl: string }): OidcConfig {
  const issuer = env.MEDBILL_OIDC_ISSUER ? baseUrl(url('MEDBILL_OIDC_ISSUER', env.MEDBILL_OIDC_ISSUER)) : '';
  const scopes = (env.MEDBILL_OIDC_SCOPES || DEFAULT_OIDC_SCOPES).trim().split(/\s+/).join(' ');
  if (!scopes.split(' ').includes('openid')) throw new Error(`MEDBILL_OIDC_SCOPES must include openid, got "${env.MEDBILL_OIDC_SCOPES}"`);
  const clientId = env.MEDBILL_OIDC_CLIENT_ID || '';
  if (issuer && !clientId) throw new Error('MEDBILL_OIDC_CLIENT_ID must be set when MEDBILL_OIDC_ISSUER is');
  return {
    issuer,
    clientId,
    clientSecret: env.MEDBILL_OIDC_CLIENT_SECRET || '',
    redirectUrl: env.MEDBILL_OIDC_REDIRECT_URL ? url('MEDBILL_OIDC_REDIRECT_URL', env.MEDBILL_OIDC_REDIRECT_URL) : `${server.publicUrl}${OIDC_CALLBACK_PATH}`,
    postLogoutUrl: env.MEDBILL_OIDC_POST_LOGOUT_URL ? url('MEDBILL_OIDC_POST_LOGOUT_URL', env.MEDBILL_OIDC_POST_LOGOUT_URL) : `${server.publicUrl}${OIDC_POST_LOGOUT_PATH}`,
    scopes,
    buttonText: env.MEDBILL_OIDC_BUTTON_TEXT || DEFAULT_OIDC_BUTTON_TEXT,
    localPasswords: oneOf('MEDBILL_OIDC_LOCAL_PASSWORDS', env.MEDBILL_OIDC_LOCAL_PASSWORDS, ['admins', 'all'] as const, 'admins'),
    mfaAmr: mfaAmrOf(env.MEDBILL_OIDC_MFA_AMR),
  };
}
