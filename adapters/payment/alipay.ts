/**
 * Alipay refunds on the official `alipay-sdk` (v4, the OpenAPI gateway protocol): the SDK signs
 * each request with the app's RSA2 key and verifies each answer's `sign` with the Alipay public
 * key (validateSign), and verifies async notices (checkNotifySignV2).
 *
 *   alipay.trade.refund                 refund (out_request_no fixed per refund; a repeat answers fund_change=N)
 *   alipay.trade.fastpay.refund.query   refund_status REFUND_SUCCESS once the money went back
 *
 * Amounts go over the wire as yuan strings made by formatYuan / read by parseYuan: never floats.
 * fund_change=Y means the money moved in this call; N means "already refunded" or "not yet": the
 * adapter then asks the query interface, as Alipay's docs say to.
 */
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { failureCode } from '../exchange-code';
import { AlipayRequestError, AlipaySdk } from 'alipay-sdk';
import { formatYuan, parseYuan } from '../../common/money';
import {
  checkRefundRequest,
  PaymentNoticeError,
  PaymentRejectedError,
  PaymentUnavailableError,
  type OrderRef,
  type PaymentChannel,
  type RefundNotice,
  type RefundRequest,
  type RefundResult,
} from './channel';

export interface AlipayOptions {
  /** Gateway URL, e.g. https://openapi.alipay.com/gateway.do or the simulator's. */
  gateway: string;
  appId: string;
  /** App private key (PEM, PKCS#8). */
  privateKey: string;
  /** Alipay public key (PEM). */
  alipayPublicKey: string;
  /** Default notify_url of refunds. */
  notifyUrl: string;
  timeoutMs?: number;
  /** The exchange log: one entry per gateway call (the app's key and the sign are not part of the recorded request). */
  exchangeLog?: ExchangeSink;
}

/** Sub-codes that mean "try again later with the same out_request_no". */
const RETRYABLE = new Set(['ACQ.SYSTEM_ERROR', 'aop.ACQ.SYSTEM_ERROR', 'ACQ.REFUND_FREQUENCY_LIMIT', 'isp.unknow-error']);

type AlipayAnswer = Record<string, unknown> & { code?: string; msg?: string; sub_code?: string; sub_msg?: string };

const fen = (v: unknown): number | undefined => (v === undefined || v === null || v === '' ? undefined : parseYuan(v));
/** Alipay times are China Standard Time `yyyy-MM-dd HH:mm:ss`. */
const isoOf = (t: unknown): string | undefined => (typeof t === 'string' && t ? `${t.replace(' ', 'T')}+08:00` : undefined);

export class AlipayChannel implements PaymentChannel {
  readonly name = 'alipay' as const;
  private readonly sdk: AlipaySdk;

  constructor(private readonly opts: AlipayOptions) {
    this.sdk = new AlipaySdk({
      appId: opts.appId,
      privateKey: opts.privateKey,
      alipayPublicKey: opts.alipayPublicKey,
      gateway: opts.gateway,
      keyType: 'PKCS8',
      signType: 'RSA2',
      camelcase: false,
      timeout: opts.timeoutMs ?? 10_000,
    });
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    checkRefundRequest('alipay', req);
    const r = await this.call('alipay.trade.refund', { refundNo: req.outRefundNo, orderNo: req.orderRef.outTradeNo ?? req.orderRef.transactionId }, {
      notify_url: req.notifyUrl ?? this.opts.notifyUrl,
      bizContent: {
        ...orderFields(req.orderRef),
        refund_amount: formatYuan(req.amountFen),
        out_request_no: req.outRefundNo,
        ...(req.reason ? { refund_reason: req.reason.slice(0, 256) } : {}),
      },
    });
    if (r.fund_change === 'Y') {
      return { state: 'success', outRefundNo: req.outRefundNo, channelRefundId: String(r.trade_no ?? ''), amountFen: req.amountFen, successTime: isoOf(r.gmt_refund_pay), raw: r };
    }
    // N: refunded before (a retry) or not finished yet: the query says which
    return this.queryRefund(req.outRefundNo, req.orderRef);
  }

  async queryRefund(outRefundNo: string, orderRef?: OrderRef): Promise<RefundResult> {
    if (!orderRef?.outTradeNo && !orderRef?.transactionId) throw new PaymentRejectedError('alipay', 'PARAM_ERROR', 'orderRef: alipay.trade.fastpay.refund.query needs out_trade_no or trade_no', 'orderRef');
    const r = await this.call('alipay.trade.fastpay.refund.query', { refundNo: outRefundNo, orderNo: orderRef.outTradeNo ?? orderRef.transactionId }, {
      bizContent: { ...orderFields(orderRef), out_request_no: outRefundNo, query_options: ['gmt_refund_pay'] },
    });
    const status = typeof r.refund_status === 'string' ? r.refund_status : '';
    const state = status === 'REFUND_SUCCESS' ? 'success' : status === 'REFUND_FAIL' ? 'failed' : 'processing';
    return {
      state,
      outRefundNo,
      channelRefundId: String(r.trade_no ?? ''),
      amountFen: fen(r.refund_amount),
      successTime: state === 'success' ? isoOf(r.gmt_refund_pay) : undefined,
      failReason: state === 'failed' ? status : undefined,
      raw: r,
    };
  }

  verifyNotice(_headers: Record<string, string | string[] | undefined>, body: string): RefundNotice {
    const form = Object.fromEntries(new URLSearchParams(body));
    if (!form.sign) throw new PaymentNoticeError('E0082', 'alipay notice: sign required');
    let ok = false;
    try {
      ok = this.sdk.checkNotifySignV2(form);
    } catch {
      ok = false;
    }
    if (!ok) throw new PaymentNoticeError('E0082', 'alipay notice: sign does not verify');
    if (form.app_id !== this.opts.appId) throw new PaymentNoticeError('E0082', `alipay notice: app_id ${form.app_id} is not ours`);
    if (!form.notify_id || !form.out_biz_no || !form.gmt_refund) throw new PaymentNoticeError('E0083', 'alipay notice: not a refund notice (notify_id, out_biz_no, gmt_refund)');
    return {
      channel: 'alipay',
      noticeId: form.notify_id,
      outRefundNo: form.out_biz_no,
      outTradeNo: form.out_trade_no,
      channelRefundId: form.trade_no,
      state: 'success',
      successTime: isoOf(form.gmt_refund),
      raw: form,
    };
  }

  private async call(method: string, keys: { refundNo?: string; orderNo?: string }, params: Record<string, unknown>): Promise<AlipayAnswer> {
    const sink = this.opts.exchangeLog ?? NO_EXCHANGE_LOG;
    if (sink === NO_EXCHANGE_LOG) return this.send(method, params);
    const at = new Date();
    const started = performance.now();
    const base = { at, system: 'alipay' as const, method, direction: 'out' as const, refundNo: keys.refundNo, ...(keys.orderNo ? { orderNo: keys.orderNo } : {}) };
    try {
      const r = await this.send(method, params);
      sink.record({ ...base, resultCode: String(r.code ?? 'ok'), durationMs: Math.round(performance.now() - started), request: params, response: r });
      return r;
    } catch (e) {
      sink.record({ ...base, resultCode: failureCode(e), durationMs: Math.round(performance.now() - started), request: params, response: { error: (e as Error).message.slice(0, 2000) } });
      throw e;
    }
  }

  private async send(method: string, params: Record<string, unknown>): Promise<AlipayAnswer> {
    let r: AlipayAnswer;
    try {
      r = (await this.sdk.exec(method, params, { validateSign: true })) as AlipayAnswer;
    } catch (e) {
      if (e instanceof AlipayRequestError) throw new PaymentUnavailableError('alipay', e.message.slice(0, 300));
      throw new PaymentUnavailableError('alipay', `no answer: ${(e as Error).message}`);
    }
    if (r.code === '10000') return r;
    const code = r.sub_code || r.code || 'UNKNOWN';
    const message = r.sub_msg || r.msg || '';
    if (r.code === '20000' || r.code === '20001' || RETRYABLE.has(code)) throw new PaymentUnavailableError('alipay', `${code}: ${message}`, code);
    throw new PaymentRejectedError('alipay', code, message);
  }
}

function orderFields(o: OrderRef): Record<string, string> {
  return o.transactionId ? { trade_no: o.transactionId } : { out_trade_no: o.outTradeNo! };
}
