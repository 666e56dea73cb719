/**
 * Refund notices on the real platform: the WeChat Pay and Alipay simulators (started by the
 * platform) deliver signed notices to /pay/notify/*; each refund state change is recorded once,
 * however many deliveries arrive (a forced duplicate, 15 duplicates at once); forged notices are
 * refused; an unanswered notice is retried on the channel's schedule (time-scaled).
 */
import { createPaymentChannels, type PaymentChannels } from '../adapters/payment';
import { PaymentNotice } from '../orm/entities';
import { freePort } from '../scripts/temporal-dev';
import { eventually, startPlatform, type Platform } from './harness';

let p: Platform;
let pay: PaymentChannels;
let wxSim: string;
let aliSim: string;

beforeAll(async () => {
  const [wxPort, aliPort] = [await freePort(), await freePort()];
  p = await startPlatform({
    MEDBILL_WECHATPAY_SIM_PORT: String(wxPort),
    MEDBILL_ALIPAY_SIM_PORT: String(aliPort),
    MEDBILL_PAYSIM_TIME_SCALE: '1000',
    MEDBILL_PAYSIM_REFUND_DELAY: '300ms',
    MEDBILL_PAYSIM_DUPLICATE_RATE: '0',
    MEDBILL_PAYSIM_PARTIAL_GAP: '0',
  });
  wxSim = `http://127.0.0.1:${wxPort}`;
  aliSim = `http://127.0.0.1:${aliPort}`;
  // the hospital's side of the channels, with the keys the platform made in its data dir
  pay = createPaymentChannels(p.cfg);
});
afterAll(async () => {
  await p?.stop();
});

const post = async (url: string, body: unknown) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return r.json();
};
type Attempt = { status: number | null; ok: boolean; body: string };
type SimNotice = { noticeId: string; state: string; copyOf?: number; attempts: Attempt[] };
const simNotices = async (sim: string, q: string) => (await (await fetch(`${sim}/_sim/notices?${q}`)).json()) as SimNotice[];
const rows = (channel: string, outRefundNo: string) => p.orm.em.fork().find(PaymentNotice, { channel, outRefundNo });

describe('refund notices reach the platform once per state change', () => {
  it('WeChat Pay: a forced duplicate notice is answered 204 twice and recorded once', async () => {
    await post(`${wxSim}/_sim/orders`, { out_trade_no: 'PT-WX-1', total: 8800 });
    await post(`${wxSim}/_sim/faults`, { duplicateNotices: 1 });
    const r = await pay.wechat.refund({ outRefundNo: 'PT-RF-WX-1', orderRef: { outTradeNo: 'PT-WX-1' }, amountFen: 1800, totalFen: 8800, reason: '退费' });
    expect(r.state).toBe('processing');
    const sent = await eventually(async () => {
      const n = await simNotices(wxSim, 'out_refund_no=PT-RF-WX-1');
      return n.length === 2 && n.every((x) => x.state === 'delivered') && n;
    }, 'both deliveries answered');
    expect(sent[0]!.noticeId).toBe(sent[1]!.noticeId);
    for (const n of sent) expect(n.attempts.at(-1)!.status).toBe(204);
    const recorded = await eventually(async () => {
      const rs = await rows('wechat', 'PT-RF-WX-1');
      return rs.length === 1 && rs[0]!.deliveries === 2 && rs;
    }, 'one row counting two deliveries');
    expect(recorded[0]).toMatchObject({ state: 'success', amountFen: 1800, outTradeNo: 'PT-WX-1', channelRefundId: r.channelRefundId });
    expect(recorded[0]!.handledAt).toBeTruthy();
    expect(JSON.parse(recorded[0]!.detail!)).toMatchObject({ refund_status: 'SUCCESS', out_refund_no: 'PT-RF-WX-1' });
  });

  it('WeChat Pay: 15 duplicate notices delivered together make one recorded state change', async () => {
    await post(`${wxSim}/_sim/orders`, { out_trade_no: 'PT-WX-2', total: 5000 });
    await post(`${wxSim}/_sim/faults`, { duplicateNotices: 15 });
    await pay.wechat.refund({ outRefundNo: 'PT-RF-WX-2', orderRef: { outTradeNo: 'PT-WX-2' }, amountFen: 5000, totalFen: 5000 });
    await eventually(async () => {
      const n = await simNotices(wxSim, 'out_refund_no=PT-RF-WX-2');
      return n.length === 16 && n.every((x) => x.state === 'delivered');
    }, 'all 16 deliveries answered');
    const rs = await eventually(async () => {
      const r = await rows('wechat', 'PT-RF-WX-2');
      return r.length === 1 && r[0]!.deliveries === 16 && r;
    }, 'one row counting 16 deliveries');
    expect(rs[0]!.state).toBe('success');
    expect((await pay.wechat.queryRefund('PT-RF-WX-2')).state).toBe('success');
  });

  it('Alipay: a forced duplicate notice is answered `success` twice and recorded once', async () => {
    await post(`${aliSim}/_sim/orders`, { out_trade_no: 'PT-ALI-1', total: 6600 });
    await post(`${aliSim}/_sim/faults`, { duplicateNotices: 1 });
    await pay.alipay.refund({ outRefundNo: 'PT-RF-ALI-1', orderRef: { outTradeNo: 'PT-ALI-1' }, amountFen: 600, totalFen: 6600 });
    const sent = await eventually(async () => {
      const n = await simNotices(aliSim, 'out_request_no=PT-RF-ALI-1');
      return n.length === 2 && n.every((x) => x.state === 'delivered') && n;
    }, 'both deliveries answered');
    for (const n of sent) expect(n.attempts.at(-1)!.body).toBe('success');
    const rs = await eventually(async () => {
      const r = await rows('alipay', 'PT-RF-ALI-1');
      return r.length === 1 && r[0]!.deliveries === 2 && r;
    }, 'one row counting two deliveries');
    expect(rs[0]).toMatchObject({ state: 'success', outTradeNo: 'PT-ALI-1' });
  });

  it('refuses forged notices and records nothing', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const wx = await fetch(`${p.baseUrl}/pay/notify/wechat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'wechatpay-timestamp': ts, 'wechatpay-nonce': 'n', 'wechatpay-serial': p.cfg.payment.wechatpay.platformSerial, 'wechatpay-signature': 'Zm9yZ2Vk' },
      body: JSON.stringify({ id: 'forged', resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'AAAA', nonce: 'x', associated_data: 'refund' } }),
    });
    expect(wx.status).toBe(401);
    expect(((await wx.json()) as { code: string }).code).toBe('FAIL');
    const ali = await fetch(`${p.baseUrl}/pay/notify/alipay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ notify_id: 'forged', app_id: p.cfg.payment.alipay.appId, out_biz_no: 'PT-FORGED', gmt_refund: '2026-11-22 10:00:00', sign_type: 'RSA2', sign: 'Zm9yZ2Vk' }).toString(),
    });
    expect(await ali.text()).toBe('fail');
    expect(await p.orm.em.fork().count(PaymentNotice, { noticeId: 'forged' })).toBe(0);
  });

  it('retries an unanswered notice on the WeChat Pay schedule until it gives up', async () => {
    await post(`${wxSim}/_sim/orders`, { out_trade_no: 'PT-WX-3', total: 100 });
    // 22 h of schedule in about 4 s
    await post(`${wxSim}/_sim/faults`, { timeScale: 20_000 });
    await pay.wechat.refund({ outRefundNo: 'PT-RF-WX-3', orderRef: { outTradeNo: 'PT-WX-3' }, amountFen: 100, totalFen: 100, notifyUrl: `${p.baseUrl}/pay/notify/nowhere` });
    const n = await eventually(async () => {
      const [x] = await simNotices(wxSim, 'out_refund_no=PT-RF-WX-3');
      return x && (x as SimNotice & { state: string }).state === 'given_up' && x;
    }, 'the sender to give up', 120_000);
    // the first delivery and 15 retries, each refused
    expect(n.attempts).toHaveLength(16);
    expect(n.attempts.every((a) => a.status === 404)).toBe(true);
    expect(await rows('wechat', 'PT-RF-WX-3')).toHaveLength(0);
  });
});
