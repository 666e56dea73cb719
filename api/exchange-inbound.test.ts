/**
 * The inbound exchanges are recorded after the answer is set, refused ones included: a HIS call
 * whose body is not JSON (answered E0001) and payment notices that do not verify (WeChat 401,
 * Alipay `fail`). Accepted calls and notices need the database and Temporal: covered with the
 * platform (see the report of issue 14).
 */
import * as http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import type { ExchangeEntry } from '../common/exchange';
import { PaymentNoticeError } from '../adapters/payment/channel';
import { mountHisRoutes } from './his/routes';
import { mountPaymentNotifyRoutes } from './pay/routes';
import type { ApiContext } from './context';

const entries: ExchangeEntry[] = [];
let server: http.Server;
let base = '';

beforeAll(async () => {
  const refuse = () => {
    throw new PaymentNoticeError('E0082', 'notice: signature does not verify');
  };
  const api = {
    deps: {
      cfg: { his: { maxBodyBytes: 1 << 20, maxJsonDepth: 32, replayWindowMs: 60_000 }, bills: { issueTimeoutMs: 10_000 } },
      exchangeLog: { record: (e: ExchangeEntry) => void entries.push(e) },
      payments: { wechat: { verifyNotice: refuse }, alipay: { verifyNotice: refuse } },
    },
  } as unknown as ApiContext;
  const router = new Router();
  mountHisRoutes(router, api);
  mountPaymentNotifyRoutes(router, api, () => {});
  const app = new Koa();
  app.silent = true;
  app.use(router.routes());
  server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => void (entries.length = 0));

it('a HIS call answered E0001 is one inbound entry with its method and result code', async () => {
  const r = await fetch(`${base}/medical-web/api/medical/invoiceEBillOutpatient`, { method: 'POST', body: '{not json' });
  expect(r.status).toBe(200);
  await r.text();
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ system: 'his', method: 'invoiceEBillOutpatient', direction: 'in', resultCode: 'E0001' });
  expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
});

it('a WeChat Pay and an Alipay notice that do not verify are each one inbound entry', async () => {
  const wx = await fetch(`${base}/pay/notify/wechat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"x"}' });
  expect(wx.status).toBe(401);
  await wx.text();
  const ali = await fetch(`${base}/pay/notify/alipay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sign=x' });
  expect(await ali.text()).toBe('fail');
  expect(entries.map((e) => [e.system, e.method, e.direction, e.resultCode])).toEqual([
    ['wechatpay', 'POST /pay/notify/wechat', 'in', 'E0082'],
    ['alipay', 'POST /pay/notify/alipay', 'in', 'E0082'],
  ]);
});
