/**
 * The refund adapters against the simulators started in-process: signatures checked both ways,
 * idempotent refund numbers, over-refunds refused, later completion seen by query and by notice,
 * notices verified and decrypted, forged ones refused.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { paymentTestIdentities } from './test-identities';
import { startWeChatPaySim, type WeChatPaySim } from '../../sim/wechatpay/server';
import { startAlipaySim, type AlipaySim } from '../../sim/alipay/server';
import { WeChatPayChannel, type WeChatPayOptions } from './wechatpay';
import { AlipayChannel, type AlipayOptions } from './alipay';
import { PaymentNoticeError, PaymentRejectedError, PaymentUnavailableError, type PaymentChannel, type RefundNotice } from './channel';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-pay-'));
const { merchant, wxPlatform, aliApp, aliPlatform, API_V3_KEY, MCH, PLATFORM_SERIAL, APP_ID } = paymentTestIdentities(dataDir);

/** A merchant notify endpoint: verifies each notice with the channel and records it. */
function receiver(channel: () => PaymentChannel, ok: (status: number) => { status: number; body: string }) {
  const got: RefundNotice[] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        got.push(channel().verifyNotice(req.headers, Buffer.concat(chunks).toString('utf8')));
        const a = ok(200);
        res.writeHead(a.status).end(a.body);
      } catch (e) {
        refused.push((e as Error).message);
        res.writeHead(401).end('fail');
      }
    });
  });
  return { server, got, refused };
}

async function listen(s: http.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/notify`;
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('WeChat Pay v3 adapter against the simulator', () => {
  let sim: WeChatPaySim;
  let wx: WeChatPayChannel;
  let opts: WeChatPayOptions;
  const rx = receiver(() => wx, () => ({ status: 204, body: '' }));
  let notifyUrl: string;

  beforeAll(async () => {
    notifyUrl = await listen(rx.server);
    sim = await startWeChatPaySim({
      port: 0, dataDir,
      merchant: { ...MCH, publicKey: merchant.publicKey, apiV3Key: API_V3_KEY },
      platform: { serial: PLATFORM_SERIAL, privateKey: wxPlatform.privateKey },
      refundDelayMs: 300, partialGapMs: 0, timeScale: 1000,
    });
    opts = { baseUrl: sim.url, ...MCH, privateKey: merchant.privateKey, platformSerial: PLATFORM_SERIAL, platformPublicKey: wxPlatform.publicKey, apiV3Key: API_V3_KEY, notifyUrl, timeoutMs: 5000 };
    wx = new WeChatPayChannel(opts);
  });
  afterAll(async () => {
    await sim.close();
    rx.server.close();
  });

  it('refunds once for 10 concurrent calls with one out_refund_no; PROCESSING then SUCCESS by query and by a verified, decrypted notice', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-ORDER-1', transaction_id: '4200000001202611220000000001', total: 10000 });
    const req = { outRefundNo: 'RF-WX-1', orderRef: { outTradeNo: 'WX-ORDER-1' }, amountFen: 2550, totalFen: 10000, reason: '部分退费' };
    const results = await Promise.all(Array.from({ length: 10 }, () => wx.refund(req)));
    expect(new Set(results.map((r) => r.channelRefundId)).size).toBe(1);
    expect(results[0]!.state).toBe('processing');
    expect(results[0]!.amountFen).toBe(2550);
    const refunds = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as Array<{ out_refund_no: string }>;
    expect(refunds.filter((r) => r.out_refund_no === 'RF-WX-1')).toHaveLength(1);

    const done = await eventually(async () => {
      const q = await wx.queryRefund('RF-WX-1');
      return q.state === 'success' && q;
    }, 'the refund to succeed');
    expect(done.successTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    const notice = await eventually(() => rx.got.find((n) => n.outRefundNo === 'RF-WX-1'), 'the notice');
    expect(notice).toMatchObject({ channel: 'wechat', state: 'success', amountFen: 2550, outTradeNo: 'WX-ORDER-1', channelRefundId: done.channelRefundId });
    // a retry after success changes nothing
    expect((await wx.refund(req)).state).toBe('success');
  });

  it('refuses an over-refund with the channel code, and a different amount under a used out_refund_no', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-ORDER-2', total: 1000 });
    await wx.refund({ outRefundNo: 'RF-WX-2a', orderRef: { outTradeNo: 'WX-ORDER-2' }, amountFen: 800, totalFen: 1000 });
    const over = wx.refund({ outRefundNo: 'RF-WX-2b', orderRef: { outTradeNo: 'WX-ORDER-2' }, amountFen: 201, totalFen: 1000 });
    await expect(over).rejects.toBeInstanceOf(PaymentRejectedError);
    await expect(over).rejects.toMatchObject({ channelCode: 'INVALID_REQUEST', code: 'E0081' });
    await expect(wx.refund({ outRefundNo: 'RF-WX-2a', orderRef: { outTradeNo: 'WX-ORDER-2' }, amountFen: 100, totalFen: 1000 })).rejects.toMatchObject({ channelCode: 'INVALID_REQUEST' });
    expect((await wx.refund({ outRefundNo: 'RF-WX-2c', orderRef: { outTradeNo: 'WX-ORDER-2' }, amountFen: 200, totalFen: 1000 })).amountFen).toBe(200);
  });

  it('refuses a request signed with another key (401 SIGN_ERROR), and an answer not signed by the platform', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-ORDER-3', total: 500 });
    const stranger = new WeChatPayChannel({ ...opts, privateKey: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
    const r = stranger.refund({ outRefundNo: 'RF-WX-3', orderRef: { outTradeNo: 'WX-ORDER-3' }, amountFen: 100, totalFen: 500 });
    await expect(r).rejects.toMatchObject({ channelCode: 'SIGN_ERROR' });
    // a tampered body under a good signature: sign one body, send another
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = JSON.stringify({ out_trade_no: 'WX-ORDER-3', out_refund_no: 'RF-WX-3', amount: { refund: 1, total: 500, currency: 'CNY' } });
    const sent = signed.replace('"refund":1', '"refund":500');
    const sig = crypto.createSign('RSA-SHA256').update(`POST\n/v3/refund/domestic/refunds\n${ts}\nabc\n${signed}\n`).sign(merchant.privateKey, 'base64');
    const res = await fetch(`${sim.url}/v3/refund/domestic/refunds`, {
      method: 'POST', body: sent,
      headers: { 'content-type': 'application/json', authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${MCH.mchId}",nonce_str="abc",signature="${sig}",timestamp="${ts}",serial_no="${MCH.serial}"` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('SIGN_ERROR');
    expect((await (await fetch(`${sim.url}/_sim/refunds`)).json() as Array<{ out_refund_no: string }>).some((x) => x.out_refund_no === 'RF-WX-3')).toBe(false);
    // the merchant trusts only the platform's key: a platform answer checked with another key fails (retryable)
    const wrongTrust = new WeChatPayChannel({ ...opts, platformPublicKey: merchant.publicKey });
    await expect(wrongTrust.refund({ outRefundNo: 'RF-WX-3', orderRef: { outTradeNo: 'WX-ORDER-3' }, amountFen: 100, totalFen: 500 })).rejects.toBeInstanceOf(PaymentUnavailableError);
  });

  it('splits retryable errors from permanent ones', async () => {
    await post(`${sim.url}/_sim/faults`, { errorCode: 'SYSTEM_ERROR', errorCount: 1 });
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-ORDER-4', total: 500 });
    const req = { outRefundNo: 'RF-WX-4', orderRef: { outTradeNo: 'WX-ORDER-4' }, amountFen: 500, totalFen: 500 };
    await expect(wx.refund(req)).rejects.toMatchObject({ code: 'E0080', channelCode: 'SYSTEM_ERROR' });
    expect((await wx.refund(req)).state).toBe('processing');
    await expect(wx.refund({ ...req, outRefundNo: 'RF-WX-x', orderRef: { outTradeNo: 'NO-SUCH' } })).rejects.toMatchObject({ channelCode: 'RESOURCE_NOT_EXISTS' });
    await post(`${sim.url}/_sim/faults`, { mode: 'down' });
    await expect(wx.queryRefund('RF-WX-4')).rejects.toBeInstanceOf(PaymentUnavailableError);
    await post(`${sim.url}/_sim/faults`, { mode: 'ok' });
  });

  it('refuses an old order and a too-early partial refund with the real codes', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-OLD', total: 500, paid_at: new Date(Date.now() - 400 * 86_400_000).toISOString() });
    await expect(wx.refund({ outRefundNo: 'RF-WX-old', orderRef: { outTradeNo: 'WX-OLD' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ channelCode: 'INVALID_REQUEST' });
    await post(`${sim.url}/_sim/faults`, { partialGapMs: 60_000 });
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-GAP', total: 500 });
    await wx.refund({ outRefundNo: 'RF-WX-gap1', orderRef: { outTradeNo: 'WX-GAP' }, amountFen: 100, totalFen: 500 });
    await expect(wx.refund({ outRefundNo: 'RF-WX-gap2', orderRef: { outTradeNo: 'WX-GAP' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ code: 'E0080', channelCode: 'FREQUENCY_LIMITED' });
    await post(`${sim.url}/_sim/faults`, { partialGapMs: 0 });
  });

  it('verifies notice signatures: a forged or altered notice is refused, an ABNORMAL refund arrives as failed', async () => {
    await post(`${sim.url}/_sim/faults`, { refundOutcome: 'ABNORMAL' });
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'WX-ORDER-5', total: 300 });
    await wx.refund({ outRefundNo: 'RF-WX-5', orderRef: { outTradeNo: 'WX-ORDER-5' }, amountFen: 300, totalFen: 300 });
    const n = await eventually(() => rx.got.find((x) => x.outRefundNo === 'RF-WX-5'), 'the ABNORMAL notice');
    expect(n).toMatchObject({ state: 'failed', failReason: 'ABNORMAL' });
    await post(`${sim.url}/_sim/faults`, { refundOutcome: 'SUCCESS' });

    const body = JSON.stringify({ id: 'x', resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'AAAA', nonce: 'n', associated_data: 'refund' } });
    const ts = String(Math.floor(Date.now() / 1000));
    const forged = crypto.createSign('RSA-SHA256').update(`${ts}\nnonce\n${body}\n`).sign(merchant.privateKey, 'base64');
    const h = { 'wechatpay-timestamp': ts, 'wechatpay-nonce': 'nonce', 'wechatpay-serial': PLATFORM_SERIAL, 'wechatpay-signature': forged };
    expect(() => wx.verifyNotice(h, body)).toThrow(PaymentNoticeError);
    const genuine = crypto.createSign('RSA-SHA256').update(`${ts}\nnonce\n${body}\n`).sign(wxPlatform.privateKey, 'base64');
    expect(() => wx.verifyNotice({ ...h, 'wechatpay-signature': genuine }, body.replace('"x"', '"y"'))).toThrow(/does not verify/);
    // genuinely signed but the resource is not ours to decrypt
    expect(() => wx.verifyNotice({ ...h, 'wechatpay-signature': genuine }, body)).toThrow(expect.objectContaining({ code: 'E0083' }));
  });
});

describe('Alipay adapter against the simulator', () => {
  let sim: AlipaySim;
  let ali: AlipayChannel;
  let opts: AlipayOptions;
  const rx = receiver(() => ali, () => ({ status: 200, body: 'success' }));

  beforeAll(async () => {
    const notifyUrl = await listen(rx.server);
    sim = await startAlipaySim({ port: 0, dataDir, app: { appId: APP_ID, publicKey: aliApp.publicKey }, platformPrivateKey: aliPlatform.privateKey, refundDelayMs: 300, timeScale: 1000 });
    opts = { gateway: sim.gateway, appId: APP_ID, privateKey: aliApp.privateKey, alipayPublicKey: aliPlatform.publicKey, notifyUrl, timeoutMs: 5000 };
    ali = new AlipayChannel(opts);
  });
  afterAll(async () => {
    await sim.close();
    rx.server.close();
  });

  it('refunds once for 10 concurrent calls with one out_request_no; finishes later, seen by query and by a verified notice', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'ALI-ORDER-1', total: 12345 });
    const req = { outRefundNo: 'RF-ALI-1', orderRef: { outTradeNo: 'ALI-ORDER-1' }, amountFen: 2345, totalFen: 12345, reason: '部分退费' };
    const results = await Promise.all(Array.from({ length: 10 }, () => ali.refund(req)));
    expect(results.every((r) => r.state !== 'failed')).toBe(true);
    const refunds = (await (await fetch(`${sim.url}/_sim/refunds`)).json()) as Array<{ out_request_no: string; refund: number }>;
    expect(refunds.filter((r) => r.out_request_no === 'RF-ALI-1')).toEqual([expect.objectContaining({ refund: 2345 })]);
    const done = await eventually(async () => {
      const q = await ali.queryRefund('RF-ALI-1', { outTradeNo: 'ALI-ORDER-1' });
      return q.state === 'success' && q;
    }, 'the refund to succeed');
    expect(done.amountFen).toBe(2345);
    const n = await eventually(() => rx.got.find((x) => x.outRefundNo === 'RF-ALI-1'), 'the notice');
    expect(n).toMatchObject({ channel: 'alipay', state: 'success', outTradeNo: 'ALI-ORDER-1' });
    expect((await ali.refund(req)).state).toBe('success');
  });

  it('refuses an over-refund and a different amount under a used out_request_no', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'ALI-ORDER-2', total: 1000 });
    await ali.refund({ outRefundNo: 'RF-ALI-2a', orderRef: { outTradeNo: 'ALI-ORDER-2' }, amountFen: 999, totalFen: 1000 });
    await expect(ali.refund({ outRefundNo: 'RF-ALI-2b', orderRef: { outTradeNo: 'ALI-ORDER-2' }, amountFen: 2, totalFen: 1000 })).rejects.toMatchObject({ code: 'E0081', channelCode: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
    await expect(ali.refund({ outRefundNo: 'RF-ALI-2a', orderRef: { outTradeNo: 'ALI-ORDER-2' }, amountFen: 1, totalFen: 1000 })).rejects.toMatchObject({ channelCode: 'ACQ.DISCORDANT_REPEAT_REQUEST' });
  });

  it('refuses a request signed with another key (isv.invalid-signature) and an answer not signed by Alipay', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'ALI-ORDER-3', total: 500 });
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const stranger = new AlipayChannel({ ...opts, privateKey: other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
    await expect(stranger.refund({ outRefundNo: 'RF-ALI-3', orderRef: { outTradeNo: 'ALI-ORDER-3' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ channelCode: 'isv.invalid-signature' });
    const wrongTrust = new AlipayChannel({ ...opts, alipayPublicKey: other.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    await expect(wrongTrust.refund({ outRefundNo: 'RF-ALI-3', orderRef: { outTradeNo: 'ALI-ORDER-3' }, amountFen: 100, totalFen: 500 })).rejects.toBeInstanceOf(PaymentUnavailableError);
    await expect(ali.refund({ outRefundNo: 'RF-ALI-x', orderRef: { outTradeNo: 'NO-SUCH' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ channelCode: 'ACQ.TRADE_NOT_EXIST' });
    await post(`${sim.url}/_sim/faults`, { errorCode: 'ACQ.SYSTEM_ERROR', errorCount: 1 });
    await expect(ali.refund({ outRefundNo: 'RF-ALI-3', orderRef: { outTradeNo: 'ALI-ORDER-3' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ code: 'E0080' });
    await post(`${sim.url}/_sim/faults`, { mode: 'down' });
    await expect(ali.refund({ outRefundNo: 'RF-ALI-3', orderRef: { outTradeNo: 'ALI-ORDER-3' }, amountFen: 100, totalFen: 500 })).rejects.toBeInstanceOf(PaymentUnavailableError);
    await post(`${sim.url}/_sim/faults`, { mode: 'ok' });
  });

  it('refuses trades older than the refund window', async () => {
    await post(`${sim.url}/_sim/orders`, { out_trade_no: 'ALI-OLD', total: 500, paid_at: new Date(Date.now() - 100 * 86_400_000).toISOString() });
    await expect(ali.refund({ outRefundNo: 'RF-ALI-old', orderRef: { outTradeNo: 'ALI-OLD' }, amountFen: 100, totalFen: 500 })).rejects.toMatchObject({ channelCode: 'ACQ.TRADE_NOT_ALLOW_REFUND' });
  });

  it('refuses a forged or altered notice', async () => {
    const n = rx.got.find((x) => x.outRefundNo === 'RF-ALI-1')!;
    const fields = { ...(n.raw as Record<string, string>) };
    const altered = new URLSearchParams({ ...fields, refund_fee: '999.00' }).toString();
    expect(() => ali.verifyNotice({}, altered)).toThrow(PaymentNoticeError);
    const { sign: _s, sign_type: _t, ...rest } = fields;
    const content = Object.keys(rest).sort().map((k) => `${k}=${rest[k]}`).join('&');
    const forged = crypto.createSign('RSA-SHA256').update(content).sign(aliApp.privateKey, 'base64');
    expect(() => ali.verifyNotice({}, new URLSearchParams({ ...rest, sign_type: 'RSA2', sign: forged }).toString())).toThrow(/does not verify/);
    expect(ali.verifyNotice({}, new URLSearchParams(fields).toString()).outRefundNo).toBe('RF-ALI-1');
  });
});
