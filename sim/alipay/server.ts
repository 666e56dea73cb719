/**
 * Alipay OpenAPI gateway simulator (refunds), one real Koa HTTP server. `POST /gateway.do` takes
 * the gateway protocol (common parameters in the query or the form, `biz_content` JSON), checks
 * the RSA2 `sign` over the sorted `k=v&...` of every parameter but `sign` with the app's public key
 * (40002 isv.invalid-signature otherwise) and answers `{"<method>_response":{...},"sign":"..."}`
 * signed with its own key. A refund is accepted at once; with a refund delay it answers
 * fund_change=N and finishes later (the query shows refund_status REFUND_SUCCESS from then on),
 * otherwise fund_change=Y. A repeated out_request_no refunds nothing more (fund_change=N). When a
 * refund finishes, a signed form notice (notify_type trade_status_sync, out_biz_no = out_request_no)
 * goes to the notify_url, retried 8 times in 25 h until answered with the literal `success`.
 * State persists in `{dataDir}/alipay-sim.json`.
 *
 *   alipay.trade.refund, alipay.trade.fastpay.refund.query
 * Test / operations controls (JSON)
 *   POST /_sim/orders { out_trade_no, trade_no?, total (fen), paid_at?, buyer_id?, notify_url? }
 *   GET  /_sim/orders, /_sim/refunds, /_sim/notices?out_request_no=
 *   POST /_sim/faults { mode: ok|down|slow, delayMs?, errorCode? (sub_code), errorCount?,
 *        refundOutcome?: SUCCESS|FAIL, duplicateNotices?, refundDelayMs? }   GET /_sim/faults
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import { formatYuan, parseYuan } from '../../common/money';
import { heldDelays, listenWithFallback, readJsonObject } from '../http-server';
import { ALIPAY_NOTICE_SCHEDULE, applyPaymentFaults, cst, loadState, NoticeSender, readText, saveState, type SimNotice } from '../payment/notices';
import { DEFAULT_PAYSIM_ALIPAY_REFUND_DAYS, DEFAULT_PAYSIM_REFUND_DELAY_MS, DEFAULT_PAYSIM_TIME_SCALE } from '../../config/simulators';

export interface AlipaySimOptions {
  port: number;
  host?: string;
  dataDir: string;
  fallbackToFreePort?: boolean;
  app: { appId: string; publicKey: string };
  /** The simulated platform's signing key (its public half is the "Alipay public key"). */
  platformPrivateKey: string;
  timeScale?: number;
  refundDelayMs?: number;
  duplicateRate?: number;
  /** How old a trade may be and still be refunded (default 90 days). */
  refundWindowMs?: number;
}

interface SimTrade {
  out_trade_no: string;
  trade_no: string;
  total: number;
  paid_at: string;
  buyer_id: string;
  notify_url?: string;
}

interface SimRefund {
  out_request_no: string;
  out_trade_no: string;
  trade_no: string;
  refund: number;
  reason?: string;
  notify_url?: string;
  status: 'PROCESSING' | 'REFUND_SUCCESS' | 'REFUND_FAIL';
  outcome: 'SUCCESS' | 'FAIL';
  created_ms: number;
  finish_at: number;
  gmt_refund_pay?: string;
}

interface State {
  orders: Record<string, SimTrade>;
  refunds: Record<string, SimRefund>;
  notices: SimNotice[];
}

export interface AlipaySim {
  url: string;
  gateway: string;
  port: number;
  close(): Promise<void>;
}

const MAX_REFUNDS_PER_TRADE = 50;
const refundKey = (tradeNo: string, outRequestNo: string) => `${tradeNo}|${outRequestNo}`;

/** The RSA2 content of a parameter set: every non-empty parameter but the excluded, sorted, `k=v` joined by `&`. */
export function signContent(params: Record<string, string>, exclude: string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

export async function startAlipaySim(opts: AlipaySimOptions): Promise<AlipaySim> {
  const file = path.join(opts.dataDir, 'alipay-sim.json');
  const state = loadState<State>(file, () => ({ orders: {}, refunds: {}, notices: [] }));
  const persist = () => saveState(file, state);
  const fault = {
    mode: 'ok' as 'ok' | 'down' | 'slow',
    delayMs: 0,
    errorCode: '',
    errorCount: 0,
    refundOutcome: 'SUCCESS' as SimRefund['outcome'],
    refundDelayMs: opts.refundDelayMs ?? DEFAULT_PAYSIM_REFUND_DELAY_MS,
    duplicateRate: opts.duplicateRate ?? 0,
    timeScale: opts.timeScale ?? DEFAULT_PAYSIM_TIME_SCALE,
  };
  const refundWindowMs = opts.refundWindowMs ?? DEFAULT_PAYSIM_ALIPAY_REFUND_DAYS * 86_400_000;
  const { sleep, closeServer } = heldDelays();
  const finishTimers = new Map<string, NodeJS.Timeout>();
  const rsaSign = (content: string) => crypto.createSign('RSA-SHA256').update(content, 'utf8').sign(opts.platformPrivateKey, 'base64');

  const sender = new NoticeSender(state.notices, {
    schedule: ALIPAY_NOTICE_SCHEDULE,
    timeScale: () => fault.timeScale,
    duplicateRate: () => fault.duplicateRate,
    changed: persist,
    isSuccess: (status, body) => status === 200 && body.trim() === 'success',
    build: (n) => {
      const fields = { ...(n.payload.fields as Record<string, string>), notify_time: cst(new Date(), 'alipay') };
      // Alipay signs its notices over every field but sign and sign_type
      const sign = rsaSign(signContent(fields, ['sign', 'sign_type']));
      return { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams({ ...fields, sign_type: 'RSA2', sign }).toString() };
    },
  });

  const finish = (key: string) => {
    finishTimers.delete(key);
    const r = state.refunds[key];
    if (!r || r.status !== 'PROCESSING') return;
    const t = state.orders[r.out_trade_no]!;
    r.status = r.outcome === 'SUCCESS' ? 'REFUND_SUCCESS' : 'REFUND_FAIL';
    if (r.status === 'REFUND_SUCCESS') r.gmt_refund_pay = cst(new Date(), 'alipay');
    persist();
    const url = r.notify_url || t.notify_url;
    if (r.status !== 'REFUND_SUCCESS' || !url) return;
    const refunded = Object.values(state.refunds).filter((x) => x.trade_no === t.trade_no && x.status === 'REFUND_SUCCESS').reduce((s, x) => s + x.refund, 0);
    const notifyId = crypto.randomBytes(16).toString('hex');
    const fields: Record<string, string> = {
      notify_id: notifyId,
      notify_type: 'trade_status_sync',
      app_id: opts.app.appId,
      charset: 'utf-8',
      version: '1.0',
      trade_no: t.trade_no,
      out_trade_no: t.out_trade_no,
      out_biz_no: r.out_request_no,
      buyer_id: t.buyer_id,
      trade_status: refunded >= t.total ? 'TRADE_CLOSED' : 'TRADE_SUCCESS',
      total_amount: formatYuan(t.total),
      refund_fee: formatYuan(refunded),
      gmt_payment: cst(new Date(t.paid_at), 'alipay'),
      gmt_refund: `${r.gmt_refund_pay}.000`,
    };
    sender.send({ noticeId: notifyId, outRefundNo: r.out_request_no, url, payload: { fields } });
  };
  const planFinish = (key: string, r: SimRefund) => finishTimers.set(key, setTimeout(() => finish(key), Math.max(0, r.finish_at - Date.now())));

  /** One gateway answer, signed over the exact JSON text of the response object. */
  const respond = (ctx: Koa.Context, method: string, data: Record<string, unknown>) => {
    const inner = JSON.stringify(data);
    ctx.type = 'application/json;charset=utf-8';
    ctx.body = `{"${method.replaceAll('.', '_')}_response":${inner},"sign":"${rsaSign(inner)}"}`;
  };
  const bizFail = (sub_code: string, sub_msg: string) => ({ code: '40004', msg: 'Business Failed', sub_code, sub_msg });

  const refund = (biz: Record<string, any>, params: Record<string, string>): Record<string, unknown> => {
    if (fault.errorCode && fault.errorCount > 0) {
      fault.errorCount--;
      return fault.errorCode.includes('SYSTEM_ERROR') ? { code: '20000', msg: 'Service Currently Unavailable', sub_code: fault.errorCode, sub_msg: '系统繁忙' } : bizFail(fault.errorCode, `模拟错误 ${fault.errorCode}`);
    }
    const amount = parseYuan(biz.refund_amount);
    if (amount === undefined || amount <= 0) return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: '参数无效: refund_amount' };
    const outRequestNo = typeof biz.out_request_no === 'string' ? biz.out_request_no : '';
    if (!/^[A-Za-z0-9_*@|-]{1,64}$/.test(outRequestNo)) return { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.missing-parameter', sub_msg: '缺少必选参数: out_request_no' };
    const t = biz.trade_no ? Object.values(state.orders).find((o) => o.trade_no === biz.trade_no) : state.orders[biz.out_trade_no];
    if (!t) return bizFail('ACQ.TRADE_NOT_EXIST', '交易不存在');
    const key = refundKey(t.trade_no, outRequestNo);
    const mine = Object.values(state.refunds).filter((r) => r.trade_no === t.trade_no);
    const refundedFen = () => mine.filter((r) => r.status !== 'REFUND_FAIL').reduce((s, r) => s + r.refund, 0);
    const ok = (fundChange: 'Y' | 'N', r: SimRefund) => ({
      code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no, buyer_logon_id: '159****5620',
      fund_change: fundChange, refund_fee: formatYuan(refundedFen()), send_back_fee: formatYuan(r.refund), buyer_user_id: t.buyer_id,
      ...(r.gmt_refund_pay ? { gmt_refund_pay: r.gmt_refund_pay } : {}),
    });
    const done = state.refunds[key];
    if (done) {
      // the same out_request_no again: nothing moves a second time
      if (done.refund !== amount) return bizFail('ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求（相同退款请求号的退款金额不同）');
      return ok('N', done);
    }
    if (Date.now() - Date.parse(t.paid_at) > refundWindowMs) return bizFail('ACQ.TRADE_NOT_ALLOW_REFUND', '交易已超过可退款期限');
    if (mine.length >= MAX_REFUNDS_PER_TRADE) return bizFail('ACQ.REFUND_TIMES_EXCEED', `退款次数超过${MAX_REFUNDS_PER_TRADE}次限制`);
    if (amount > t.total - refundedFen()) return bizFail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额超限');
    const now = Date.now();
    const r: SimRefund = {
      out_request_no: outRequestNo, out_trade_no: t.out_trade_no, trade_no: t.trade_no, refund: amount,
      reason: typeof biz.refund_reason === 'string' ? biz.refund_reason : undefined,
      notify_url: params.notify_url || undefined,
      status: 'PROCESSING', outcome: fault.refundOutcome, created_ms: now, finish_at: now + fault.refundDelayMs,
    };
    state.refunds[key] = r;
    mine.push(r);
    persist();
    if (fault.refundDelayMs === 0) {
      finish(key);
      return r.status === 'REFUND_SUCCESS' ? ok('Y', r) : bizFail('ACQ.SELLER_BALANCE_NOT_ENOUGH', '卖家余额不足');
    }
    planFinish(key, r);
    return ok('N', r);
  };

  const query = (biz: Record<string, any>): Record<string, unknown> => {
    const t = biz.trade_no ? Object.values(state.orders).find((o) => o.trade_no === biz.trade_no) : state.orders[biz.out_trade_no];
    if (!t) return bizFail('ACQ.TRADE_NOT_EXIST', '交易不存在');
    const r = state.refunds[refundKey(t.trade_no, String(biz.out_request_no ?? ''))];
    // Alipay answers Success with no refund fields for a refund it does not know (or not finished)
    if (!r) return { code: '10000', msg: 'Success' };
    return {
      code: '10000', msg: 'Success', trade_no: t.trade_no, out_trade_no: t.out_trade_no, out_request_no: r.out_request_no,
      total_amount: formatYuan(t.total), refund_amount: formatYuan(r.refund),
      ...(r.status !== 'PROCESSING' ? { refund_status: r.status } : {}),
      ...(r.gmt_refund_pay ? { gmt_refund_pay: r.gmt_refund_pay } : {}),
    };
  };

  const router = new Router();
  router.post('/gateway.do', async (ctx) => {
    if (fault.mode === 'down') {
      ctx.status = 503;
      ctx.body = 'Service Unavailable';
      return;
    }
    if (fault.mode === 'slow') await sleep(fault.delayMs);
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') params[k] = v;
    for (const [k, v] of new URLSearchParams(await readText(ctx.req))) params[k] = v;
    const method = params.method ?? '';
    if (params.app_id !== opts.app.appId) return respond(ctx, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-app-id', sub_msg: '无效的AppID参数' });
    if (params.sign_type !== 'RSA2') return respond(ctx, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature-type', sub_msg: '无效的签名类型' });
    const content = signContent(params, ['sign']);
    let good = false;
    try {
      good = crypto.createVerify('RSA-SHA256').update(content, 'utf8').verify(opts.app.publicKey, params.sign ?? '', 'base64');
    } catch {
      good = false;
    }
    if (!good) return respond(ctx, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature', sub_msg: `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}` });
    let biz: Record<string, any>;
    try {
      biz = JSON.parse(params.biz_content ?? '{}');
    } catch {
      return respond(ctx, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-parameter', sub_msg: 'biz_content 不是合法的JSON' });
    }
    if (method === 'alipay.trade.refund') return respond(ctx, method, refund(biz, params));
    if (method === 'alipay.trade.fastpay.refund.query') return respond(ctx, method, query(biz));
    return respond(ctx, method, { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-method', sub_msg: '不存在的方法名' });
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
    const t: SimTrade = {
      out_trade_no: b.out_trade_no,
      trade_no: typeof b.trade_no === 'string' && b.trade_no ? b.trade_no : `2026${Date.now()}${crypto.randomInt(1e9)}`.slice(0, 28),
      total: b.total,
      paid_at: typeof b.paid_at === 'string' ? new Date(b.paid_at).toISOString() : new Date().toISOString(),
      buyer_id: typeof b.buyer_id === 'string' ? b.buyer_id : '2088102177846880',
      notify_url: typeof b.notify_url === 'string' ? b.notify_url : undefined,
    };
    state.orders[t.out_trade_no] = t;
    persist();
    ctx.body = t;
  });
  router.get('/_sim/orders', (ctx) => (ctx.body = Object.values(state.orders)));
  router.get('/_sim/refunds', (ctx) => (ctx.body = Object.values(state.refunds)));
  router.get('/_sim/notices', (ctx) => {
    const no = typeof ctx.query.out_request_no === 'string' ? ctx.query.out_request_no : undefined;
    ctx.body = state.notices.filter((n) => !no || n.outRefundNo === no).map(({ payload: _p, ...n }) => n);
  });
  router.get('/_sim/faults', (ctx) => (ctx.body = { ...fault, duplicateNotices: sender.forcedDuplicates }));
  router.post('/_sim/faults', async (ctx) => {
    const b = await json(ctx);
    if (!b) return;
    const refused = applyPaymentFaults(b, fault, sender, ['SUCCESS', 'FAIL'] as const);
    if (refused) {
      ctx.status = 400;
      ctx.body = { error: refused };
      return;
    }
    ctx.body = { ...fault, duplicateNotices: sender.forcedDuplicates };
  });

  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(app.callback());
  const host = opts.host ?? '127.0.0.1';
  const port = await listenWithFallback(server, opts.port, host, !!opts.fallbackToFreePort);
  for (const [key, r] of Object.entries(state.refunds)) if (r.status === 'PROCESSING') planFinish(key, r);
  sender.resume();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    gateway: `http://${host}:${port}/gateway.do`,
    port,
    close: () =>
      (closing ??= (async () => {
        for (const t of finishTimers.values()) clearTimeout(t);
        await sender.close();
        await closeServer(server);
      })()),
  };
}
