/**
 * SMS notices through an Aliyun-style gateway:
 *   POST {smsUrl}/send { phone, templateCode, params, bizId } -> { code: 'OK', bizId, messageId }
 * Business errors come back as HTTP 200 with a code. bizId is the idempotency key.
 */
import { fetchJson, snippet } from './http';
import { NotifyPermanentError, type NoticeInput, type Notifier } from './notifier';
import { SMS_TEMPLATE_CODE, SMS_SCARLET_TEMPLATE_CODE, SMS_REFUND_TEMPLATE_CODE, smsParams } from './texts';

/** Codes that retrying cannot fix: the number, the template, the signature or the request. */
const PERMANENT = new Set([
  'isv.MOBILE_NUMBER_ILLEGAL',
  'isv.MOBILE_COUNT_OVER_LIMIT',
  'isv.SMS_TEMPLATE_ILLEGAL',
  'isv.TEMPLATE_MISSING_PARAMETERS',
  'isv.TEMPLATE_PARAMS_ILLEGAL',
  'isv.SMS_SIGNATURE_ILLEGAL',
  'isv.PARAM_LENGTH_LIMIT',
  'isv.INVALID_PARAMETERS',
  'isv.INVALID_JSON_PARAM',
  'isv.BLACK_KEY_CONTROL_LIMIT',
  'isv.DENY_IP_RANGE',
]);
// Not listed, hence retried: isp.SYSTEM_ERROR, isv.BUSINESS_LIMIT_CONTROL (rate limit),
// isv.AMOUNT_NOT_ENOUGH (account balance), isv.OUT_OF_SERVICE, and anything unknown.

export interface SmsNotifierOptions {
  /** Gateway base URL (cfg.notify.sms.url); the path /send is appended. */
  url: string;
  templateCode?: string;
  /** The template for red bills (冲红). */
  scarletTemplateCode?: string;
  /** The template for a refund's outcome (退费). */
  refundTemplateCode?: string;
  /** The template of a verification code (单位通码取票). */
  codeTemplateCode?: string;
  timeoutMs?: number;
}

export class SmsNotifier implements Notifier {
  readonly channel = 'sms' as const;
  private readonly endpoint: string;
  private readonly templateCode: string;
  private readonly scarletTemplateCode: string;
  private readonly refundTemplateCode: string;
  private readonly codeTemplateCode: string;
  private readonly timeoutMs: number;

  constructor(opts: SmsNotifierOptions) {
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/send`;
    this.templateCode = opts.templateCode ?? SMS_TEMPLATE_CODE;
    this.scarletTemplateCode = opts.scarletTemplateCode ?? SMS_SCARLET_TEMPLATE_CODE;
    this.refundTemplateCode = opts.refundTemplateCode ?? SMS_REFUND_TEMPLATE_CODE;
    this.codeTemplateCode = opts.codeTemplateCode ?? 'SMS_MEDBILL_CODE';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(n: NoticeInput): Promise<{ providerId: string }> {
    const phone = n.target.replace(/[\s-]/g, '');
    if (!phone) throw new NotifyPermanentError('sms', 'isv.MOBILE_NUMBER_ILLEGAL', 'sms: no phone number');
    const r = await fetchJson('sms gateway', this.endpoint, {
      method: 'POST',
      body: { phone, templateCode: n.verificationCode ? this.codeTemplateCode : n.refund ? this.refundTemplateCode : n.scarlet ? this.scarletTemplateCode : this.templateCode, params: smsParams(n), bizId: n.idempotencyKey },
      timeoutMs: this.timeoutMs,
    });
    const b = r.body as { code?: string; message?: string; messageId?: string } | undefined;
    if (r.status !== 200 || !b || typeof b.code !== 'string') {
      throw new Error(`sms gateway ${this.endpoint} answered HTTP ${r.status}: ${snippet(r.text)}`);
    }
    if (b.code === 'OK' && b.messageId) return { providerId: String(b.messageId) };
    const msg = `sms gateway ${this.endpoint} refused ${phone}: ${b.code}${b.message ? ` (${b.message})` : ''}`;
    if (PERMANENT.has(b.code)) throw new NotifyPermanentError('sms', b.code, msg);
    throw new Error(msg);
  }
}
