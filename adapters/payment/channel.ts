/**
 * THE payment-channel adapter interface for refunds (money back to the patient). One
 * implementation per channel (WeChat Pay v3, Alipay), each built on the channel's maintained SDK.
 *
 * Idempotency: `outRefundNo` (WeChat `out_refund_no`, Alipay `out_request_no`) is fixed per refund
 * by the caller and passed through unchanged, so any number of retries of `refund` returns the
 * money once. Money is integer fen everywhere on this side.
 *
 * Errors: PaymentUnavailableError (E0080) may be retried with the same outRefundNo (network,
 * timeouts, 5xx, SYSTEM_ERROR, FREQUENCY_LIMITED, a response whose signature does not verify);
 * PaymentRejectedError (E0081) will not change on retry and carries the channel's own code and
 * message (workflows list it in nonRetryableErrorTypes).
 */
import { DomainError } from '../../common/errors';

export type PaymentChannelName = 'wechat' | 'alipay';
export type RefundState = 'processing' | 'success' | 'failed';

/** The paid order a refund goes back to: the hospital's order number or the channel's. */
export interface OrderRef {
  /** WeChat `out_trade_no` / Alipay `out_trade_no`. */
  outTradeNo?: string;
  /** WeChat `transaction_id` / Alipay `trade_no`. */
  transactionId?: string;
}

export interface RefundRequest {
  /** <= 64 characters [A-Za-z0-9_*@|-]; the same value refunds only once. */
  outRefundNo: string;
  orderRef: OrderRef;
  /** This refund's amount in fen (> 0). */
  amountFen: number;
  /** The order's paid total in fen (WeChat checks it against the order). */
  totalFen: number;
  reason?: string;
  /** Where the channel posts the result notice; default: the adapter's `{notifyBase}/pay/notify/{channel}`. */
  notifyUrl?: string;
}

export interface RefundResult {
  state: RefundState;
  outRefundNo: string;
  /** WeChat `refund_id`; Alipay has no refund id: its `trade_no`. */
  channelRefundId: string;
  /** The refund's amount in fen as the channel reports it. */
  amountFen?: number;
  /** When the money went back (success only), ISO 8601. */
  successTime?: string;
  /** For `failed`: the channel's status (WeChat ABNORMAL / CLOSED, Alipay REFUND_FAIL...). */
  failReason?: string;
  /** The channel's answer as received (for the record; never for decisions). */
  raw: unknown;
}

/** A verified (and, for WeChat, decrypted) refund result notice. */
export interface RefundNotice {
  channel: PaymentChannelName;
  /** The channel's notice id (WeChat `id`, Alipay `notify_id`); a duplicate delivery repeats it. */
  noticeId: string;
  outRefundNo: string;
  outTradeNo?: string;
  channelRefundId?: string;
  state: RefundState;
  amountFen?: number;
  successTime?: string;
  failReason?: string;
  raw: unknown;
}

export interface PaymentChannel {
  readonly name: PaymentChannelName;
  /** Asks for a refund. Accepted is not done: `processing` means query later or await the notice. */
  refund(req: RefundRequest): Promise<RefundResult>;
  /** The refund's current state. Alipay needs the order (its query names trade + request number). */
  queryRefund(outRefundNo: string, orderRef?: OrderRef): Promise<RefundResult>;
  /** Verifies a notice's signature (and decrypts it); throws PaymentNoticeError when it is not genuine. */
  verifyNotice(headers: Record<string, string | string[] | undefined>, body: string): RefundNotice;
}

export class PaymentUnavailableError extends DomainError {
  override name = 'PaymentUnavailableError';
  constructor(
    readonly channel: PaymentChannelName,
    message: string,
    /** The channel's code when it answered (SYSTEM_ERROR, ACQ.SYSTEM_ERROR...). */
    readonly channelCode?: string,
  ) {
    super('E0080', `${channel}: ${message}`);
  }
}

export class PaymentRejectedError extends DomainError {
  override name = 'PaymentRejectedError';
  constructor(
    readonly channel: PaymentChannelName,
    /** The channel's own code (INVALID_REQUEST, NOT_ENOUGH, ACQ.TRADE_NOT_EXIST...). */
    readonly channelCode: string,
    message: string,
    field?: string,
  ) {
    super('E0081', `${channel} ${channelCode}: ${message}`, field);
  }
}

export class PaymentNoticeError extends DomainError {
  override name = 'PaymentNoticeError';
  constructor(code: 'E0082' | 'E0083', message: string) {
    super(code, message);
  }
}

const OUT_REFUND_NO = /^[A-Za-z0-9_*@|-]{1,64}$/;

/** Checks a refund request before anything is sent (bad input never reaches the channel). */
export function checkRefundRequest(channel: PaymentChannelName, r: RefundRequest): void {
  const bad = (field: string, msg: string) => new PaymentRejectedError(channel, 'PARAM_ERROR', `${field}: ${msg}`, field);
  if (!OUT_REFUND_NO.test(r.outRefundNo ?? '')) throw bad('outRefundNo', 'required, 1-64 characters [A-Za-z0-9_*@|-]');
  if (!r.orderRef?.outTradeNo && !r.orderRef?.transactionId) throw bad('orderRef', 'outTradeNo or transactionId required');
  if (!Number.isSafeInteger(r.amountFen) || r.amountFen <= 0) throw bad('amountFen', 'must be a positive integer (fen)');
  if (!Number.isSafeInteger(r.totalFen) || r.totalFen < r.amountFen) throw bad('totalFen', 'must be an integer (fen) not below amountFen');
}

/** Case-insensitive single header value. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  return undefined;
}
