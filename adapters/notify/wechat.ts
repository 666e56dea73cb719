/**
 * WeChat template messages (official account):
 *   GET  {wechatUrl}/cgi-bin/token?grant_type=client_credential&appid=&secret=
 *   POST {wechatUrl}/cgi-bin/message/template/send?access_token=  { touser, template_id, url, data, client_msg_id }
 * The access token is cached until shortly before it expires and fetched once for all
 * concurrent sends; when WeChat says it is invalid or expired (40001, 40014, 42001) the
 * notifier fetches a new one and sends once more. client_msg_id (the idempotency key) makes
 * WeChat drop a repeated send. Neither the secret nor the token ever appears in an error.
 */
import { fetchJson, snippet } from './http';
import { NotifyPermanentError, type NoticeInput, type Notifier } from './notifier';
import { wechatData } from './texts';

/** Retrying cannot fix these: the openid, the template, the data, the account's credentials. */
const PERMANENT = new Map<number, string>([
  [40003, 'invalid openid'],
  [43004, 'the user does not follow the official account'],
  [43101, 'the user refuses messages'],
  [40037, 'invalid template_id'],
  [47001, 'data format error'],
  [47003, 'argument invalid'],
  [40013, 'invalid appid'],
  [40125, 'invalid appsecret'],
  [40164, 'caller IP not whitelisted'],
  [41002, 'appid missing'],
  [41004, 'appsecret missing'],
  [40002, 'invalid grant_type'],
]);
export const TOKEN_INVALID = new Set([40001, 40014, 42001]);

export interface WechatNotifierOptions {
  /** API base URL (cfg.notify.wechat.url), e.g. https://api.weixin.qq.com */
  url: string;
  appId: string;
  secret: string;
  /** The template of bill notices (issued, reversed). */
  templateId: string;
  /** The template of a refund's outcome, with its own keywords (wechatData). */
  refundTemplateId: string;
  timeoutMs?: number;
}

interface WxAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
  msgid?: number | string;
}

export class WechatNotifier implements Notifier {
  readonly channel = 'wechat' as const;
  private readonly base: string;
  private readonly timeoutMs: number;
  private token?: { value: string; expiresAt: number };
  private fetching?: Promise<string>;
  /** How many tokens were fetched (for tests and metrics). */
  tokenFetches = 0;

  constructor(private readonly opts: WechatNotifierOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(n: NoticeInput): Promise<{ providerId: string }> {
    const openid = n.target.trim();
    if (!openid) throw new NotifyPermanentError('wechat', '40003', 'wechat: no openid');
    const body = { touser: openid, template_id: n.refund ? this.opts.refundTemplateId : this.opts.templateId, url: n.h5Url, data: wechatData(n), client_msg_id: n.idempotencyKey };
    let token = await this.accessToken();
    let r = await this.post(token, body);
    if (r.errcode !== undefined && TOKEN_INVALID.has(r.errcode)) {
      this.invalidate(token);
      token = await this.accessToken();
      r = await this.post(token, body);
    }
    if (r.errcode === 0 && r.msgid !== undefined) return { providerId: String(r.msgid) };
    const msg = `wechat ${this.base}/cgi-bin/message/template/send refused ${openid}: errcode ${r.errcode} ${r.errmsg ?? ''}`.trim();
    if (r.errcode !== undefined && PERMANENT.has(r.errcode)) throw new NotifyPermanentError('wechat', String(r.errcode), msg);
    throw new Error(msg);
  }

  /** The cached token, or a new one (one request shared by concurrent callers). */
  accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return Promise.resolve(this.token.value);
    return (this.fetching ??= this.fetchToken().finally(() => (this.fetching = undefined)));
  }

  /** Forgets a token WeChat called invalid or expired (shared with the card-pack client). */
  invalidate(token: string): void {
    if (this.token?.value === token) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const q = new URLSearchParams({ grant_type: 'client_credential', appid: this.opts.appId, secret: this.opts.secret });
    const where = `wechat ${this.base}/cgi-bin/token`;
    const r = await fetchJson('wechat', `${this.base}/cgi-bin/token?${q}`, { method: 'GET', timeoutMs: this.timeoutMs });
    const b = r.body as WxAnswer | undefined;
    if (r.status !== 200 || !b) throw new Error(`${where} answered HTTP ${r.status}: ${snippet(r.text)}`);
    if (typeof b.access_token === 'string' && b.access_token) {
      this.tokenFetches++;
      const ttl = typeof b.expires_in === 'number' ? b.expires_in : 7200;
      // refresh 5 minutes early (WeChat keeps the old token valid for 5 minutes after a new one)
      this.token = { value: b.access_token, expiresAt: Date.now() + Math.max(60, ttl - 300) * 1000 };
      return b.access_token;
    }
    const msg = `${where} refused app ${this.opts.appId}: errcode ${b.errcode} ${b.errmsg ?? ''}`.trim();
    if (b.errcode !== undefined && PERMANENT.has(b.errcode)) throw new NotifyPermanentError('wechat', String(b.errcode), msg);
    throw new Error(msg);
  }

  private async post(token: string, body: unknown): Promise<WxAnswer> {
    const url = `${this.base}/cgi-bin/message/template/send?access_token=${encodeURIComponent(token)}`;
    const r = await fetchJson('wechat', url, { method: 'POST', body, timeoutMs: this.timeoutMs });
    const b = r.body as WxAnswer | undefined;
    if (r.status !== 200 || !b || typeof b.errcode !== 'number') {
      throw new Error(`wechat ${this.base}/cgi-bin/message/template/send answered HTTP ${r.status}: ${snippet(r.text)}`);
    }
    return b;
  }
}
