/**
 * POST /medical-web/api/medical/{method}: the HIS interface. Every answer is a signed envelope
 * with HTTP 200; bad input gets a non-S0000 result naming the field, never a 5xx.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../../common/errors';
import { buildResponse, decodeData, parseEnvelope, verifyEnvelopeSign } from '../../protocol/his-envelope';
import { isIssueMethod } from '../../domain/bill/issue-request';
import { readBody } from '../http';
import { JsonLimitError, parseJsonBounded } from '../../common/json';
import { checkHisText, checkNoise } from '../../domain/his-input';
import { claimEnvelope, dropReplayBefore, finishEnvelope, pruneReplays, releaseEnvelope, replayOf, type EnvelopeKey } from '../../orm/repositories/his-replays';
import type { ApiContext } from '../context';
import { issueViaHis } from './issue';
import { invoiceEBillBatch } from './batch';
import { checkTotalData, getBillByBusDate, getEBillByBusNo, getEBillStatesByBillInfo } from './queries';
import { partialRefundEBill, writeOffEBill } from './write-off';
import { sendEBillNotice } from './notice';
import { getEBillAccountStatus } from './account';
import { applyRefund, getRefund, withdrawRefund } from './refund';
import { getPaperBillNo, getValidBillBatchCode, invalidBlankBillNo, invalidPaper, printPaperBill, reTurnPaper, turnPaper } from './paper';

type Handler = (api: ApiContext, appid: string, business: Record<string, unknown>) => Promise<unknown>;

/** A Map, not an object: a method named like an Object prototype member (toString, __proto__ ...) is just not served. */
const HANDLERS = new Map<string, Handler>(Object.entries({
  getEBillByBusNo,
  getEBillStatesByBillInfo,
  getBillByBusDate,
  checkTotalData,
  writeOffEBill,
  partialRefundEBill,
  sendEBillNotice,
  getPaperBillNo,
  turnPaper,
  reTurnPaper,
  invalidPaper,
  invalidBlankBillNo,
  printPaperBill,
  getValidBillBatchCode,
  getEBillAccountStatus,
  applyRefund,
  getRefund,
  withdrawRefund,
  invoiceEBillBatch,
} satisfies Record<string, Handler>));

/** How long a repeat of an envelope whose first delivery is still running waits for its answer. */
const waitForFirstMs = (api: ApiContext) => api.deps.cfg.bills.issueTimeoutMs + 5_000;
/** A pending claim older than this was abandoned by a process that died: the envelope runs again. */
const abandonedAfterMs = (api: ApiContext) => 2 * api.deps.cfg.bills.issueTimeoutMs + 60_000;
/** Answers that are not final: the same envelope may be sent again and then runs again. */
const NOT_FINAL = new Set(['E0050', 'E9999']);

let lastPrune = 0;
function pruneNow(api: ApiContext): void {
  const now = Date.now();
  if (now - lastPrune < 10 * 60_000) return;
  lastPrune = now;
  pruneReplays(api.deps.orm.em, new Date(now - api.deps.cfg.his.replayWindowMs)).catch(() => {
    lastPrune = 0; // try again on the next request
  });
}

/**
 * The replay guard: claims the envelope, or waits for the answer of its first delivery.
 * Returns the stored answer text of an earlier delivery, or undefined when this delivery runs.
 */
async function firstAnswer(api: ApiContext, k: EnvelopeKey, method: string): Promise<string | undefined> {
  const db = api.deps.orm.em;
  const deadline = Date.now() + waitForFirstMs(api);
  for (;;) {
    if (await claimEnvelope(db, k, method)) return undefined;
    const row = await replayOf(db, k);
    if (row) {
      const age = Date.now() - row.createdAt.getTime();
      if (age > api.deps.cfg.his.replayWindowMs || (row.state === 'pending' && age > abandonedAfterMs(api))) {
        await dropReplayBefore(db, row.id, new Date(Date.now() - Math.min(api.deps.cfg.his.replayWindowMs, abandonedAfterMs(api))));
        continue;
      }
      if (row.state === 'done' && row.answer !== null) return row.answer;
    }
    if (Date.now() > deadline) {
      throw new DomainError('E0050', 'noise: 同一请求（appid、noise、sign 相同）的第一次投递仍在处理中，请稍后用同一请求重试', 'noise');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function mountHisRoutes(router: Router, api: ApiContext): void {
  router.post('/medical-web/api/medical/:method', async (ctx: Context) => {
    const method = String(ctx.params.method);
    const at = new Date();
    const started = performance.now();
    let request: unknown = null;
    let out: unknown;
    const exchange = (resultCode: string, response: unknown) => {
      const b = request as { busNo?: unknown; billNo?: unknown; refundNo?: unknown } | null;
      api.deps.exchangeLog.record({
        at, system: 'his', method: method.slice(0, 64), direction: 'in',
        ...(typeof b?.busNo === 'string' ? { busNo: b.busNo } : {}),
        ...(typeof b?.billNo === 'string' ? { billNo: b.billNo } : {}),
        ...(typeof b?.refundNo === 'string' ? { refundNo: b.refundNo } : {}),
        resultCode, durationMs: Math.round(performance.now() - started), request, response,
      });
    };
    const his = api.deps.cfg.his;
    let appid = '';
    let key: string | undefined;
    let claimed: EnvelopeKey | undefined;
    let answer: { result: string; text: string };
    try {
      const text = await readBody(ctx, his.maxBodyBytes);
      let body: unknown;
      try {
        body = parseJsonBounded(text, his.maxJsonDepth);
      } catch (e) {
        if (e instanceof JsonLimitError && e.reason === 'depth') throw new DomainError('E0001', `body: ${e.message}`, 'body');
        throw new DomainError('E0001', `body: 请求体不是有效的 JSON（${(e as Error).message}）`);
      }
      const env = parseEnvelope(body);
      appid = env.appid;
      const app = await api.deps.master.app(env.appid);
      if (!app || !app.active) throw new DomainError('E0003', `appid: 接入应用 ${env.appid} 不存在或已停用`, 'appid');
      verifyEnvelopeSign(env, app.key);
      key = app.key;
      const business = decodeData(env, his.maxJsonDepth);
      // the decoded request as the HIS sent it (a fresh object of this request; handlers only read it)
      request = business;
      checkNoise(env.noise);
      const k: EnvelopeKey = { appid, noise: env.noise, sign: env.sign.toUpperCase() };
      pruneNow(api);
      const earlier = await firstAnswer(api, k, method);
      if (earlier !== undefined) {
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = earlier;
        exchange(replayResult(earlier), { replay: true });
        return;
      }
      claimed = k;
      checkHisText(business, his.maxJsonDepth);
      const handler = HANDLERS.get(method);
      if (isIssueMethod(method)) out = await issueViaHis(api, appid, method, business);
      else if (handler) out = await handler(api, appid, business);
      else throw new DomainError('E0040', `method: 不支持的接口方法 ${method}`, 'method');
      answer = { result: 'S0000', text: JSON.stringify(buildResponse('S0000', out, appid, key)) };
    } catch (e) {
      if (!(e instanceof DomainError)) ctx.app.emit('error', e, ctx);
      const err = e instanceof DomainError ? e : new DomainError('E9999', '内部错误，可用同一 busNo 重试该请求');
      // Errors answer with plain text (what HIS integrations display), starting with the field at fault.
      answer = { result: err.code, text: JSON.stringify(buildResponse(err.code, err.message, appid, key)) };
      out = { message: err.message };
    }
    if (claimed) {
      try {
        if (NOT_FINAL.has(answer.result)) await releaseEnvelope(api.deps.orm.em, claimed);
        else await finishEnvelope(api.deps.orm.em, claimed, answer.text);
      } catch (e) {
        ctx.app.emit('error', e, ctx);
      }
    }
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = answer.text;
    exchange(answer.result, out);
  });
}

/** The result code of a stored answer sent again (a replay: rare, so decoding it here is cheap enough). */
function replayResult(text: string): string {
  try {
    const env = JSON.parse(text) as { data?: string };
    const r = JSON.parse(Buffer.from(String(env.data ?? ''), 'base64').toString('utf8')) as { result?: unknown };
    return typeof r.result === 'string' ? r.result : 'replay';
  } catch {
    return 'replay';
  }
}

