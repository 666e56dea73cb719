/**
 * The hospital's identity platform (OpenID Connect), through openid-client (panva; v6 is ESM-only:
 * loaded with a dynamic import, which this CommonJS build turns into Node's require of an ES
 * module). Discovery, the authorization URL with PKCE (S256), state and nonce, the code exchange
 * with the library's ID token validation (signature, iss, aud, exp, nonce), and the end-session
 * URL. Knows nothing of users or sessions (services/oidc.ts).
 */
import type * as Oidc from 'openid-client';
import type { OidcConfig } from '../../config/oidc';

/** What the client needs of `cfg.oidc` (config/oidc.ts). */
export type OidcClientSettings = Pick<OidcConfig, 'issuer' | 'clientId' | 'clientSecret' | 'redirectUrl' | 'postLogoutUrl' | 'scopes'>;

export interface AuthorizationRequest {
  url: string;
  state: string;
  nonce: string;
  verifier: string;
}

export interface IdentityResult {
  issuer: string;
  subject: string;
  idToken: string;
  /** The ID token's authentication methods (`amr`) and context (`acr`), when the identity platform sends them. */
  amr: string[];
  acr?: string;
}

/** An answer of the identity platform or a check of its answer failed (the message is the library's, for the log). */
export class OidcProtocolError extends Error {}
/** The identity platform could not be reached (discovery, token endpoint). */
export class OidcUnavailableError extends Error {}

type Lib = typeof Oidc;
let lib: Promise<Lib> | undefined;
const load = (): Promise<Lib> => (lib ??= import('openid-client'));

const isLoopbackHttp = (u: string) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(u);

export class OidcClient {
  private configuration?: Promise<Oidc.Configuration>;

  constructor(private readonly s: OidcClientSettings) {}

  /** The discovered configuration (cached; a failed discovery is tried again at the next call). */
  private async config(): Promise<{ o: Lib; c: Oidc.Configuration }> {
    const o = await load();
    if (!this.configuration) {
      const options = isLoopbackHttp(this.s.issuer) ? { execute: [o.allowInsecureRequests] } : undefined;
      this.configuration = o.discovery(new URL(this.s.issuer), this.s.clientId, undefined, o.ClientSecretBasic(this.s.clientSecret), options);
      this.configuration.catch(() => (this.configuration = undefined));
    }
    try {
      return { o, c: await this.configuration };
    } catch (e) {
      throw new OidcUnavailableError(`discovery of ${this.s.issuer} failed: ${(e as Error).message}`);
    }
  }

  async authorizationRequest(): Promise<AuthorizationRequest> {
    const { o, c } = await this.config();
    const verifier = o.randomPKCECodeVerifier();
    const state = o.randomState();
    const nonce = o.randomNonce();
    const url = o.buildAuthorizationUrl(c, {
      redirect_uri: this.s.redirectUrl,
      scope: this.s.scopes,
      code_challenge: await o.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, nonce, verifier };
  }

  /**
   * Exchanges the callback's code (`query`: the callback's query string) for tokens and validates
   * the ID token; `expected` is what the authorization request kept.
   */
  async exchange(query: string, expected: { state: string; nonce: string; verifier: string }): Promise<IdentityResult> {
    const { o, c } = await this.config();
    const current = new URL(this.s.redirectUrl);
    current.search = query;
    let tokens: Awaited<ReturnType<Lib['authorizationCodeGrant']>>;
    try {
      tokens = await o.authorizationCodeGrant(c, current, { pkceCodeVerifier: expected.verifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true });
    } catch (e) {
      const err = e as Error;
      // fetch() failing (connection refused, reset) is a TypeError; everything else is an answer refused
      if (err instanceof TypeError) throw new OidcUnavailableError(err.message);
      throw new OidcProtocolError(`${err.name}: ${err.message}`);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new OidcProtocolError('no ID token in the token answer');
    if (claims.iss !== c.serverMetadata().issuer) throw new OidcProtocolError('the ID token names another issuer');
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((a): a is string => typeof a === 'string') : [];
    return { issuer: claims.iss, subject: claims.sub, idToken: tokens.id_token, amr, acr: typeof claims.acr === 'string' ? claims.acr : undefined };
  }

  /** The identity platform's end-session URL (RP-initiated logout), or undefined when it has none. */
  async endSessionUrl(idToken: string | undefined): Promise<string | undefined> {
    const { o, c } = await this.config();
    if (!c.serverMetadata().end_session_endpoint) return undefined;
    const params: Record<string, string> = { post_logout_redirect_uri: this.s.postLogoutUrl, client_id: this.s.clientId };
    if (idToken) params.id_token_hint = idToken;
    return o.buildEndSessionUrl(c, params).href;
  }
}
