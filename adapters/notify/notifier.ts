/**
 * Patient notices when a bill is issued: SMS (noticeType 1201), e-mail (1202) and a WeChat
 * template message, each an adapter behind the one Notifier interface.
 *
 * Error contract: a permanent failure (the provider rejects the phone number, address or
 * openid, or our account/template configuration) throws NotifyPermanentError: do not retry.
 * Anything else (HTTP 5xx, 429, timeouts, network errors, provider "system busy") throws a
 * plain Error: retry with the same idempotencyKey, which every provider deduplicates on.
 */
export type NoticeChannel = 'sms' | 'email' | 'wechat' | 'card';

/** The channels as staff read them in the console (timelines, bill events). */
export const NOTICE_CHANNEL_NAMES: Record<NoticeChannel, string> = { sms: '短信', email: '邮件', wechat: '微信', card: '微信卡包' };

export interface NoticeInput {
  /** Stable per bill and channel (e.g. bill-42-sms): the provider's deduplication key. */
  idempotencyKey: string;
  /** A red bill (冲红) reversing an earlier one: the texts say so. */
  scarlet?: boolean;
  /** A non-medical bill (往来结算, 捐赠): the texts say 电子票据, not 医疗电子票据. */
  nonMedical?: boolean;
  /** Phone number, e-mail address or WeChat openid. */
  target: string;
  hospitalName: string;
  payer: string;
  billBatchCode: string;
  billNo: string;
  /** The bill's check code (校验码). */
  random: string;
  /** Amount in yuan as text, e.g. "123.45". */
  totalAmt: string;
  /** The patient's H5 page for this bill. */
  h5Url: string;
  issuedAt: Date;
  /** The amount in integer fen (the WeChat card pack wants fen). */
  totalFen?: number;
  /** Absolute path of the bill's layout file (PDF): the e-mail attachment, the card's PDF. */
  pdfPath?: string;
  /** A refund's outcome (退费结果) instead of a bill: the texts tell the result; h5Url is the refund's page. */
  refund?: RefundNoticeFacts;
  /** A verification code (单位通码取票, SMS only) instead of a bill: the text carries the code alone. */
  verificationCode?: string;
}

export interface RefundNoticeFacts {
  refundNo: string;
  /** done: money back (and the bill reversed/reissued); rejected: with the reason; withdrawn; bill_blocked: money back, new bill delayed. */
  result: 'done' | 'rejected' | 'withdrawn' | 'bill_blocked';
  /** yuan text */
  amount: string;
  reason?: string;
}

export interface Notifier {
  channel: NoticeChannel;
  /** Sends one notice; resolves to the provider's message id. */
  send(n: NoticeInput): Promise<{ providerId: string }>;
}

/**
 * The provider refused the notice for good (bad phone / address / openid, unknown template,
 * wrong credentials). `name` is the Temporal error type: list it in nonRetryableErrorTypes.
 */
export class NotifyPermanentError extends Error {
  constructor(
    readonly channel: NoticeChannel,
    /** The provider's error code, e.g. isv.MOBILE_NUMBER_ILLEGAL, 400, 40003. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NotifyPermanentError';
  }
}
