/**
 * The WeChat card pack (微信卡包) for fiscal non-tax e-bills (财政电子票据), WeChat's "票据插入用户卡包":
 *   POST {wechatUrl}/card/invoice/platform/setpdf?access_token=   multipart `pdf` -> { s_media_id }
 *   POST {wechatUrl}/nontax/insertbill?access_token=
 *     { order_id, card_id, appid, card_ext: { nonce_str, user_card: { invoice_user_data:
 *       { fee, title, billing_time, billing_no, billing_code, s_pdf_media_id } } } } -> { code, openid }
 * Field meanings follow WeChat's non-tax bill documentation: fee in fen, billing_time a 10-digit
 * unix time, billing_no the bill code (票据代码), billing_code the bill number (票据号码).
 * `openid` is also sent: our simulator has no user-authorisation step (real WeChat derives the
 * user from the authorisation of order_id; there the field is ignored).
 *
 * Idempotent per bill: order_id is the bill's code + number. WeChat refuses a second insert of
 * the same bill with 72042 (billing_code and billing_no repeated) or 72056 (order_id repeated);
 * after our own earlier attempt whose answer we lost, that means "already in the card pack", so it
 * is taken as success. The access token is the official account's, shared with WechatNotifier.
 */
import { promises as fsp } from 'node:fs';
import { describeFetchError, fetchJson, snippet } from './http';
import { NotifyPermanentError, type NoticeInput, type Notifier } from './notifier';
import { TOKEN_INVALID, type WechatNotifier } from './wechat';

const PERMANENT = new Map<number, string>([
  [40003, 'invalid openid'],
  [72031, 'invalid params'],
  [72040, 'invoice pdf error'],
  [40013, 'invalid appid'],
  [40125, 'invalid appsecret'],
  [48001, 'api unauthorized'],
]);
/** The bill is in the card pack already (our own earlier insert). */
const ALREADY = new Set([72042, 72056]);

export interface WechatCardOptions {
  url: string;
  appId: string;
  /** card_id of the non-tax bill card template (cfg.notify.wechat.cardId). */
  cardId: string;
  /** The official account's token source (the template-message notifier). */
  tokens: Pick<WechatNotifier, 'accessToken' | 'invalidate'>;
  timeoutMs?: number;
}

interface WxAnswer {
  errcode?: number;
  errmsg?: string;
  s_media_id?: string;
  code?: string;
  openid?: string;
}

export class WechatCardInserter implements Notifier {
  readonly channel = 'card' as const;
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: WechatCardOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** order_id of a bill: its code and number, so one bill is one card. */
  static orderId(n: Pick<NoticeInput, 'billBatchCode' | 'billNo'>): string {
    return `${n.billBatchCode}${n.billNo}`;
  }

  async send(n: NoticeInput): Promise<{ providerId: string }> {
    const openid = n.target.trim();
    if (!/^o[\w-]{5,}$/.test(openid)) throw new NotifyPermanentError('card', '40003', `wechat card: invalid openid "${openid}"`);
    if (n.scarlet || !n.totalFen || n.totalFen <= 0) throw new NotifyPermanentError('card', '72031', 'wechat card: only a bill with a positive amount goes into the card pack (not a red bill)');
    if (!n.pdfPath) throw new Error('wechat card: the layout file is not ready');
    const pdf = await fsp.readFile(n.pdfPath);
    const media = await this.withToken('card/invoice/platform/setpdf', (token) => this.uploadPdf(token, pdf, `${n.billBatchCode}-${n.billNo}.pdf`));
    const body = {
      order_id: WechatCardInserter.orderId(n),
      card_id: this.opts.cardId,
      appid: this.opts.appId,
      openid,
      card_ext: {
        nonce_str: n.idempotencyKey,
        user_card: {
          invoice_user_data: {
            fee: n.totalFen,
            title: n.hospitalName,
            billing_time: Math.floor(n.issuedAt.getTime() / 1000),
            billing_no: n.billBatchCode,
            billing_code: n.billNo,
            s_pdf_media_id: media.s_media_id,
          },
        },
      },
    };
    const r = await this.withToken('nontax/insertbill', (token) => this.postJson(token, 'nontax/insertbill', body));
    if (r.errcode === 0) return { providerId: r.code ? String(r.code) : body.order_id };
    if (r.errcode !== undefined && ALREADY.has(r.errcode)) return { providerId: `already:${body.order_id}` };
    throw this.failure('nontax/insertbill', openid, r);
  }

  private failure(path: string, openid: string, r: WxAnswer): Error {
    const msg = `wechat ${this.base}/${path} refused ${openid}: errcode ${r.errcode} ${r.errmsg ?? ''}`.trim();
    return r.errcode !== undefined && PERMANENT.has(r.errcode) ? new NotifyPermanentError('card', String(r.errcode), msg) : new Error(msg);
  }

  /** Calls with the cached token; once more with a fresh token when WeChat says it is stale. */
  private async withToken(path: string, call: (token: string) => Promise<WxAnswer>): Promise<WxAnswer & { s_media_id: string }> {
    let token = await this.opts.tokens.accessToken();
    let r = await call(token);
    if (r.errcode !== undefined && TOKEN_INVALID.has(r.errcode)) {
      this.opts.tokens.invalidate(token);
      token = await this.opts.tokens.accessToken();
      r = await call(token);
    }
    if (path === 'card/invoice/platform/setpdf' && (r.errcode !== 0 || !r.s_media_id)) throw this.failure(path, '(pdf)', r);
    return r as WxAnswer & { s_media_id: string };
  }

  private async uploadPdf(token: string, pdf: Buffer, filename: string): Promise<WxAnswer> {
    const url = `${this.base}/card/invoice/platform/setpdf?access_token=${encodeURIComponent(token)}`;
    const form = new FormData();
    form.append('pdf', new Blob([pdf], { type: 'application/pdf' }), filename);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { method: 'POST', body: form, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (e) {
      throw new Error(`wechat ${this.base}/card/invoice/platform/setpdf: ${describeFetchError(e, this.timeoutMs)}`);
    }
    return this.answer('card/invoice/platform/setpdf', res.status, text);
  }

  private async postJson(token: string, path: string, body: unknown): Promise<WxAnswer> {
    const r = await fetchJson('wechat', `${this.base}/${path}?access_token=${encodeURIComponent(token)}`, { method: 'POST', body, timeoutMs: this.timeoutMs });
    return this.answer(path, r.status, r.text);
  }

  private answer(path: string, status: number, text: string): WxAnswer {
    let b: WxAnswer | undefined;
    try {
      b = JSON.parse(text) as WxAnswer;
    } catch {
      b = undefined;
    }
    if (status !== 200 || !b || typeof b.errcode !== 'number') throw new Error(`wechat ${this.base}/${path} answered HTTP ${status}: ${snippet(text)}`);
    return b;
  }
}
