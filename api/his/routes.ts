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
import type { ApiContext } from '../context';
import { issueViaHis } from './issue';
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
} satisfies Record<string, Handler>));

export function mountHisRoutes(router: Router, api: ApiContext): void {
  router.post('/medical-web/api/medical/:method', async (ctx: Context) => {
    const method = String(ctx.params.method);
    let appid = '';
    let key: string | undefined;
    try {
      const text = await readBody(ctx);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new DomainError('E0001', `request body: not valid JSON (${(e as Error).message})`);
      }
      const env = parseEnvelope(body);
      appid = env.appid;
      const app = await api.deps.master.app(env.appid);
      if (!app || !app.active) throw new DomainError('E0003', `appid: unknown or disabled application "${env.appid}"`, 'appid');
      verifyEnvelopeSign(env, app.key);
      key = app.key;
      const business = decodeData(env);
      let out: unknown;
      const handler = HANDLERS.get(method);
      if (isIssueMethod(method)) out = await issueViaHis(api, appid, method, business);
      else if (handler) out = await handler(api, appid, business);
      else throw new DomainError('E0040', `method: "${method}" is not served`, 'method');
      ctx.body = buildResponse('S0000', out, appid, key);
    } catch (e) {
      if (!(e instanceof DomainError)) ctx.app.emit('error', e, ctx);
      const err = e instanceof DomainError ? e : new DomainError('E9999', 'internal error; the request can be retried with the same busNo');
      // Errors answer with plain text (what HIS integrations display), starting with the field at fault.
      ctx.body = buildResponse(err.code, err.message, appid, key);
    }
    ctx.status = 200;
  });
}
