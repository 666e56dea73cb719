/**
 * Every outside call of an adapter leaves one exchange-log entry on the sink it was built with:
 * system, method, direction 'out', the business keys, the answer's result code, and a recorded
 * request that holds no key, secret, password or access token. A failed call records a code other
 * than 'ok'. Local signing records nothing (no outside system is involved).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExchangeEntry, ExchangeSink } from '../common/exchange';
import { sm2KeyPair } from '../common/gm';
import { HttpFiscalPlatform } from './fiscal/client';
import { FiscalUnavailableError } from './fiscal/platform';
import { createPrinter } from './printer/http-printer';
import { createSigner } from './signing';
import { MailNotifier, SmsNotifier, WechatNotifier, WechatCardInserter, recordedNotifier, type NoticeInput } from './notify';
import { paymentTestIdentities } from './payment/test-identities';
import { WeChatPayChannel } from './payment/wechatpay';
import { AlipayChannel } from './payment/alipay';
import { startNotifySim, type NotifySim } from '../sim/notify/server';
import { startSignerSim, type SignerSim } from '../sim/signer/server';
import { startWeChatPaySim, type WeChatPaySim } from '../sim/wechatpay/server';
import { startAlipaySim, type AlipaySim } from '../sim/alipay/server';

function capture(): ExchangeSink & { entries: ExchangeEntry[] } {
  const entries: ExchangeEntry[] = [];
  return { entries, record: (e) => void entries.push(e) };
}

/** A fake outside server answering each request with `answer(path)`. */
async function fake(answer: (p: string) => { status: number; body: unknown }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answer(req.url ?? '');
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const noSecret = (e: ExchangeEntry, ...secrets: string[]) => {
  const text = JSON.stringify(e);
  for (const s of secrets) expect(text).not.toContain(s);
};

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-exch-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('fiscal platform', () => {
  let srv: Awaited<ReturnType<typeof fake>>;
  let status = 200;
  beforeAll(async () => {
    srv = await fake(() => (status === 200 ? { status: 200, body: { code: '0000', data: { results: [{ billNo: '0000000001', state: 'ok' }] } } } : { status, body: { code: '9999', message: 'down' } }));
  });
  afterAll(() => srv.close());

  it('one entry per upload, with the batch, the bill, code 0000 and no secret; a 503 records 503', async () => {
    const sink = capture();
    const secret = 'FISCAL-SECRET-0123456789';
    const f = new HttpFiscalPlatform({ url: srv.url, appId: 'APP1', secret, timeoutMs: 5000, exchangeLog: sink });
    await f.uploadBills('H1', 'B-20261204-1', [{ billNo: '0000000001' } as never]);
    expect(sink.entries).toHaveLength(1);
    expect(sink.entries[0]).toMatchObject({ system: 'fiscal', method: 'POST /fiscal/bills/upload', direction: 'out', busNo: 'B-20261204-1', billNo: '0000000001', resultCode: '0000' });
    expect(sink.entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
    noSecret(sink.entries[0]!, secret);
    status = 503;
    await expect(f.uploadBills('H1', 'B-2', [])).rejects.toBeInstanceOf(FiscalUnavailableError);
    expect(sink.entries[1]).toMatchObject({ system: 'fiscal', direction: 'out', resultCode: '503' });
    status = 200;
  });
});

describe('printer', () => {
  it('one entry per job without the document; a 500 records 500', async () => {
    let status = 200;
    const srv = await fake(() => (status === 200 ? { status: 200, body: { state: 'completed' } } : { status: 500, body: { error: 'jam' } }));
    try {
      const sink = capture();
      const p = createPrinter(srv.url, sink);
      const job = { jobId: 'job-1', printer: 'P1', media: 'A4', title: '票据', pdf: Buffer.from('%PDF-1.4 SECRET-PDF-BODY'), busNo: 'MZ1', billNo: '0000000007' } as never;
      await p.print(job);
      expect(sink.entries).toHaveLength(1);
      expect(sink.entries[0]).toMatchObject({ system: 'printer', method: 'POST /printer/jobs', direction: 'out', resultCode: 'completed', busNo: 'MZ1', billNo: '0000000007' });
      noSecret(sink.entries[0]!, 'SECRET-PDF-BODY');
      status = 500;
      await expect(p.print({ ...(job as object), jobId: 'job-2' } as never)).rejects.toThrow();
      expect(sink.entries[1]).toMatchObject({ system: 'printer', resultCode: '500' });
    } finally {
      await srv.close();
    }
  });
});

describe('signing', () => {
  let sim: SignerSim;
  const key = sm2KeyPair();
  beforeAll(async () => {
    sim = await startSignerSim({ port: 0, keys: { 'hosp-1': key } });
  });
  afterAll(() => sim.close());

  it('the remote signer records each call with the bill it signed, without the private key; the local signer records nothing', async () => {
    const sink = capture();
    const remote = createSigner({ signerUrl: sim.url, signThreads: 1, publicKey: key.publicKey, keyId: 'hosp-1', exchangeLog: sink });
    try {
      await remote.sign('bill 0000000001', { busNo: 'MZ20261204001', billNo: '0000000001' });
    } finally {
      await remote.close();
    }
    expect(sink.entries).toHaveLength(1);
    expect(sink.entries[0]).toMatchObject({ system: 'signer', method: 'POST /sign', direction: 'out', resultCode: '0', busNo: 'MZ20261204001', billNo: '0000000001' });
    noSecret(sink.entries[0]!, key.privateKey);

    const local = createSigner({ signerUrl: '', signThreads: 1, publicKey: key.publicKey, privateKey: key.privateKey, exchangeLog: sink });
    try {
      await local.sign('bill 0000000002');
    } finally {
      await local.close();
    }
    expect(sink.entries).toHaveLength(1);
  });

  it('an unreachable signing server records a failure', async () => {
    const sink = capture();
    const srv = await fake(() => ({ status: 503, body: {} }));
    const remote = createSigner({ signerUrl: srv.url, signThreads: 1, publicKey: key.publicKey, keyId: 'hosp-1', exchangeLog: sink });
    try {
      await expect(remote.sign('x')).rejects.toThrow();
    } finally {
      await remote.close();
      await srv.close();
    }
    expect(sink.entries).toHaveLength(1);
    expect(sink.entries[0]!.resultCode).toBe('503');
  });
});

describe('notices', () => {
  let sim: NotifySim;
  beforeAll(async () => {
    sim = await startNotifySim({ port: 0, smtpPort: 0 });
  });
  afterAll(() => sim.close());
  const notice = (over: Partial<NoticeInput> = {}): NoticeInput => ({
    idempotencyKey: 'bill-1-x', target: '', hospitalName: '杭州市第一人民医院', payer: '张三', billBatchCode: '33010125', billNo: '0000012345',
    random: 'a1b2c3', totalAmt: '128.50', h5Url: 'http://127.0.0.1:8080/h5/bill/abc', issuedAt: new Date('2025-03-01T06:05:09Z'), ...over,
  });

  it('SMS, e-mail, WeChat and card pack: one entry each with the bill number, no password, secret or token', async () => {
    const sink = capture();
    const smtpPassword = 'SMTP-PASS-93jd';
    const wxSecret = 'WX-SECRET-81kd';
    const wechat = new WechatNotifier({ url: `${sim.url}/wechat`, appId: 'wxmedbill', secret: wxSecret, templateId: 'TPL_BILL', refundTemplateId: 'TPL_REFUND', timeoutMs: 5000 });
    const pdf = path.join(dataDir, 'bill.pdf');
    fs.writeFileSync(pdf, Buffer.from('%PDF-1.4\nbill\n%%EOF\n'));
    const all = [
      recordedNotifier(new SmsNotifier({ url: `${sim.url}/sms`, timeoutMs: 5000 }), sink),
      recordedNotifier(new MailNotifier({ smtpUrl: `smtp://medbill:${smtpPassword}@127.0.0.1:${sim.smtpPort}`, from: 'ebill@hospital.test', timeoutMs: 5000 }), sink),
      recordedNotifier(wechat, sink),
      recordedNotifier(new WechatCardInserter({ url: `${sim.url}/wechat`, appId: 'wxmedbill', cardId: 'pCARD0001', tokens: wechat }), sink),
    ];
    const targets = { sms: '13800138000', email: 'zhang@example.com', wechat: 'oUser000001', card: 'oUser000001' };
    for (const n of all) await n.send(notice({ idempotencyKey: `bill-1-${n.channel}`, target: targets[n.channel], totalFen: 12850, pdfPath: pdf }));
    expect(sink.entries.map((e) => [e.system, e.direction, e.billNo, e.resultCode])).toEqual([
      ['sms', 'out', '0000012345', 'ok'],
      ['email', 'out', '0000012345', 'ok'],
      ['wechat', 'out', '0000012345', 'ok'],
      ['card-pack', 'out', '0000012345', 'ok'],
    ]);
    expect(sink.entries.map((e) => e.method)).toEqual(['POST /send', 'SMTP sendMail', 'POST /cgi-bin/message/template/send', 'POST /nontax/insertbill']);
    for (const e of sink.entries) noSecret(e, smtpPassword, wxSecret);
  });

  it('a gateway that is down records a failure code, not ok', async () => {
    const sink = capture();
    const r = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ system: 'sms', mode: 'down' }) });
    expect(r.status).toBe(200);
    try {
      const sms = recordedNotifier(new SmsNotifier({ url: `${sim.url}/sms`, timeoutMs: 5000 }), sink);
      await expect(sms.send(notice({ idempotencyKey: 'bill-2-sms', target: '13800138000' }))).rejects.toThrow();
    } finally {
      await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ system: 'sms', mode: 'ok' }) });
    }
    expect(sink.entries).toHaveLength(1);
    expect(sink.entries[0]!.system).toBe('sms');
    expect(sink.entries[0]!.resultCode).not.toBe('ok');
  });
});

describe('payment channels', () => {
  const { merchant, wxPlatform, aliApp, aliPlatform, API_V3_KEY, MCH, PLATFORM_SERIAL, APP_ID } = paymentTestIdentities(dataDir);
  let wxSim: WeChatPaySim;
  let aliSim: AlipaySim;
  const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const keyBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '').slice(20, 80);

  beforeAll(async () => {
    wxSim = await startWeChatPaySim({
      port: 0, dataDir, merchant: { ...MCH, publicKey: merchant.publicKey, apiV3Key: API_V3_KEY },
      platform: { serial: PLATFORM_SERIAL, privateKey: wxPlatform.privateKey }, refundDelayMs: 300, partialGapMs: 0, timeScale: 1000,
    });
    aliSim = await startAlipaySim({ port: 0, dataDir, app: { appId: APP_ID, publicKey: aliApp.publicKey }, platformPrivateKey: aliPlatform.privateKey, refundDelayMs: 300, timeScale: 1000 });
  });
  afterAll(async () => {
    await wxSim.close();
    await aliSim.close();
  });

  it('WeChat Pay: the refund call records refundNo, orderNo and the refund status, without the private key or APIv3 key; a refused one its code', async () => {
    const sink = capture();
    await post(`${wxSim.url}/_sim/orders`, { out_trade_no: 'WX-EX-1', transaction_id: '4200000001202611220000000091', total: 10000 });
    const wx = new WeChatPayChannel({ baseUrl: wxSim.url, ...MCH, privateKey: merchant.privateKey, platformSerial: PLATFORM_SERIAL, platformPublicKey: wxPlatform.publicKey, apiV3Key: API_V3_KEY, notifyUrl: 'http://127.0.0.1:1/pay/notify/wechat', timeoutMs: 5000, exchangeLog: sink });
    await wx.refund({ outRefundNo: 'RF-EX-WX-1', orderRef: { outTradeNo: 'WX-EX-1' }, amountFen: 100, totalFen: 10000 });
    expect(sink.entries).toHaveLength(1);
    expect(sink.entries[0]).toMatchObject({ system: 'wechatpay', method: 'POST /v3/refund/domestic/refunds', direction: 'out', refundNo: 'RF-EX-WX-1', orderNo: 'WX-EX-1' });
    expect(['PROCESSING', 'SUCCESS']).toContain(sink.entries[0]!.resultCode);
    noSecret(sink.entries[0]!, API_V3_KEY, keyBody(merchant.privateKey));
    await expect(wx.refund({ outRefundNo: 'RF-EX-WX-2', orderRef: { outTradeNo: 'WX-NO-SUCH-ORDER' }, amountFen: 100, totalFen: 10000 })).rejects.toThrow();
    expect(sink.entries).toHaveLength(2);
    expect(sink.entries[1]!.resultCode).not.toBe('ok');
    expect(sink.entries[1]!.resultCode).not.toBe('SUCCESS');
  });

  it('Alipay: the refund call records refundNo, orderNo and code 10000, without the app private key', async () => {
    const sink = capture();
    await post(`${aliSim.url}/_sim/orders`, { out_trade_no: 'ALI-EX-1', total: 12345 });
    const ali = new AlipayChannel({ gateway: aliSim.gateway, appId: APP_ID, privateKey: aliApp.privateKey, alipayPublicKey: aliPlatform.publicKey, notifyUrl: 'http://127.0.0.1:1/pay/notify/alipay', timeoutMs: 5000, exchangeLog: sink });
    await ali.refund({ outRefundNo: 'RF-EX-ALI-1', orderRef: { outTradeNo: 'ALI-EX-1' }, amountFen: 100, totalFen: 12345 });
    expect(sink.entries.length).toBeGreaterThanOrEqual(1);
    expect(sink.entries[0]).toMatchObject({ system: 'alipay', method: 'alipay.trade.refund', direction: 'out', refundNo: 'RF-EX-ALI-1', orderNo: 'ALI-EX-1', resultCode: '10000' });
    for (const e of sink.entries) noSecret(e, keyBody(aliApp.privateKey));
  });
});
