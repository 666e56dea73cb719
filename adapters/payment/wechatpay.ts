/**
 * WeChat Pay API v3 refunds on the `wechatpay-axios-plugin` SDK (the one WeChat Pay's docs link):
 * it signs every request (`Authorization: WECHATPAY2-SHA256-RSA2048 ...` with the merchant's RSA
 * key) and verifies every 2xx answer's `Wechatpay-Signature` with the WeChat Pay public key.
 * Notices are verified and decrypted with the SDK's Rsa / Formatter / Aes.AesGcm helpers.
 *
 *   POST /v3/refund/domestic/refunds                  refund (accepted = PROCESSING, usually)
 *   GET  /v3/refund/domestic/refunds/{out_refund_no}  query
 */
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { failureCode } from '../exchange-code';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import {
  checkRefundRequest,
  header,
  PaymentNoticeError,
  PaymentRejectedError,
  PaymentUnavailableError,
  type OrderRef,
  type PaymentChannel,
  type RefundNotice,
  type RefundRequest,
  type RefundResult,
  type RefundState,
} from './channel';

export interface WeChatPayOptions {
  /** API base URL, e.g. https://api.mch.weixin.qq.com or the simulator's. */
  baseUrl: string;
  mchId: string;
  /** Merchant API certificate serial number. */
  serial: string;
  /** Merchant API private key (PEM). */
  privateKey: string;
  /** WeChat Pay public key ID (PUB_KEY_ID_...) or platform certificate serial. */
  platformSerial: string;
  /** WeChat Pay public key (PEM). */
  platformPublicKey: string;
  /** The APIv3 key (32 bytes): decrypts notice resources. */
  apiV3Key: string;
  /** Default notify_url of refunds. */
  notifyUrl: string;
  timeoutMs?: number;
  /** The exchange log: one entry per API call (keys and signatures are not part of the recorded body). */
  exchangeLog?: ExchangeSink;
}

/** The notice signature may be this old (s): WeChat Pay's guidance against replays. */
const MAX_NOTICE_AGE_S = 300;
/** Codes that mean "try again later with the same out_refund_no". */
const RETRYABLE = new Set(['SYSTEM_ERROR', 'FREQUENCY_LIMITED', 'BANK_ERROR']);

interface WxRefund {
  refund_id: string;
  out_refund_no: string;
  transaction_id?: string;
  out_trade_no?: string;
  status: 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';
  success_time?: string;
  amount?: { refund?: number; total?: number };
}

function stateOf(status: string): RefundState {
  if (status === 'SUCCESS') return 'success';
  if (status === 'PROCESSING') return 'processing';
  return 'failed';
}

function toResult(r: WxRefund): RefundResult {
  const state = stateOf(r.status);
  return {
    state,
    outRefundNo: r.out_refund_no,
    channelRefundId: r.refund_id,
    amountFen: r.amount?.refund,
    successTime: state === 'success' ? r.success_time : undefined,
    failReason: state === 'failed' ? r.status : undefined,
    raw: r,
  };
}

export class WeChatPayChannel implements PaymentChannel {
  readonly name = 'wechat' as const;
  private readonly wx: ReturnType<typeof createClient>;

  constructor(private readonly opts: WeChatPayOptions) {
    this.wx = createClient(opts);
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    checkRefundRequest('wechat', req);
    const body = {
      ...(req.orderRef.transactionId ? { transaction_id: req.orderRef.transactionId } : { out_trade_no: req.orderRef.outTradeNo }),
      out_refund_no: req.outRefundNo,
      ...(req.reason ? { reason: req.reason.slice(0, 80) } : {}),
      notify_url: req.notifyUrl ?? this.opts.notifyUrl,
      amount: { refund: req.amountFen, total: req.totalFen, currency: 'CNY' },
    };
    const keys = { refundNo: req.outRefundNo, orderNo: req.orderRef.outTradeNo ?? req.orderRef.transactionId };
    return toResult(await this.call('POST /v3/refund/domestic/refunds', keys, body, () => this.wx.v3.refund.domestic.refunds.post(body)));
  }

  async queryRefund(outRefundNo: string, _orderRef?: OrderRef): Promise<RefundResult> {
    const keys = { refundNo: outRefundNo, orderNo: _orderRef?.outTradeNo ?? _orderRef?.transactionId };
    return toResult(await this.call('GET /v3/refund/domestic/refunds/{out_refund_no}', keys, { out_refund_no: outRefundNo }, () => this.wx.v3.refund.domestic.refunds._out_refund_no_.get({ out_refund_no: outRefundNo })));
  }

  verifyNotice(headers: Record<string, string | string[] | undefined>, body: string): RefundNotice {
    const [timestamp, nonce, serial, signature] = ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Serial', 'Wechatpay-Signature'].map((h) => header(headers, h));
    if (!timestamp || !nonce || !serial || !signature) throw new PaymentNoticeError('E0082', 'wechat notice: Wechatpay-Timestamp/-Nonce/-Serial/-Signature headers required');
    if (serial !== this.opts.platformSerial) throw new PaymentNoticeError('E0082', `wechat notice: unknown Wechatpay-Serial ${serial}`);
    if (!/^\d+$/.test(timestamp) || Math.abs(Formatter.timestamp() - Number(timestamp)) > MAX_NOTICE_AGE_S)
      throw new PaymentNoticeError('E0082', `wechat notice: Wechatpay-Timestamp ${timestamp} too far from now`);
    let ok = false;
    try {
      ok = Rsa.verify(Formatter.response(timestamp, nonce, body), signature, this.opts.platformPublicKey);
    } catch {
      ok = false;
    }
    if (!ok) throw new PaymentNoticeError('E0082', 'wechat notice: Wechatpay-Signature does not verify');
    let n: { id?: string; event_type?: string; resource?: { algorithm?: string; ciphertext?: string; nonce?: string; associated_data?: string } };
    let r: WxRefund & { refund_status?: string; amount?: { refund?: number } };
    try {
      n = JSON.parse(body);
      const res = n.resource;
      if (!n.id || !res?.ciphertext || !res.nonce || res.algorithm !== 'AEAD_AES_256_GCM') throw new Error('id and an AEAD_AES_256_GCM resource required');
      r = JSON.parse(Aes.AesGcm.decrypt(res.ciphertext, this.opts.apiV3Key, res.nonce, res.associated_data ?? ''));
    } catch (e) {
      throw new PaymentNoticeError('E0083', `wechat notice: ${(e as Error).message}`);
    }
    const status = r.refund_status ?? '';
    if (!r.out_refund_no || !['SUCCESS', 'CLOSED', 'ABNORMAL'].includes(status)) throw new PaymentNoticeError('E0083', 'wechat notice: not a refund result (out_refund_no, refund_status)');
    const state = stateOf(status);
    return {
      channel: 'wechat',
      noticeId: n.id!,
      outRefundNo: r.out_refund_no,
      outTradeNo: r.out_trade_no,
      channelRefundId: r.refund_id,
      state,
      amountFen: r.amount?.refund,
      successTime: state === 'success' ? r.success_time : undefined,
      failReason: state === 'failed' ? status : undefined,
      raw: { event_type: n.event_type, ...r },
    };
  }

  /** One SDK call, its errors split into retryable and permanent. */
  private async call(method: string, keys: { refundNo?: string; orderNo?: string }, request: unknown, fn: () => Promise<{ data: unknown }>): Promise<WxRefund> {
    const sink = this.opts.exchangeLog ?? NO_EXCHANGE_LOG;
    if (sink === NO_EXCHANGE_LOG) return this.send(fn);
    const at = new Date();
    const started = performance.now();
    const base = { at, system: 'wechatpay' as const, method, direction: 'out' as const, refundNo: keys.refundNo, ...(keys.orderNo ? { orderNo: keys.orderNo } : {}) };
    try {
      const r = await this.send(fn);
      sink.record({ ...base, resultCode: String(r.status ?? 'ok'), durationMs: Math.round(performance.now() - started), request, response: r });
      return r;
    } catch (e) {
      sink.record({ ...base, resultCode: failureCode(e), durationMs: Math.round(performance.now() - started), request, response: { error: (e as Error).message.slice(0, 2000) } });
      throw e;
    }
  }

  private async send(fn: () => Promise<{ data: unknown }>): Promise<WxRefund> {
    try {
      return (await fn()).data as WxRefund;
    } catch (e) {
      const err = e as { message?: string; code?: string; response?: { status?: number; data?: { code?: string; message?: string } } };
      const status = err.response?.status;
      const data = err.response?.data;
      if (status === undefined) throw new PaymentUnavailableError('wechat', `no answer: ${err.message ?? e}`);
      // a 2xx whose signature did not verify (the SDK's EV3_RES_*): the refund may have been taken; ask again
      if (status >= 200 && status < 300) throw new PaymentUnavailableError('wechat', `answer not verified: ${err.message}`, err.code);
      const code = typeof data?.code === 'string' ? data.code : `HTTP_${status}`;
      const message = typeof data?.message === 'string' ? data.message : `HTTP ${status}`;
      if (status >= 500 || status === 429 || RETRYABLE.has(code)) throw new PaymentUnavailableError('wechat', `${code}: ${message}`, code);
      throw new PaymentRejectedError('wechat', code, message);
    }
  }
}

function createClient(o: WeChatPayOptions) {
  return new Wechatpay({
    mchid: o.mchId,
    serial: o.serial,
    privateKey: o.privateKey,
    certs: { [o.platformSerial]: o.platformPublicKey },
    baseURL: o.baseUrl.replace(/\/?$/, '/'),
    timeout: o.timeoutMs ?? 10_000,
  } as never) as unknown as WxClient;
}

/** The chained-path client the SDK builds at run time (typed here for the calls we make). */
interface WxClient {
  v3: {
    refund: {
      domestic: {
        refunds: {
          post(body: unknown): Promise<{ data: unknown }>;
          _out_refund_no_: { get(cfg: { out_refund_no: string }): Promise<{ data: unknown }> };
        };
      };
    };
  };
}
