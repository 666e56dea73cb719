/**
 * Simulator of the hospital's identity platform (统一身份认证): a real OpenID Connect provider
 * (oidc-provider, panva; ESM-only, loaded with a dynamic import) with an in-memory store, one
 * client (the platform) and a few accounts, for the tests and the demo. Its interaction pages are
 * plain HTML forms a test drives with fetch (no browser needed):
 *
 *   GET  /interaction/:uid         the sign-in form (account, password)
 *   POST /interaction/:uid/login   login=<account>&password=<password> -> 303 back to the provider;
 *                                  a wrong password shows the form again (200, 账号或密码错误)
 *   everything else: oidc-provider (discovery, /auth, /token, /jwks, /me, /session/end ...);
 *   consent is granted at once for the platform's client (a first-party application).
 * RP-initiated logout (/session/end) shows oidc-provider's confirmation form (`xsrf`, logout=yes).
 */
import * as http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SIM_HOST, SIM_OIDC_CLIENT_ID, SIM_OIDC_CLIENT_SECRET } from '../../config/simulators';

export interface SimAccount {
  /** The account name typed at the sign-in form; also its `sub`. */
  id: string;
  password: string;
  name: string;
  /** Authentication methods the ID token names (`amr`). */
  amr?: string[];
}

/** The demo accounts: `sso-finance` is mapped to the demo user finance, `sso-stranger` to nobody. */
export const SIM_OIDC_ACCOUNTS: SimAccount[] = [
  { id: 'sso-finance', password: 'Sso#2026', name: '财务科 王会计（统一身份认证）', amr: ['pwd', 'otp'] },
  { id: 'sso-cashier', password: 'Sso#2026', name: '门诊收费员 李敏（统一身份认证）', amr: ['pwd'] },
  { id: 'sso-secadmin', password: 'Sso#2026', name: '安全管理员 吴静（统一身份认证）', amr: ['pwd'] },
  { id: 'sso-stranger', password: 'Sso#2026', name: '外院进修医生（统一身份认证）', amr: ['pwd'] },
];

export interface OidcSimOptions {
  port: number;
  host?: string;
  /** The platform's redirect URIs (its callback) and post-logout redirect URIs. */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  clientId?: string;
  clientSecret?: string;
  accounts?: SimAccount[];
}

export interface OidcSim {
  issuer: string;
  port: number;
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

async function formOf(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) break;
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcSim(opts: OidcSimOptions): Promise<OidcSim> {
  const { default: Provider } = await import('oidc-provider');
  const host = opts.host ?? SIM_HOST;
  const accounts = new Map((opts.accounts ?? SIM_OIDC_ACCOUNTS).map((a) => [a.id, a]));
  const issuer = `http://${host}:${opts.port}`;
  const clientId = opts.clientId ?? SIM_OIDC_CLIENT_ID;
  const jwk = { ...(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'sim-1', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: opts.clientSecret ?? SIM_OIDC_CLIENT_SECRET,
      redirect_uris: opts.redirectUris,
      post_logout_redirect_uris: opts.postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name'] },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const a = accounts.get(sub);
      return a && { accountId: a.id, claims: async () => ({ sub: a.id, name: a.name }) };
    },
    // The platform is a first-party client: its consent is implied.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  const loginForm = (uid: string, error = '') =>
    page('医院统一身份认证（模拟）', `${error ? `<p class="error">${esc(error)}</p>` : ''}<form method="post" action="/interaction/${esc(uid)}/login">` +
      '<label>账号 <input name="login" autocomplete="username"></label> <label>密码 <input name="password" type="password"></label> <button type="submit">登录</button></form>');

  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    };
    try {
      const details = await provider.interactionDetails(req, res);
      const login = /\/login$/.test(path);
      if (req.method === 'GET' && !login) {
        if (details.prompt.name === 'login') return send(200, loginForm(details.uid));
        // consent is implied (loadExistingGrant): nothing else to ask
        return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
      }
      if (req.method === 'POST' && login) {
        const form = await formOf(req);
        const a = accounts.get(form.get('login') ?? '');
        if (!a || a.password !== form.get('password')) return send(200, loginForm(details.uid, '账号或密码错误'));
        return provider.interactionFinished(req, res, { login: { accountId: a.id, amr: a.amr } }, { mergeWithLastSubmission: false });
      }
      send(405, page('不支持的请求', ''));
    } catch (e) {
      send(400, page('登录请求已失效', `<p>${esc((e as Error).message)}</p>`));
    }
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/interaction/')) return void interaction(req, res, path);
    callback(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    issuer,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
