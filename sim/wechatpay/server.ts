/**
 * WeChat Pay API v3 simulator (refunds), one real Koa HTTP server. It checks every API request's
 * `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=,nonce_str=,signature=,timestamp=,serial_no=`
 * against the merchant's public key as WeChat Pay does (401 SIGN_ERROR otherwise), signs every
 * answer with its own key (`Wechatpay-Signature` / -Timestamp / -Nonce / -Serial), accepts a
 * refund first (PROCESSING) and finishes it later, then posts a signed notice with the refund
 * AES-256-GCM encrypted under the APIv3 key, retried on WeChat Pay's schedule until answered 2xx.
 * State (orders, refunds, notices) persists in `{dataDir}/wechatpay-sim.json`.
 *
 *   POST /v3/refund/domestic/refunds                  -> 200 refund (status PROCESSING | SUCCESS ...)
 *   GET  /v3/refund/domestic/refunds/{out_refund_no}  -> 200 refund | 404 RESOURCE_NOT_EXISTS
 *   Errors `{ code, message }`: 400 PARAM_ERROR / INVALID_REQUEST, 401 SIGN_ERROR,
 *   404 RESOURCE_NOT_EXISTS, 429 FREQUENCY_LIMITED, 500 SYSTEM_ERROR.
 * Test / operations controls
 *   POST /_sim/orders { out_trade_no, transaction_id?, total (fen), paid_at?, openid? }   a paid order
 *   GET  /_sim/orders, /_sim/refunds, /_sim/notices?out_refund_no=   (each notice with every attempt)
 *   POST /_sim/faults { mode: ok|down|slow, delayMs?, errorCode?, errorCount?, refundOutcome?:
 *        SUCCESS|ABNORMAL|CLOSED, duplicateNotices?, refundDelayMs?, partialGapMs? }   GET /_sim/faults
 *        (with `refused`: the /v3 calls refused while down so far, by "METHOD /path", for tests to
 *        see a call was tried)
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import { Aes, Formatter, Rsa } from 'wechatpay-axios-plugin';
import { heldDelays, listenWithFallback, readJsonObject } from '../http-server';
import { applyPaymentFaults, cst, loadState, NoticeSender, readText, saveState, WECHAT_NOTICE_SCHEDULE, type SimNotice } from '../payment/notices';
import { DEFAULT_PAYSIM_PARTIAL_GAP_MS, DEFAULT_PAYSIM_REFUND_DELAY_MS, DEFAULT_PAYSIM_TIME_SCALE } from '../../config/simulators';

export interface WeChatPaySimOptions {
  port: number;
  host?: string;
  dataDir: string;
  fallbackToFreePort?: boolean;
  /** The merchant registered with the simulated platform. */
  merchant: { mchId: string; serial: string; publicKey: string; apiV3Key: string };
  /** The simulated platform's signing key and its public key ID. */
  platform: { serial: string; privateKey: string };
  timeScale?: number;
  refundDelayMs?: number;
  duplicateRate?: number;
  partialGapMs?: number;
  /** How old an order may be and still be refunded (real: 1 year). */
  refundWindowMs?: number;
}

interface SimOrder {
  out_trade_no: string;
  transaction_id: string;
  total: number;
  paid_at: string;
  openid: string;
}

interface SimRefund {
  refund_id: string;
  out_refund_no: string;
  out_trade_no: string;
  transaction_id: string;
  reason?: string;
  notify_url?: string;
  refund: number;
  total: number;
  status: 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  outcome: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  create_time: string;
  created_ms: number;
  finish_at: number;
  success_time?: string;
}

interface State {
  orders: Record<string, SimOrder>;
  refunds: Record<string, SimRefund>;
  notices: SimNotice[];
}

export interface WeChatPaySim {
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATUS_OF: Record<string, number> = { SYSTEM_ERROR: 500, FREQUENCY_LIMITED: 429, NOT_ENOUGH: 403, USER_ACCOUNT_ABNORMAL: 403, RESOURCE_NOT_EXISTS: 404, SIGN_ERROR: 401 };
const MAX_REFUNDS_PER_ORDER = 50;
const AUTH = /^WECHATPAY2-SHA256-RSA2048 (.+)$/;

export async function startWeChatPaySim(opts: WeChatPaySimOptions): Promise<WeChatPaySim> {
  const file = path.join(opts.dataDir, 'wechatpay-sim.json');
  const state = loadState<State>(file, () => ({ orders: {}, refunds: {}, notices: [] }));
  const persist = () => saveState(file, state);
  /** /v3 calls refused while down, by "METHOD /path": never reset, tests read the growth. */
  const refused: Record<string, number> = {};
  let fault = {
    mode: 'ok' as 'ok' | 'down' | 'slow',
    delayMs: 0,
    errorCode: '',
    errorCount: 0,
    refundOutcome: 'SUCCESS' as SimRefund['outcome'],
    refundDelayMs: opts.refundDelayMs ?? DEFAULT_PAYSIM_REFUND_DELAY_MS,
    partialGapMs: opts.partialGapMs ?? DEFAULT_PAYSIM_PARTIAL_GAP_MS,
    duplicateRate: opts.duplicateRate ?? 0,
    timeScale: opts.timeScale ?? DEFAULT_PAYSIM_TIME_SCALE,
  };
  const refundWindowMs = opts.refundWindowMs ?? 365 * 86_400_000;
  const { sleep, closeServer } = heldDelays();
  const finishTimers = new Map<string, NodeJS.Timeout>();

  const sender = new NoticeSender(state.notices, {
    schedule: WECHAT_NOTICE_SCHEDULE,
    timeScale: () => fault.timeScale,
    duplicateRate: () => fault.duplicateRate,
    changed: persist,
    isSuccess: (status) => status === 200 || status === 204,
    build: (n) => {
      const body = n.payload.body as string;
      const timestamp = String(Formatter.timestamp());
      const nonce = Formatter.nonce();
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'wechatpay-timestamp': timestamp,
          'wechatpay-nonce': nonce,
          'wechatpay-serial': opts.platform.serial,
          'wechatpay-signature': Rsa.sign(Formatter.response(timestamp, nonce, body), opts.platform.privateKey),
          'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
        },
      };
    },
  });

  const view = (r: SimRefund) => ({
    refund_id: r.refund_id,
    out_refund_no: r.out_refund_no,
    transaction_id: r.transaction_id,
    out_trade_no: r.out_trade_no,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(r.success_time ? { success_time: r.success_time } : {}),
    create_time: r.create_time,
    status: r.status,
    funds_account: 'AVAILABLE',
    amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund, settlement_refund: r.refund, settlement_total: r.total, discount_refund: 0, currency: 'CNY', refund_fee: 0 },
  });

  const finish = (no: string) => {
    finishTimers.delete(no);
    const r = state.refunds[no];
    if (!r || r.status !== 'PROCESSING') return;
    r.status = r.outcome;
    if (r.outcome === 'SUCCESS') r.success_time = cst(new Date(), 'rfc3339');
    persist();
    if (!r.notify_url) return;
    const resource = JSON.stringify({
      mchid: opts.merchant.mchId,
      out_trade_no: r.out_trade_no,
      transaction_id: r.transaction_id,
      out_refund_no: r.out_refund_no,
      refund_id: r.refund_id,
      refund_status: r.status,
      ...(r.success_time ? { success_time: r.success_time } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: r.total, refund: r.refund, payer_total: r.total, payer_refund: r.refund },
    });
    const nonce = Formatter.nonce(12);
    const id = crypto.randomUUID();
    const summary = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' }[r.outcome];
    const body = JSON.stringify({
      id,
      create_time: cst(new Date(), 'rfc3339'),
      resource_type: 'encrypt-resource',
      event_type: `REFUND.${r.outcome}`,
      summary,
      resource: { original_type: 'refund', algorithm: 'AEAD_AES_256_GCM', ciphertext: Aes.AesGcm.encrypt(resource, opts.merchant.apiV3Key, nonce, 'refund'), associated_data: 'refund', nonce },
    });
    sender.send({ noticeId: id, outRefundNo: r.out_refund_no, url: r.notify_url, payload: { body } });
  };
  const planFinish = (r: SimRefund) => {
    const t = setTimeout(() => finish(r.out_refund_no), Math.max(0, r.finish_at - Date.now()));
    finishTimers.set(r.out_refund_no, t);
  };

  const app = new Koa();
  const router = new Router();

  /** Answers the way WeChat Pay does: JSON, signed with the platform key. */
  const answer = (ctx: Koa.Context, status: number, data: unknown) => {
    const body = JSON.stringify(data);
    const timestamp = String(Formatter.timestamp());
    const nonce = Formatter.nonce();
    ctx.status = status;
    ctx.type = 'application/json';
    ctx.set('Request-ID', crypto.randomUUID());
    ctx.set('Wechatpay-Timestamp', timestamp);
    ctx.set('Wechatpay-Nonce', nonce);
    ctx.set('Wechatpay-Serial', opts.platform.serial);
    ctx.set('Wechatpay-Signature', Rsa.sign(Formatter.response(timestamp, nonce, body), opts.platform.privateKey));
    ctx.body = body;
  };
  const fail = (ctx: Koa.Context, status: number, code: string, message: string) => answer(ctx, status, { code, message });

  /** The platform's request check: scheme, mchid, serial, a fresh timestamp, the RSA signature. */
  const verify = (ctx: Koa.Context, body: string): string | undefined => {
    const m = AUTH.exec(ctx.get('authorization'));
    if (!m) return 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》';
    const f: Record<string, string> = {};
    for (const part of m[1]!.split(',')) {
      const i = part.indexOf('=');
      if (i > 0) f[part.slice(0, i).trim()] = part.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    if (!f.mchid || !f.nonce_str || !f.signature || !f.timestamp || !f.serial_no) return 'Http头Authorization缺少mchid/nonce_str/signature/timestamp/serial_no';
    if (f.mchid !== opts.merchant.mchId) return `商户号${f.mchid}不存在`;
    if (f.serial_no !== opts.merchant.serial) return '商户证书序列号有误。请使用签名私钥匹配的证书序列号';
    if (!/^\d+$/.test(f.timestamp) || Math.abs(Formatter.timestamp() - Number(f.timestamp)) > 300) return '请求的时间戳已过期，请检查本地时间';
    let ok = false;
    try {
      ok = Rsa.verify(Formatter.request(ctx.method, ctx.url, f.timestamp, f.nonce_str, body), f.signature, opts.merchant.publicKey);
    } catch {
      ok = false;
    }
    return ok ? undefined : '签名错误，请检查后再试';
  };

  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/v3/')) return next();
    if (fault.mode === 'down') {
      const key = `${ctx.method} ${ctx.path}`;
      refused[key] = (refused[key] ?? 0) + 1;
      return fail(ctx, 500, 'SYSTEM_ERROR', '系统错误');
    }
    if (fault.mode === 'slow') await sleep(fault.delayMs);
    let body: string;
    try {
      body = await readText(ctx.req);
    } catch (e) {
      return fail(ctx, 400, 'PARAM_ERROR', (e as Error).message);
    }
    const bad = verify(ctx, body);
    if (bad) return fail(ctx, 401, 'SIGN_ERROR', bad);
    ctx.state.body = body;
    return next();
  });

  router.post('/v3/refund/domestic/refunds', (ctx) => {
    if (fault.errorCode && fault.errorCount > 0) {
      fault.errorCount--;
      return fail(ctx, STATUS_OF[fault.errorCode] ?? 400, fault.errorCode, `模拟错误 ${fault.errorCode}`);
    }
    let b: Record<string, any>;
    try {
      b = JSON.parse(ctx.state.body as string);
    } catch {
      return fail(ctx, 400, 'PARAM_ERROR', '请求体不是合法的JSON');
    }
    const no = b.out_refund_no;
    if (typeof no !== 'string' || !/^[A-Za-z0-9_*@|-]{1,64}$/.test(no)) return fail(ctx, 400, 'PARAM_ERROR', '输入源“/body/out_refund_no”映射到字段“商户退款单号”必填性规则校验失败，此字段为必填项');
    const amount = b.amount ?? {};
    if (!Number.isSafeInteger(amount.refund) || amount.refund <= 0) return fail(ctx, 400, 'PARAM_ERROR', '输入源“/body/amount/refund”映射到字段“退款金额”必须为正整数');
    if (!Number.isSafeInteger(amount.total) || amount.total <= 0) return fail(ctx, 400, 'PARAM_ERROR', '输入源“/body/amount/total”映射到字段“原订单金额”必须为正整数');
    if ((amount.currency ?? 'CNY') !== 'CNY') return fail(ctx, 400, 'PARAM_ERROR', '币种只支持CNY');
    const order = b.transaction_id ? Object.values(state.orders).find((o) => o.transaction_id === b.transaction_id) : state.orders[b.out_trade_no];
    const done = state.refunds[no];
    if (done) {
      // the same out_refund_no again: the same refund, never a second one
      if (!order || done.out_trade_no !== order.out_trade_no || done.refund !== amount.refund) return fail(ctx, 400, 'INVALID_REQUEST', '同一退款单号的订单或退款金额与原请求不一致');
      return answer(ctx, 200, view(done));
    }
    if (!b.transaction_id && !b.out_trade_no) return fail(ctx, 400, 'PARAM_ERROR', 'transaction_id和out_trade_no必须二选一');
    if (!order) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (amount.total !== order.total) return fail(ctx, 400, 'INVALID_REQUEST', '订单金额total与原订单金额不一致');
    if (Date.now() - Date.parse(order.paid_at) > refundWindowMs) return fail(ctx, 400, 'INVALID_REQUEST', '订单已超过退款期限');
    const mine = Object.values(state.refunds).filter((r) => r.out_trade_no === order.out_trade_no);
    if (mine.length >= MAX_REFUNDS_PER_ORDER) return fail(ctx, 400, 'INVALID_REQUEST', `订单的部分退款次数已超过${MAX_REFUNDS_PER_ORDER}次`);
    const refunded = mine.filter((r) => r.status !== 'CLOSED').reduce((s, r) => s + r.refund, 0);
    if (amount.refund > order.total - refunded) return fail(ctx, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    const last = mine.reduce((m, r) => Math.max(m, r.created_ms), 0);
    if (last && Date.now() - last < fault.partialGapMs) return fail(ctx, 429, 'FREQUENCY_LIMITED', '同一订单的部分退款需间隔1分钟以上，请稍后再试');
    const now = Date.now();
    const r: SimRefund = {
      refund_id: `50${String(now)}${crypto.randomInt(1e9).toString().padStart(9, '0')}`.slice(0, 29),
      out_refund_no: no,
      out_trade_no: order.out_trade_no,
      transaction_id: order.transaction_id,
      reason: typeof b.reason === 'string' ? b.reason : undefined,
      notify_url: typeof b.notify_url === 'string' ? b.notify_url : undefined,
      refund: amount.refund,
      total: order.total,
      status: 'PROCESSING',
      outcome: fault.refundOutcome,
      create_time: cst(new Date(now), 'rfc3339'),
      created_ms: now,
      finish_at: now + fault.refundDelayMs,
    };
    state.refunds[no] = r;
    persist();
    if (fault.refundDelayMs === 0) finish(no);
    else planFinish(r);
    answer(ctx, 200, view(r));
  });

  router.get('/v3/refund/domestic/refunds/:no', (ctx) => {
    const r = state.refunds[ctx.params.no!];
    if (!r) return fail(ctx, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    answer(ctx, 200, view(r));
  });

  // Control endpoints read a JSON object (a bad body gets 400 {error}); values stay `any`-typed as sent.
  const json = async (ctx: Koa.Context) => (await readJsonObject(ctx, (reason) => ({ error: reason }))) as Record<string, any> | undefined;
  router.post('/_sim/orders', async (ctx) => {
    const b = await json(ctx);
    if (!b) return;
    if (typeof b.out_trade_no !== 'string' || !b.out_trade_no || !Number.isSafeInteger(b.total) || b.total <= 0) {
      ctx.status = 400;
      ctx.body = { error: 'out_trade_no and total (fen, positive integer) required' };
      return;
    }
    const o: SimOrder = {
      out_trade_no: b.out_trade_no,
      transaction_id: typeof b.transaction_id === 'string' && b.transaction_id ? b.transaction_id : `42000${Date.now()}${crypto.randomInt(1e6)}`.slice(0, 28),
      total: b.total,
      paid_at: typeof b.paid_at === 'string' ? new Date(b.paid_at).toISOString() : new Date().toISOString(),
      openid: typeof b.openid === 'string' ? b.openid : 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    };
    state.orders[o.out_trade_no] = o;
    persist();
    ctx.body = o;
  });
  router.get('/_sim/orders', (ctx) => (ctx.body = Object.values(state.orders)));
  router.get('/_sim/refunds', (ctx) => (ctx.body = Object.values(state.refunds).map(view)));
  router.get('/_sim/notices', (ctx) => {
    const no = typeof ctx.query.out_refund_no === 'string' ? ctx.query.out_refund_no : undefined;
    ctx.body = state.notices.filter((n) => !no || n.outRefundNo === no).map(({ payload: _p, ...n }) => n);
  });
  router.get('/_sim/faults', (ctx) => (ctx.body = { ...fault, duplicateNotices: sender.forcedDuplicates, refused }));
  router.post('/_sim/faults', async (ctx) => {
    const b = await json(ctx);
    if (!b) return;
    const refused = applyPaymentFaults(b, fault, sender, ['SUCCESS', 'ABNORMAL', 'CLOSED'] as const);
    if (refused) {
      ctx.status = 400;
      ctx.body = { error: refused };
      return;
    }
    ctx.body = { ...fault, duplicateNotices: sender.forcedDuplicates };
  });

  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(app.callback());
  const host = opts.host ?? '127.0.0.1';
  const port = await listenWithFallback(server, opts.port, host, !!opts.fallbackToFreePort);
  for (const r of Object.values(state.refunds)) if (r.status === 'PROCESSING') planFinish(r);
  sender.resume();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        for (const t of finishTimers.values()) clearTimeout(t);
        await sender.close();
        await closeServer(server);
      })()),
  };
}
