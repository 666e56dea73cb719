import * as net from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../config';
import { startNotifySim, type NotifySim } from '../../sim/notify/server';
import {
  createNotifiers,
  MailNotifier,
  NotifyPermanentError,
  SmsNotifier,
  smsText,
  WechatNotifier,
  WechatCardInserter,
  type NoticeInput,
  type Notifier,
} from './index';

let sim: NotifySim;
let sms: SmsNotifier;
let mail: MailNotifier;
let wechat: WechatNotifier;

const notice = (over: Partial<NoticeInput> = {}): NoticeInput => ({
  idempotencyKey: 'bill-1-x',
  target: '',
  hospitalName: '杭州市第一人民医院',
  payer: '张三',
  billBatchCode: '33010125',
  billNo: '0000012345',
  random: 'a1b2c3',
  totalAmt: '128.50',
  h5Url: 'http://127.0.0.1:8080/h5/bill/abc',
  issuedAt: new Date('2025-03-01T06:05:09Z'), // 14:05:09 in Beijing
  ...over,
});

async function fault(system: 'sms' | 'mail' | 'wechat', mode: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ system, mode, ...extra }) });
  expect(r.status).toBe(200);
}

/** Awaits a rejection and returns the error. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  sim = await startNotifySim({ port: 0, smtpPort: 0 });
  sms = new SmsNotifier({ url: `${sim.url}/sms`, timeoutMs: 2000 });
  mail = new MailNotifier({ smtpUrl: `smtp://medbill:pw@127.0.0.1:${sim.smtpPort}`, from: 'ebill@hospital.test', timeoutMs: 2000 });
  wechat = new WechatNotifier({ url: `${sim.url}/wechat`, appId: 'wxmedbill', secret: 's3cret', templateId: 'TPL_BILL', refundTemplateId: 'TPL_REFUND', timeoutMs: 2000 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await fetch(`${sim.url}/_sim/messages`, { method: 'DELETE' });
  for (const s of ['sms', 'mail', 'wechat'] as const) await fault(s, 'ok');
});

describe('delivery', () => {
  it('SMS: the Chinese text reaches the phone', async () => {
    const n = notice({ idempotencyKey: 'bill-1-sms', target: '13800138000' });
    const { providerId } = await sms.send(n);
    expect(providerId).toEqual(expect.any(String));
    const [m] = sim.messages();
    expect(m).toMatchObject({ system: 'sms', to: '13800138000', id: providerId, idempotencyKey: 'bill-1-sms' });
    expect(m.text).toBe('【杭州市第一人民医院】张三您好，您的医疗电子票据已开具，票据号码0000012345，金额128.50元，查看：http://127.0.0.1:8080/h5/bill/abc');
    expect(m.text).toBe(smsText(n));
  });

  it('SMS and e-mail for a red bill (冲红) say so, through the red-bill template', async () => {
    const n = notice({ idempotencyKey: 'bill-9-sms', target: '13800138000', scarlet: true, totalAmt: '-128.50' });
    await sms.send(n);
    await mail.send({ ...n, idempotencyKey: 'bill-9-email', target: 'zhang@example.com' });
    const [s1, m1] = sim.messages();
    expect(s1.text).toBe('【杭州市第一人民医院】张三您好，您的医疗电子票据已冲红，红字票据号码0000012345，金额-128.50元，查看：http://127.0.0.1:8080/h5/bill/abc');
    expect(s1.text).toBe(smsText(n));
    expect(m1.subject).toBe('【杭州市第一人民医院】医疗电子票据已冲红（红字票据）（票据号码0000012345）');
  });

  it("a refund's outcome goes through the refund templates, each with its own fields", async () => {
    const refund = { refundNo: 'R2025001', amount: '25.50', result: 'rejected' as const, reason: '超过退费时限' };
    const n = notice({ refund, h5Url: 'http://127.0.0.1:8080/h5/refund/R2025001?t=1' });
    await sms.send({ ...n, idempotencyKey: 'refund-1-sms', target: '13800138000' });
    await wechat.send({ ...n, idempotencyKey: 'refund-1-wechat', target: 'oUser000001' });
    const [s1, w1] = sim.messages();
    expect(s1).toMatchObject({ system: 'sms', templateCode: 'SMS_MEDBILL_REFUND', text: '【杭州市第一人民医院】张三您好，您的退费申请R2025001（25.50元）未获批准：超过退费时限。' });
    expect(w1).toMatchObject({ system: 'wechat', templateId: 'TPL_REFUND', url: 'http://127.0.0.1:8080/h5/refund/R2025001?t=1' });
    expect(w1.data).toEqual({
      thing1: { value: '杭州市第一人民医院' },
      thing2: { value: '张三' },
      character_string3: { value: 'R2025001' },
      amount4: { value: '25.50元' },
      thing5: { value: '未获批准：超过退费时限' },
    });
    // A provider's own template code, from the configuration, is the one sent.
    const own = new SmsNotifier({ url: `${sim.url}/sms`, refundTemplateCode: 'SMS_UNKNOWN_REFUND' });
    await expect(own.send({ ...n, idempotencyKey: 'refund-2-sms', target: '13800138000' })).rejects.toThrow(/SMS_TEMPLATE_ILLEGAL/);
  });

  it('e-mail: subject and body carry the bill, HTML-escaped', async () => {
    const { providerId } = await mail.send(notice({ idempotencyKey: 'bill-1-email', target: 'zhang@example.com', payer: '张<三>' }));
    expect(providerId).toBe('<bill-1-email@medbill>');
    const [m] = sim.messages();
    expect(m).toMatchObject({ system: 'mail', to: 'zhang@example.com', subject: '【杭州市第一人民医院】医疗电子票据已开具（票据号码0000012345）' });
    expect(m.html).toContain('张&lt;三&gt;');
    for (const s of ['33010125', '0000012345', 'a1b2c3', '128.50元', '2025-03-01 14:05:09', 'href="http://127.0.0.1:8080/h5/bill/abc"']) expect(m.html).toContain(s);
    expect(m.text).toContain('张<三>您好');
  });

  it('WeChat: a template message with the bill fields and the H5 link', async () => {
    const { providerId } = await wechat.send(notice({ idempotencyKey: 'bill-1-wechat', target: 'oUser000001' }));
    expect(providerId).toMatch(/^\d+$/);
    const [m] = sim.messages();
    expect(m).toMatchObject({ system: 'wechat', to: 'oUser000001', templateId: 'TPL_BILL', url: 'http://127.0.0.1:8080/h5/bill/abc', idempotencyKey: 'bill-1-wechat' });
    expect(m.data).toEqual({
      thing1: { value: '杭州市第一人民医院' },
      thing2: { value: '张三' },
      character_string3: { value: '0000012345' },
      amount4: { value: '128.50元' },
      time5: { value: '2025-03-01 14:05' },
    });
  });

  it('createNotifiers(cfg) makes one adapter per channel on the configured URLs', async () => {
    const cfg = loadConfig({ MEDBILL_SIM_PORT: String(sim.port), MEDBILL_SIM_SMTP_PORT: String(sim.smtpPort), MEDBILL_DATA_DIR: '/tmp/medbill-notify-test' });
    const all = createNotifiers(cfg);
    expect(all.map((n) => n.channel)).toEqual(['sms', 'email', 'wechat', 'card']);
    const targets: Record<Notifier['channel'], string> = { sms: '13900000000', email: 'li@example.com', wechat: 'oLiSi000001', card: 'oLiSi000001' };
    for (const n of all.filter((x) => x.channel !== 'card')) await n.send(notice({ idempotencyKey: `bill-9-${n.channel}`, target: targets[n.channel] }));
    expect(sim.messages().map((m) => m.to)).toEqual(['13900000000', 'li@example.com', 'oLiSi000001']);
    expect(createNotifiers({ ...cfg, notify: { ...cfg.notify, wechat: { ...cfg.notify.wechat, url: '' } } }).map((n) => n.channel)).toEqual(['sms', 'email']);
  });
});

describe('idempotency: the same key twice is one message', () => {
  it.each([
    ['sms', () => sms, '13800138000'],
    ['email', () => mail, 'zhang@example.com'],
    ['wechat', () => wechat, 'oUser000001'],
  ] as const)('%s', async (_, notifier, target) => {
    const n = notice({ idempotencyKey: `dup-${target}`, target });
    const a = await notifier().send(n);
    const b = await notifier().send(n);
    expect(b.providerId).toBe(a.providerId);
    expect(sim.messages()).toHaveLength(1);
    await notifier().send({ ...n, idempotencyKey: `other-${target}` });
    expect(sim.messages()).toHaveLength(2);
  });

  it('a retry after a timed-out call does not send twice', async () => {
    await fault('sms', 'slow', { delayMs: 400 });
    const quick = new SmsNotifier({ url: `${sim.url}/sms`, timeoutMs: 100 });
    const n = notice({ idempotencyKey: 'bill-7-sms', target: '13800138000' });
    const err = await failure(quick.send(n));
    expect(err).not.toBeInstanceOf(NotifyPermanentError);
    expect(err.message).toMatch(/timeout/);
    await new Promise((r) => setTimeout(r, 500)); // the gateway did send it meanwhile
    await fault('sms', 'ok');
    const { providerId } = await quick.send(n);
    expect(sim.messages()).toEqual([expect.objectContaining({ id: providerId })]);
  });
});

describe('permanent errors (do not retry)', () => {
  it('SMS: bad phone number', async () => {
    const e = await failure(sms.send(notice({ target: '12345' })));
    expect(e).toBeInstanceOf(NotifyPermanentError);
    expect(e).toMatchObject({ name: 'NotifyPermanentError', channel: 'sms', code: 'isv.MOBILE_NUMBER_ILLEGAL' });
    expect(e.message).toContain('12345');
  });

  it('SMS: unknown template (configuration)', async () => {
    const bad = new SmsNotifier({ url: `${sim.url}/sms`, templateCode: 'SMS_UNKNOWN' });
    expect(await failure(bad.send(notice({ target: '13800138000' })))).toMatchObject({ code: 'isv.SMS_TEMPLATE_ILLEGAL' });
  });

  it('e-mail: bad address', async () => {
    const e = await failure(mail.send(notice({ target: 'not-an-address' })));
    expect(e).toBeInstanceOf(NotifyPermanentError);
    // nodemailer finds no valid recipient and does not even connect
    expect(e).toMatchObject({ channel: 'email', code: 'EENVELOPE' });
    expect(e.message).toMatch(/recipient/i);
  });

  it('e-mail: the SMTP server rejects an unknown mailbox (550)', async () => {
    const e = await failure(mail.send(notice({ target: 'nosuchuser@example.com' })));
    expect(e).toBeInstanceOf(NotifyPermanentError);
    expect(e).toMatchObject({ channel: 'email', code: '550' });
    expect(e.message).toMatch(/5\.1\.1/);
    expect(sim.messages()).toHaveLength(0);
  });

  it('WeChat: unknown openid', async () => {
    const e = await failure(wechat.send(notice({ target: 'not-an-openid' })));
    expect(e).toBeInstanceOf(NotifyPermanentError);
    expect(e).toMatchObject({ channel: 'wechat', code: '40003' });
  });

  it('WeChat: wrong app secret, and the secret is not in the message', async () => {
    const strict = await startNotifySim({ port: 0, wechatApps: { wxmedbill: 'right-secret' } });
    try {
      const w = new WechatNotifier({ url: `${strict.url}/wechat`, appId: 'wxmedbill', secret: 'wrong-secret', templateId: 'T', refundTemplateId: 'TR' });
      const e = await failure(w.send(notice({ target: 'oUser000001' })));
      expect(e).toMatchObject({ name: 'NotifyPermanentError', code: '40125' });
      expect(e.message).not.toContain('wrong-secret');
    } finally {
      await strict.close();
    }
  });
});

describe('transient errors (retry)', () => {
  const cases = [
    ['sms', () => sms, '13800138000'],
    ['wechat', () => wechat, 'oUser000001'],
  ] as const;

  it.each(cases)("%s: 'down' (HTTP 503) is a plain Error naming the gateway", async (system, notifier, target) => {
    await fault(system, 'down');
    const e = await failure(notifier().send(notice({ target })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/HTTP 503/);
    expect(e.message).toContain(sim.url);
    expect(e.message).not.toMatch(/access_token=|secret=/);
    await fault(system, 'ok');
    await expect(notifier().send(notice({ target }))).resolves.toEqual({ providerId: expect.any(String) });
  });

  it.each(cases)("%s: 'flaky' platform errors are retryable", async (system, notifier, target) => {
    await fault(system, 'flaky', { failRate: 1 });
    const e = await failure(notifier().send(notice({ target, idempotencyKey: `flaky-${system}` })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/isp\.SYSTEM_ERROR|HTTP 500|errcode -1/);
  });

  it.each(cases)('%s: a slow gateway times out', async (system, _, target) => {
    const quick: Record<typeof system, Notifier> = {
      sms: new SmsNotifier({ url: `${sim.url}/sms`, timeoutMs: 300 }),
      wechat: new WechatNotifier({ url: `${sim.url}/wechat`, appId: 'wxslow', secret: 's', templateId: 'T', refundTemplateId: 'TR', timeoutMs: 300 }),
    };
    await fault(system, 'slow', { delayMs: 3000 });
    const e = await failure(quick[system].send(notice({ target, idempotencyKey: `slow-${system}` })));
    // The message names the 300 ms bound: the call gave up, it did not get the answer 3 s later.
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/no answer within 300 ms \(timeout\)/);
  });

  it('an unreachable gateway is a plain Error', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as net.AddressInfo;
    await new Promise((r) => srv.close(r));
    const e = await failure(new SmsNotifier({ url: `http://127.0.0.1:${port}/sms` }).send(notice({ target: '13800138000' })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toBe(`sms gateway http://127.0.0.1:${port}/sms/send: unreachable (ECONNREFUSED)`);
  });
});

describe('e-mail over SMTP', () => {
  it('carries the layout PDF as attachment, a text and an HTML part, and the hospital as sender name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-mail-'));
    const pdfPath = path.join(dir, 'bill.pdf');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3000, 7), Buffer.from('\n%%EOF\n')]);
    fs.writeFileSync(pdfPath, pdf);
    await mail.send(notice({ idempotencyKey: 'bill-5-email', target: 'zhang@example.com', pdfPath }));
    const [m] = sim.messages();
    expect(m.from).toBe('杭州市第一人民医院 <ebill@hospital.test>');
    expect(m.attachments).toEqual([
      { filename: '33010125-0000012345.pdf', contentType: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex'), head: '%PDF-1.4' },
    ]);
    expect(m.text).toContain('电子票据版式文件（PDF）见附件');
    expect(m.html).toContain('href="http://127.0.0.1:8080/h5/bill/abc"');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("'down': 421 at connect is a plain Error naming the server, then it works again", async () => {
    await fault('mail', 'down');
    const e = await failure(mail.send(notice({ target: 'zhang@example.com' })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/421/);
    expect(e.message).toContain(`smtp://127.0.0.1:${sim.smtpPort}`);
    expect(e.message).not.toContain('pw');
    await fault('mail', 'ok');
    await expect(mail.send(notice({ target: 'zhang@example.com' }))).resolves.toEqual({ providerId: '<bill-1-x@medbill>' });
  });

  it("'flaky': 451 after DATA is retryable", async () => {
    await fault('mail', 'flaky', { failRate: 1 });
    const e = await failure(mail.send(notice({ target: 'zhang@example.com' })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/451/);
    expect(sim.messages()).toHaveLength(0);
  });

  it('a send repeated after a lost answer has the same Message-ID: one message in the mailbox', async () => {
    await fault('mail', 'slow', { delayMs: 1500 });
    const quick = new MailNotifier({ smtpUrl: `smtp://127.0.0.1:${sim.smtpPort}`, from: 'ebill@hospital.test', timeoutMs: 300 });
    const n = notice({ idempotencyKey: 'bill-8-email', target: 'zhang@example.com' });
    const e = await failure(quick.send(n));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    await fault('mail', 'ok');
    await quick.send(n);
    const all = sim.messages();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: '<bill-8-email@medbill>', deliveries: 2 });
  });
});

describe('WeChat card pack (non-tax bill card)', () => {
  let dir: string;
  let card: WechatCardInserter;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-card-'));
    fs.writeFileSync(path.join(dir, 'bill.pdf'), Buffer.from('%PDF-1.4\nbill\n%%EOF\n'));
    card = new WechatCardInserter({ url: `${sim.url}/wechat`, appId: 'wxmedbill', cardId: 'pCARD0001', tokens: wechat });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    await fetch(`${sim.url}/_sim/messages`, { method: 'DELETE' });
  });
  const cardNotice = (over: Partial<NoticeInput> = {}) => notice({ idempotencyKey: 'bill-1-card', target: 'oUser000001', totalFen: 12850, pdfPath: path.join(dir, 'bill.pdf'), ...over });

  it('uploads the PDF and inserts the bill once; a repeat (72042) counts as inserted', async () => {
    const a = await card.send(cardNotice());
    expect(a.providerId).toMatch(/^\d{12}$/);
    const b = await card.send(cardNotice());
    expect(b.providerId).toBe('already:330101250000012345');
    expect(sim.cards()).toEqual([
      expect.objectContaining({ order_id: '330101250000012345', card_id: 'pCARD0001', openid: 'oUser000001', fee: 12850, title: '杭州市第一人民医院', billing_no: '33010125', billing_code: '0000012345', billing_time: 1740809109 }),
    ]);
  });

  it('refuses a red bill and a bad openid for good', async () => {
    expect(await failure(card.send(cardNotice({ scarlet: true, totalFen: -12850 })))).toBeInstanceOf(NotifyPermanentError);
    expect(await failure(card.send(cardNotice({ target: 'bad' })))).toMatchObject({ code: '40003' });
    expect(sim.cards()).toHaveLength(0);
  });

  it('a WeChat outage is retryable', async () => {
    await fault('wechat', 'down');
    const e = await failure(card.send(cardNotice()));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    await fault('wechat', 'ok');
  });
});

describe('WeChat access token', () => {
  it('is cached, fetched once for concurrent sends, and refreshed on 42001 / 40001', async () => {
    const w = new WechatNotifier({ url: `${sim.url}/wechat`, appId: 'wxtoken', secret: 's', templateId: 'T', refundTemplateId: 'TR' });
    await Promise.all(Array.from({ length: 5 }, (_, i) => w.send(notice({ idempotencyKey: `t-${i}`, target: 'oUser000001' }))));
    expect(w.tokenFetches).toBe(1);
    const before = await w.accessToken();

    await fetch(`${sim.url}/_sim/wechat/expire-tokens`, { method: 'POST' }); // 42001 from now on
    await w.send(notice({ idempotencyKey: 't-expired', target: 'oUser000001' }));
    expect(w.tokenFetches).toBe(2);
    expect(await w.accessToken()).not.toBe(before);

    // a token the platform never issued (e.g. replaced elsewhere): 40001
    (w as unknown as { token: { value: string; expiresAt: number } }).token = { value: 'forged', expiresAt: Date.now() + 60_000 };
    await w.send(notice({ idempotencyKey: 't-invalid', target: 'oUser000001' }));
    expect(w.tokenFetches).toBe(3);
    expect(sim.messages()).toHaveLength(7);
  });

  it('a token endpoint that is down is a plain Error', async () => {
    const w = new WechatNotifier({ url: `${sim.url}/wechat`, appId: 'wxtoken2', secret: 's', templateId: 'T', refundTemplateId: 'TR' });
    await fault('wechat', 'down');
    const e = await failure(w.send(notice({ target: 'oUser000001' })));
    expect(e).not.toBeInstanceOf(NotifyPermanentError);
    expect(e.message).toMatch(/cgi-bin\/token answered HTTP 503/);
  });
});
