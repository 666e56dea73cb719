/**
 * The payment channels' notify endpoints. Each notice is verified with the channel's SDK (WeChat:
 * Wechatpay-Signature over timestamp/nonce/body with the WeChat Pay public key, then the resource
 * decrypted with the APIv3 key; Alipay: RSA2 sign of the form with the Alipay public key),
 * recorded once per refund state change in `payment_notice`, handed to onRefundNotice
 * (./hooks.ts), and answered the way each channel expects:
 *   POST /pay/notify/wechat   204 (no body) = received; 4xx/5xx `{ code: 'FAIL', message }` = send again
 *   POST /pay/notify/alipay   `success` = received; `fail` = send again
 * A duplicate delivery is answered as received (and counted). A notice that is not genuine is
 * refused (WeChat 401, Alipay `fail`) and never recorded.
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import { PaymentNotice } from '../../orm/entities';
import { isUniqueViolation, redactDbError } from '../../orm/errors';
import { countNoticeDelivery } from '../../orm/repositories/payment-notices';
import { PaymentNoticeError, type PaymentChannelName, type RefundNotice } from '../../adapters/payment/channel';
import { alipayNotifyPath, wechatNotifyPath } from '../../adapters/payment';
import type { ApiContext } from '../context';
import { onRefundNotice } from '../../temporal/refund-notice';
import { jsonDepth } from '../../common/json';
import { bodyLimits } from '../http';

/** A state change whose first handling did not finish (error, crash) goes to the hook again after this long. */
const REHANDLE_AFTER_MS = 10_000;

async function readBody(ctx: Koa.Context): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of ctx.req) {
    size += (c as Buffer).length;
    if (size > 256 * 1024) throw new PaymentNoticeError('E0083', 'notice body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // Bounded like every other endpoint: a body nested deeper than the limit is refused before it is parsed.
  if (jsonDepth(text, bodyLimits.maxDepth) > bodyLimits.maxDepth) throw new PaymentNoticeError('E0083', `notice JSON nested deeper than ${bodyLimits.maxDepth}`);
  return text;
}

/**
 * Records a verified notice idempotently and hands a new state change to the hook.
 * Returns whether this delivery was the first of its state change.
 */
export async function recordRefundNotice(api: ApiContext, n: RefundNotice): Promise<{ first: boolean; rowId: number }> {
  const em = api.deps.orm.em.fork();
  const key = { channel: n.channel, outRefundNo: n.outRefundNo, state: n.state };
  let first = true;
  try {
    await em.insert(PaymentNotice, {
      ...key,
      noticeId: n.noticeId.slice(0, 64),
      outTradeNo: n.outTradeNo,
      channelRefundId: n.channelRefundId,
      amountFen: n.amountFen,
      successTime: n.successTime,
      failReason: n.failReason,
      deliveries: 1,
      detail: JSON.stringify(n.raw),
      receivedAt: new Date(),
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    first = false;
    await countNoticeDelivery(em, key);
  }
  const row = await em.fork().findOneOrFail(PaymentNotice, key);
  const stale = !row.handledAt && Date.now() - row.receivedAt.getTime() > REHANDLE_AFTER_MS;
  if (first || stale) {
    await onRefundNotice(api, { ...key, outTradeNo: n.outTradeNo, channelRefundId: n.channelRefundId, amountFen: n.amountFen, successTime: n.successTime, failReason: n.failReason, noticeRowId: row.id });
    await em.fork().nativeUpdate(PaymentNotice, { id: row.id }, { handledAt: new Date() });
  }
  return { first, rowId: row.id };
}

export function mountPaymentNotifyRoutes(router: Router, api: ApiContext, log: (m: string, e?: unknown) => void = console.error): void {
  const handle = (channel: PaymentChannelName, answer: { ok(ctx: Koa.Context): void; refuse(ctx: Koa.Context, status: number, message: string): void }) => async (ctx: Koa.Context) => {
    const at = new Date();
    const started = performance.now();
    // every delivery is an exchange, refused, duplicate or first: recorded once the answer is set
    const exchange = (resultCode: string, request: unknown, response: unknown, n?: RefundNotice) =>
      api.deps.exchangeLog.record({
        at, system: channel === 'wechat' ? 'wechatpay' : 'alipay', method: `POST ${channel === 'wechat' ? wechatNotifyPath : alipayNotifyPath}`, direction: 'in',
        ...(n ? { refundNo: n.outRefundNo, ...(n.outTradeNo ? { orderNo: n.outTradeNo } : {}) } : {}),
        resultCode, durationMs: Math.round(performance.now() - started), request, response,
      });
    let notice: RefundNotice;
    let text = '';
    try {
      text = await readBody(ctx);
      notice = api.deps.payments[channel].verifyNotice(ctx.headers, text);
    } catch (e) {
      if (e instanceof PaymentNoticeError) {
        answer.refuse(ctx, e.code === 'E0082' ? 401 : 400, e.message);
        exchange(e.code, { body: text.slice(0, 64 * 1024) }, { status: ctx.status, error: e.message });
        return;
      }
      throw e;
    }
    // the verified (decrypted) notice, not the raw body: what the channel told us
    const request = { ...notice, raw: notice.raw };
    let first: boolean;
    try {
      first = (await recordRefundNotice(api, notice)).first;
    } catch (e) {
      log(`[pay] recording a ${channel} notice for ${notice.outRefundNo} failed`, redactDbError(e));
      answer.refuse(ctx, 500, '处理失败，请重发');
      exchange('failed', request, { status: ctx.status }, notice);
      return;
    }
    answer.ok(ctx);
    exchange(first ? 'ok' : 'duplicate', request, { status: ctx.status, first }, notice);
  };
  router.post(
    wechatNotifyPath,
    handle('wechat', {
      ok: (ctx) => void (ctx.status = 204),
      refuse: (ctx, status, message) => {
        ctx.status = status;
        ctx.body = { code: 'FAIL', message };
      },
    }),
  );
  router.post(
    alipayNotifyPath,
    handle('alipay', {
      ok: (ctx) => {
        ctx.type = 'text/plain';
        ctx.body = 'success';
      },
      refuse: (ctx) => {
        ctx.type = 'text/plain';
        ctx.body = 'fail';
      },
    }),
  );
}
