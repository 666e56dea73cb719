import nodemailer from 'nodemailer';
import { startNotifySim, type NotifySim, type SimMessage } from './server';

let sim: NotifySim;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}
const post = (path: string, body: unknown) => call('POST', path, body);
const get = (path: string) => call('GET', path);

const sms = (over: Record<string, unknown> = {}) => ({
  phone: '13800138000',
  templateCode: 'SMS_MEDBILL_ISSUED',
  params: { hospital: '测试医院', payer: '张三', billNo: '0000000001', amount: '12.30', url: 'http://h5/x' },
  bizId: 'bill-1-sms',
  ...over,
});

async function token(): Promise<string> {
  const r = await get('/wechat/cgi-bin/token?grant_type=client_credential&appid=wxtest&secret=s');
  return r.body.access_token as string;
}

beforeAll(async () => {
  sim = await startNotifySim({ port: 0, smtpPort: 0 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await call('DELETE', '/_sim/messages');
  for (const system of ['sms', 'mail', 'wechat']) await post('/_sim/faults', { system, mode: 'ok' });
});

describe('SMS', () => {
  it('renders the template, answers OK and is idempotent by bizId', async () => {
    const a = await post('/sms/send', sms());
    expect(a).toMatchObject({ status: 200, body: { code: 'OK', bizId: 'bill-1-sms' } });
    const b = await post('/sms/send', sms());
    expect(b.body.messageId).toBe(a.body.messageId);
    const list = (await get('/_sim/messages?to=13800138000')).body as SimMessage[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      system: 'sms',
      id: a.body.messageId,
      idempotencyKey: 'bill-1-sms',
      text: '【测试医院】张三您好，您的医疗电子票据已开具，票据号码0000000001，金额12.30元，查看：http://h5/x',
    });
  });

  it('rejects a bad phone number the Aliyun way (HTTP 200 with a code)', async () => {
    for (const phone of ['12345', '23800138000', '1380013800a', '']) {
      const r = await post('/sms/send', sms({ phone, bizId: `b-${phone}` }));
      expect(r).toMatchObject({ status: 200, body: { code: 'isv.MOBILE_NUMBER_ILLEGAL' } });
      expect(r.body.message).toEqual(expect.any(String));
    }
    expect((await post('/sms/send', sms({ phone: '+8613800138000', bizId: 'intl' }))).body.code).toBe('OK');
  });

  it('rejects unknown templates and missing parameters', async () => {
    expect((await post('/sms/send', sms({ templateCode: 'SMS_NOPE', bizId: 'x1' }))).body.code).toBe('isv.SMS_TEMPLATE_ILLEGAL');
    expect((await post('/sms/send', sms({ params: { payer: '张三' }, bizId: 'x2' }))).body.code).toBe('isv.TEMPLATE_MISSING_PARAMETERS');
    expect(sim.messages()).toHaveLength(0);
  });
});

describe('mail (SMTP)', () => {
  const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: sim.smtpPort, secure: false, auth: { user: 'u', pass: 'p' }, socketTimeout: 2000 });
  const mail = (over: Record<string, unknown> = {}) => ({
    from: '"测试医院" <ebill@hospital.test>',
    to: 'zhang@example.com',
    subject: '票据 已开具',
    text: '您好 & 再见',
    html: '<p>您好 &amp; 再见</p>',
    messageId: '<m1@medbill>',
    attachments: [{ filename: '票据.pdf', content: Buffer.from('%PDF-1.4 x'), contentType: 'application/pdf' }],
    ...over,
  });
  const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: Error & { responseCode?: number }) => e);

  it('accepts, parses (encoded subject, text, html, attachment) and keeps one message per Message-ID', async () => {
    const info = await smtp().sendMail(mail());
    expect(info.accepted).toEqual(['zhang@example.com']);
    await smtp().sendMail(mail());
    const list = sim.messages();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ system: 'mail', id: '<m1@medbill>', to: 'zhang@example.com', subject: '票据 已开具', text: '您好 & 再见', html: '<p>您好 &amp; 再见</p>', from: '测试医院 <ebill@hospital.test>', deliveries: 2 });
    expect(list[0].attachments).toEqual([{ filename: '票据.pdf', contentType: 'application/pdf', size: 10, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), head: '%PDF-1.4' }]);
  });

  it('rejects an unknown mailbox with 550 and a bad address with 553', async () => {
    expect(await failure(smtp().sendMail(mail({ to: 'unknown.person@example.com', messageId: '<m2@x>' })))).toMatchObject({ responseCode: 550 });
    expect(await failure(smtp().sendMail(mail({ to: 'x@-example.com', messageId: '<m3@x>' })))).toMatchObject({ responseCode: 553 });
    expect(sim.messages()).toHaveLength(0);
  });

  it("answers 421 at connect while 'down' and 451 after DATA while 'flaky'", async () => {
    await post('/_sim/faults', { system: 'mail', mode: 'down' });
    expect(await failure(smtp().sendMail(mail()))).toMatchObject({ responseCode: 421 });
    await post('/_sim/faults', { system: 'mail', mode: 'flaky', failRate: 1 });
    expect(await failure(smtp().sendMail(mail()))).toMatchObject({ responseCode: 451 });
    expect(sim.messages()).toHaveLength(0);
    await post('/_sim/faults', { system: 'mail', mode: 'ok' });
    await smtp().sendMail(mail());
    expect(sim.messages()).toHaveLength(1);
  });
});

describe('WeChat', () => {
  const tpl = (over: Record<string, unknown> = {}) => ({
    touser: 'oAbCdEf123456',
    template_id: 'TPL1',
    url: 'http://h5/x',
    data: { thing1: { value: '测试医院' } },
    client_msg_id: 'bill-1-wechat',
    ...over,
  });

  it('issues tokens and sends template messages, deduplicated by client_msg_id', async () => {
    const t = await get('/wechat/cgi-bin/token?grant_type=client_credential&appid=wxtest&secret=s');
    expect(t.body).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    const a = await post(`/wechat/cgi-bin/message/template/send?access_token=${t.body.access_token}`, tpl());
    expect(a.body).toEqual({ errcode: 0, errmsg: 'ok', msgid: expect.any(Number) });
    const b = await post(`/wechat/cgi-bin/message/template/send?access_token=${t.body.access_token}`, tpl());
    expect(b.body.msgid).toBe(a.body.msgid);
    expect(sim.messages()).toEqual([expect.objectContaining({ system: 'wechat', to: 'oAbCdEf123456', text: 'thing1: 测试医院', url: 'http://h5/x' })]);
  });

  it('answers WeChat error codes', async () => {
    const send = (tok: string, body = tpl()) => post(`/wechat/cgi-bin/message/template/send?access_token=${tok}`, body);
    expect((await send('bogus')).body).toEqual({ errcode: 40001, errmsg: expect.stringMatching(/^invalid credential/) });
    const tok = await token();
    expect((await send(tok, tpl({ touser: 'xyz123456' }))).body).toEqual({ errcode: 40003, errmsg: 'invalid openid' });
    expect((await send(tok, tpl({ template_id: '' }))).body.errcode).toBe(40037);
    expect((await send(tok, tpl({ data: { a: 1 } }))).body.errcode).toBe(47001);
    await post('/_sim/wechat/expire-tokens', {});
    expect((await send(tok)).body).toEqual({ errcode: 42001, errmsg: 'access_token expired' });
    expect((await get('/wechat/cgi-bin/token?grant_type=x&appid=wx1&secret=s')).body.errcode).toBe(40002);
    expect((await get('/wechat/cgi-bin/token?grant_type=client_credential&appid=bad&secret=s')).body.errcode).toBe(40013);
  });

  it('checks credentials when apps are configured', async () => {
    const strict = await startNotifySim({ port: 0, wechatApps: { wx1: 'right' } });
    try {
      const t = async (q: string) => (await (await fetch(`${strict.url}/wechat/cgi-bin/token?grant_type=client_credential&${q}`)).json()) as any;
      expect((await t('appid=wx1&secret=wrong')).errcode).toBe(40125);
      expect((await t('appid=wx2&secret=right')).errcode).toBe(40013);
      expect((await t('appid=wx1&secret=right')).access_token).toEqual(expect.any(String));
    } finally {
      await strict.close();
    }
  });
});

describe('controls and faults', () => {
  it('lists messages by recipient and clears them', async () => {
    await post('/sms/send', sms({ bizId: 'a', phone: '13900000001' }));
    await post('/sms/send', sms({ bizId: 'b', phone: '13900000002' }));
    expect((await get('/_sim/messages?to=13900000002')).body).toHaveLength(1);
    expect((await get('/_sim/messages')).body).toHaveLength(2);
    expect((await call('DELETE', '/_sim/messages')).status).toBe(204);
    expect((await get('/_sim/messages')).body).toEqual([]);
    // idempotency records are forgotten too
    expect((await post('/sms/send', sms({ bizId: 'a', phone: '13900000001' }))).body.code).toBe('OK');
    expect(sim.messages()).toHaveLength(1);
  });

  it('down answers 503 for that system only', async () => {
    await post('/_sim/faults', { system: 'sms', mode: 'down' });
    expect((await post('/sms/send', sms())).status).toBe(503);
    expect((await get(`/wechat/cgi-bin/token?grant_type=client_credential&appid=wxtest&secret=s`)).status).toBe(200);
    expect((await get('/_sim/faults')).body.sms).toMatchObject({ mode: 'down' });
  });

  it('slow delays the answer but still delivers', async () => {
    await post('/_sim/faults', { system: 'sms', mode: 'slow', delayMs: 300 });
    const t0 = Date.now();
    const r = await post('/sms/send', sms({ bizId: 'slow' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(r.body.code).toBe('OK');
    expect(sim.messages()).toHaveLength(1);
  });

  it('flaky fails the configured share of calls the platform way', async () => {
    await post('/_sim/faults', { system: 'sms', mode: 'flaky', failRate: 1 });
    await post('/_sim/faults', { system: 'wechat', mode: 'flaky', failRate: 1 });
    expect((await post('/sms/send', sms())).body.code).toBe('isp.SYSTEM_ERROR');
    expect((await get('/wechat/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s')).body).toEqual({ errcode: -1, errmsg: 'system error' });
    await post('/_sim/faults', { system: 'sms', mode: 'flaky', failRate: 0 });
    expect((await post('/sms/send', sms())).body.code).toBe('OK');
    expect((await post('/_sim/faults', { system: 'fax', mode: 'down' })).status).toBe(400);
  });

  it('close() does not wait for slow requests', async () => {
    const s2 = await startNotifySim({ port: 0 });
    await fetch(`${s2.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ system: 'sms', mode: 'slow', delayMs: 60_000 }) });
    const pending = fetch(`${s2.url}/sms/send`, { method: 'POST', body: JSON.stringify(sms()) }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    // close() resolves long before the 60 s answer would come (a bound, not a measurement).
    const closed = await Promise.race([s2.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('waited for the slow request'), 30_000))]);
    expect(closed).toBe('closed');
    expect(await pending).toMatchObject({ message: 'fetch failed' }); // the connection was closed
  });
});
