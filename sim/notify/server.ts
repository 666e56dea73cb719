/**
 * Simulator of the three patient-notice platforms, one real Koa HTTP server:
 *
 * SMS (shaped like Aliyun SMS; business errors are HTTP 200 with a code)
 *   POST /sms/send { phone, templateCode, params, bizId } -> { code: 'OK', bizId, messageId }
 *     isv.MOBILE_NUMBER_ILLEGAL (bad phone), isv.SMS_TEMPLATE_ILLEGAL (unknown template),
 *     isv.TEMPLATE_MISSING_PARAMETERS, isv.INVALID_PARAMETERS (no bizId); the same bizId twice
 *     is delivered once and answers the same messageId.
 * E-mail: a real SMTP server (sim/notify/smtp.ts) on its own port (option smtpPort); received
 *   mail is parsed and listed with system 'mail' (subject, text, html, attachments with size and
 *   SHA-256). Like a mailbox, a second message with the same Message-ID is kept once (its
 *   `deliveries` counts the repeats). 421 while down, 451 when flaky, 550 unknown mailbox, 553 bad address.
 * WeChat official account
 *   GET  /wechat/cgi-bin/token?grant_type=client_credential&appid=&secret=
 *     -> { access_token, expires_in: 7200 } | { errcode: 40013 invalid appid / 40125 invalid appsecret / ... }
 *   POST /wechat/cgi-bin/message/template/send?access_token=
 *     { touser, template_id, url, data, client_msg_id } -> { errcode: 0, errmsg: 'ok', msgid }
 *     40001 invalid credential, 42001 access_token expired, 40003 invalid openid (not "o..."),
 *     40037 invalid template_id, 47001 data format error; deduplicated by touser + client_msg_id.
 * WeChat card pack, non-tax (fiscal) e-bill cards (财政电子票据 插入卡包)
 *   POST /wechat/card/invoice/platform/setpdf?access_token=  multipart field `pdf`
 *     -> { errcode: 0, errmsg: 'ok', s_media_id }; not a PDF -> 72040
 *   POST /wechat/nontax/insertbill?access_token=
 *     { order_id, card_id, appid, openid, card_ext: { nonce_str, user_card: { invoice_user_data:
 *       { fee (fen), title, billing_time (unix s), billing_no (票据代码), billing_code (票据号码), s_pdf_media_id } } } }
 *     -> { errcode: 0, errmsg: 'ok', code, openid }; 72031 invalid params, 40003 invalid openid,
 *     72040 unknown s_pdf_media_id, 72042 billing_code and billing_no repeated (the same bill
 *     twice), 72056 order_id repeated. Real WeChat takes the openid from the user's authorisation
 *     of order_id (/nontax/getbillauthurl); the simulator has no such step and takes it in the body.
 *   GET /_sim/wechat/cards   the inserted cards
 * Test / operations controls
 *   GET    /_sim/messages?to=&system=    received messages (oldest first)
 *   DELETE /_sim/messages                forget messages and idempotency records
 *   POST   /_sim/faults { system, mode: 'ok'|'down'|'slow'|'flaky', delayMs?, failRate? }
 *          down = HTTP 503; slow = answer after delayMs (default 3000), the message is still
 *          delivered (like a real gateway whose answer got lost); flaky = a share (failRate,
 *          default 0.5) of calls fail the platform's way: SMS isp.SYSTEM_ERROR, mail HTTP 500,
 *          WeChat errcode -1 "system error".
 *   GET    /_sim/faults
 *   POST   /_sim/wechat/expire-tokens    every issued access token now answers 42001
 */
import { heldDelays, readJsonObject } from '../http-server';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { startSmtpSim } from './smtp';
import Koa from 'koa';
import Router from '@koa/router';

/** A malformed request's answer, in the simulated platform's error format. */
const notifyError = (reason: string) => ({ error: reason });

export type SimSystem = 'sms' | 'mail' | 'wechat';

export interface SimCard {
  order_id: string;
  card_id: string;
  appid: string;
  openid: string;
  code: string;
  fee: number;
  title: string;
  billing_time: number;
  billing_no: string;
  billing_code: string;
  s_pdf_media_id: string;
  pdfBytes: number;
  insertedAt: string;
}
export type FaultMode = 'ok' | 'down' | 'slow' | 'flaky';

export interface SimMessage {
  system: SimSystem;
  /** Provider id: SMS messageId, mail Message-ID, WeChat msgid (as text). */
  id: string;
  /** Phone number, e-mail address or openid. */
  to: string;
  /** The caller's idempotency key: bizId, messageId or client_msg_id. */
  idempotencyKey: string;
  /** Readable content: the rendered SMS, the mail's text, the template fields one per line. */
  text: string;
  subject?: string;
  html?: string;
  templateCode?: string;
  templateId?: string;
  params?: Record<string, string>;
  data?: Record<string, { value: string; color?: string }>;
  url?: string;
  /** E-mail: the From header, the attachments and how often the same Message-ID arrived. */
  from?: string;
  attachments?: Array<{ filename: string; contentType: string; size: number; sha256: string; head: string }>;
  deliveries?: number;
  receivedAt: string;
}

export interface Fault {
  mode: FaultMode;
  delayMs: number;
  failRate: number;
}

export interface NotifySimOptions {
  port: number;
  host?: string;
  /** WeChat apps (appid -> secret). Default: any appid starting with "wx" and any non-empty secret. */
  wechatApps?: Record<string, string>;
  /** SMS templates (code -> text with ${name} placeholders); default: SMS_TEMPLATES. */
  smsTemplates?: Record<string, string>;
  /** Port of the simulated SMTP server (0 = any free port); undefined = no SMTP server. */
  smtpPort?: number;
}

export interface NotifySim {
  url: string;
  port: number;
  /** The SMTP server's port, when one was asked for. */
  smtpPort?: number;
  cards(): SimCard[];
  close(): Promise<void>;
  messages(): SimMessage[];
}

/** SMS templates registered at the "provider", Aliyun style: ${name} placeholders. */
export const SMS_TEMPLATES: Record<string, string> = {
  SMS_MEDBILL_ISSUED: '【${hospital}】${payer}您好，您的医疗电子票据已开具，票据号码${billNo}，金额${amount}元，查看：${url}',
  SMS_MEDBILL_REFUND: '【${hospital}】${payer}您好，您的退费申请${refundNo}（${amount}元）${result}。',
  SMS_MEDBILL_REVERSED: '【${hospital}】${payer}您好，您的医疗电子票据已冲红，红字票据号码${billNo}，金额${amount}元，查看：${url}',
  SMS_MEDBILL_CODE: '【${hospital}】您的验证码为${code}，5分钟内有效，仅用于查询本人电子票据，请勿告诉他人。',
};

const PHONE = /^(\+?86)?1[3-9]\d{9}$/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const TOKEN_TTL_S = 7200;

export async function startNotifySim(opts: NotifySimOptions): Promise<NotifySim> {
  const templates = opts.smsTemplates ?? SMS_TEMPLATES;
  let messages: SimMessage[] = [];
  let smsSeen = new Map<string, string>(); // bizId -> messageId
  let mailSeen = new Map<string, SimMessage>(); // Message-ID -> the stored message
  let cards: SimCard[] = [];
  let pdfs = new Map<string, number>(); // s_media_id -> PDF size
  let wechatSeen = new Map<string, number>(); // touser \n client_msg_id -> msgid
  const tokens = new Map<string, { appid: string; expiresAt: number; revoked: boolean }>();
  let nextMsgid = 2_000_000_001;
  const faults: Record<SimSystem, Fault> = {
    sms: { mode: 'ok', delayMs: 0, failRate: 0 },
    mail: { mode: 'ok', delayMs: 0, failRate: 0 },
    wechat: { mode: 'ok', delayMs: 0, failRate: 0 },
  };
  const { sleep, closeServer } = heldDelays();
  const record = (m: Omit<SimMessage, 'receivedAt'>) => messages.push({ ...m, receivedAt: new Date().toISOString() });

  const router = new Router();

  // ---- SMS ---------------------------------------------------------------------------------
  router.post('/sms/send', async (ctx) => {
    const b = await readJsonObject(ctx, notifyError);
    if (!b) return;
    const requestId = randomUUID().toUpperCase();
    const fail = (code: string, message: string) => (ctx.body = { code, message, requestId });
    const phone = typeof b.phone === 'string' ? b.phone.trim() : '';
    const bizId = typeof b.bizId === 'string' ? b.bizId : '';
    if (!bizId) return fail('isv.INVALID_PARAMETERS', 'bizId is required');
    const seen = smsSeen.get(bizId);
    if (seen) return (ctx.body = { code: 'OK', bizId, messageId: seen, requestId });
    if (!PHONE.test(phone)) return fail('isv.MOBILE_NUMBER_ILLEGAL', `invalid mobile number: ${String(b.phone ?? '')}`);
    const code = typeof b.templateCode === 'string' ? b.templateCode : '';
    const template = templates[code];
    if (!template) return fail('isv.SMS_TEMPLATE_ILLEGAL', `template ${code || '(none)'} does not exist or is not approved`);
    const params = (b.params && typeof b.params === 'object' ? b.params : {}) as Record<string, unknown>;
    const missing = [...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]).filter((k) => typeof params[k] !== 'string' || params[k] === '');
    if (missing.length) return fail('isv.TEMPLATE_MISSING_PARAMETERS', `missing template parameters: ${missing.join(', ')}`);
    const text = template.replace(/\$\{(\w+)\}/g, (_, k: string) => String(params[k]));
    const messageId = `${Date.now()}${randomBytes(6).toString('hex')}`;
    smsSeen.set(bizId, messageId);
    record({ system: 'sms', id: messageId, to: phone, idempotencyKey: bizId, text, templateCode: code, params: params as Record<string, string> });
    ctx.body = { code: 'OK', bizId, messageId, requestId };
  });

  // ---- WeChat ------------------------------------------------------------------------------
  router.get('/wechat/cgi-bin/token', (ctx) => {
    const q = ctx.query as Record<string, string | undefined>;
    if (q.grant_type !== 'client_credential') return (ctx.body = { errcode: 40002, errmsg: 'invalid grant_type' });
    if (!q.appid) return (ctx.body = { errcode: 41002, errmsg: 'appid missing' });
    if (!q.secret) return (ctx.body = { errcode: 41004, errmsg: 'appsecret missing' });
    if (opts.wechatApps) {
      if (!(q.appid in opts.wechatApps)) return (ctx.body = { errcode: 40013, errmsg: 'invalid appid' });
      if (opts.wechatApps[q.appid] !== q.secret) return (ctx.body = { errcode: 40125, errmsg: 'invalid appsecret' });
    } else if (!q.appid.startsWith('wx')) {
      return (ctx.body = { errcode: 40013, errmsg: 'invalid appid' });
    }
    const token = randomBytes(48).toString('base64url');
    tokens.set(token, { appid: q.appid, expiresAt: Date.now() + TOKEN_TTL_S * 1000, revoked: false });
    ctx.body = { access_token: token, expires_in: TOKEN_TTL_S };
  });

  router.post('/wechat/cgi-bin/message/template/send', async (ctx) => {
    const token = typeof ctx.query.access_token === 'string' ? ctx.query.access_token : '';
    if (!token) return (ctx.body = { errcode: 41001, errmsg: 'access_token missing' });
    const t = tokens.get(token);
    if (!t) return (ctx.body = { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    if (t.revoked || t.expiresAt <= Date.now()) return (ctx.body = { errcode: 42001, errmsg: 'access_token expired' });
    const b = await readJsonObject(ctx, notifyError);
    if (!b) return;
    const touser = typeof b.touser === 'string' ? b.touser : '';
    if (!/^o[\w-]{5,}$/.test(touser)) return (ctx.body = { errcode: 40003, errmsg: 'invalid openid' });
    const key = typeof b.client_msg_id === 'string' && b.client_msg_id ? `${touser}\n${b.client_msg_id}` : '';
    const seen = key ? wechatSeen.get(key) : undefined;
    if (seen !== undefined) return (ctx.body = { errcode: 0, errmsg: 'ok', msgid: seen });
    const templateId = typeof b.template_id === 'string' ? b.template_id : '';
    if (!templateId) return (ctx.body = { errcode: 40037, errmsg: 'invalid template_id' });
    const data = b.data as Record<string, { value?: unknown }> | undefined;
    if (!data || typeof data !== 'object' || Object.values(data).some((v) => !v || typeof v.value !== 'string')) {
      return (ctx.body = { errcode: 47001, errmsg: 'data format error' });
    }
    const msgid = nextMsgid++;
    if (key) wechatSeen.set(key, msgid);
    record({
      system: 'wechat',
      id: String(msgid),
      to: touser,
      idempotencyKey: typeof b.client_msg_id === 'string' ? b.client_msg_id : '',
      text: Object.entries(data)
        .map(([k, v]) => `${k}: ${String(v.value)}`)
        .join('\n'),
      templateId,
      data: data as SimMessage['data'],
      url: typeof b.url === 'string' ? b.url : undefined,
    });
    ctx.body = { errcode: 0, errmsg: 'ok', msgid };
  });

  // ---- WeChat card pack (non-tax bill cards) ------------------------------------------------
  /** The access token's errcode answer, or undefined when it is valid. */
  const tokenError = (ctx: Koa.Context): { errcode: number; errmsg: string } | undefined => {
    const token = typeof ctx.query.access_token === 'string' ? ctx.query.access_token : '';
    if (!token) return { errcode: 41001, errmsg: 'access_token missing' };
    const t = tokens.get(token);
    if (!t) return { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' };
    if (t.revoked || t.expiresAt <= Date.now()) return { errcode: 42001, errmsg: 'access_token expired' };
    return undefined;
  };

  router.post('/wechat/card/invoice/platform/setpdf', async (ctx) => {
    const te = tokenError(ctx);
    if (te) return (ctx.body = te);
    const chunks: Buffer[] = [];
    for await (const c of ctx.req) chunks.push(c as Buffer);
    let pdf: Buffer | undefined;
    try {
      const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': ctx.get('content-type') } }).formData();
      const f = form.get('pdf');
      if (f && typeof f !== 'string') pdf = Buffer.from(await f.arrayBuffer());
    } catch {
      pdf = undefined;
    }
    if (!pdf || pdf.subarray(0, 5).toString('latin1') !== '%PDF-') return (ctx.body = { errcode: 72040, errmsg: 'invoice pdf error' });
    const id = String(BigInt('0x' + randomBytes(7).toString('hex')));
    pdfs.set(id, pdf.length);
    ctx.body = { errcode: 0, errmsg: 'ok', s_media_id: id };
  });

  router.post('/wechat/nontax/insertbill', async (ctx) => {
    const te = tokenError(ctx);
    if (te) return (ctx.body = te);
    const b = await readJsonObject(ctx, notifyError);
    if (!b) return;
    const invalid = (what: string) => (ctx.body = { errcode: 72031, errmsg: `invalid params: ${what}` });
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const ext = (b.card_ext ?? {}) as { user_card?: { invoice_user_data?: Record<string, unknown> } };
    const d = ext.user_card?.invoice_user_data;
    if (!str(b.order_id) || !str(b.card_id) || !str(b.appid)) return invalid('order_id, card_id and appid are required');
    if (!d || typeof d !== 'object') return invalid('card_ext.user_card.invoice_user_data is required');
    const openid = str(b.openid);
    if (!/^o[\w-]{5,}$/.test(openid)) return (ctx.body = { errcode: 40003, errmsg: 'invalid openid' });
    if (!Number.isInteger(d.fee) || (d.fee as number) <= 0) return invalid('fee must be a positive integer (fen)');
    if (!Number.isInteger(d.billing_time)) return invalid('billing_time must be a unix time in seconds');
    if (!str(d.title) || !/^\d{8}$/.test(str(d.billing_no)) || !/^\d{10}$/.test(str(d.billing_code))) return invalid('title, billing_no (8 digits), billing_code (10 digits)');
    const media = str(d.s_pdf_media_id);
    if (!pdfs.has(media)) return (ctx.body = { errcode: 72040, errmsg: 'invoice pdf error' });
    if (cards.some((c) => c.billing_no === d.billing_no && c.billing_code === d.billing_code)) {
      return (ctx.body = { errcode: 72042, errmsg: 'billing_code and billing_no repeated' });
    }
    if (cards.some((c) => c.order_id === b.order_id)) return (ctx.body = { errcode: 72056, errmsg: 'order_id repeated, please check order_id' });
    const code = String(100000000000 + Math.floor(Math.random() * 899999999999));
    cards.push({
      order_id: str(b.order_id),
      card_id: str(b.card_id),
      appid: str(b.appid),
      openid,
      code,
      fee: d.fee as number,
      title: str(d.title),
      billing_time: d.billing_time as number,
      billing_no: str(d.billing_no),
      billing_code: str(d.billing_code),
      s_pdf_media_id: media,
      pdfBytes: pdfs.get(media)!,
      insertedAt: new Date().toISOString(),
    });
    ctx.body = { errcode: 0, errmsg: 'ok', code, openid };
  });

  router.get('/_sim/wechat/cards', (ctx) => {
    ctx.body = cards;
  });

  // ---- controls ----------------------------------------------------------------------------
  router.get('/_sim/messages', (ctx) => {
    const to = typeof ctx.query.to === 'string' ? ctx.query.to : undefined;
    const system = typeof ctx.query.system === 'string' ? ctx.query.system : undefined;
    ctx.body = messages.filter((m) => (to === undefined || m.to === to) && (system === undefined || m.system === system));
  });
  router.delete('/_sim/messages', (ctx) => {
    messages = [];
    smsSeen = new Map();
    mailSeen = new Map();
    wechatSeen = new Map();
    cards = [];
    pdfs = new Map();
    ctx.status = 204;
  });
  router.get('/_sim/faults', (ctx) => {
    ctx.body = faults;
  });
  router.post('/_sim/faults', async (ctx) => {
    const b = await readJsonObject(ctx, notifyError);
    if (!b) return;
    const system = b.system as SimSystem;
    const mode = b.mode as FaultMode;
    if (!['sms', 'mail', 'wechat'].includes(system) || !['ok', 'down', 'slow', 'flaky'].includes(mode)) {
      ctx.status = 400;
      ctx.body = { error: 'system must be sms|mail|wechat and mode ok|down|slow|flaky' };
      return;
    }
    const delayMs = typeof b.delayMs === 'number' && b.delayMs >= 0 ? b.delayMs : 3000;
    const failRate = typeof b.failRate === 'number' && b.failRate >= 0 && b.failRate <= 1 ? b.failRate : 0.5;
    faults[system] = { mode, delayMs: mode === 'slow' ? delayMs : 0, failRate: mode === 'flaky' ? failRate : 0 };
    ctx.body = { system, ...faults[system] };
  });
  router.post('/_sim/wechat/expire-tokens', (ctx) => {
    for (const t of tokens.values()) t.revoked = true;
    ctx.body = { expired: tokens.size };
  });

  const app = new Koa();
  // fault injection in front of the platform routes
  app.use(async (ctx, next) => {
    const system = (['sms', 'mail', 'wechat'] as const).find((s) => ctx.path.startsWith(`/${s}/`));
    const f = system && faults[system];
    if (!f || f.mode === 'ok') return next();
    if (f.mode === 'down') {
      ctx.status = 503;
      ctx.body = { error: 'service unavailable (simulated outage)' };
      return;
    }
    if (f.mode === 'slow') {
      await sleep(f.delayMs);
      return next();
    }
    if (Math.random() < f.failRate) {
      if (system === 'sms') ctx.body = { code: 'isp.SYSTEM_ERROR', message: 'system error (simulated)', requestId: randomUUID() };
      else if (system === 'wechat') ctx.body = { errcode: -1, errmsg: 'system error' };
      else {
        ctx.status = 500;
        ctx.body = { error: 'temporary failure (simulated)' };
      }
      return;
    }
    return next();
  });
  app.use(router.routes()).use(router.allowedMethods());

  const server = http.createServer(app.callback());
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let smtp: { port: number; close(): Promise<void> } | undefined;
  if (opts.smtpPort !== undefined) {
    try {
      smtp = await startSmtpSim({
        port: opts.smtpPort,
        host,
        fault: () => faults.mail,
        sleep,
        deliver(envelope, mail) {
          const seen = mailSeen.get(mail.messageId);
          if (seen) {
            seen.deliveries = (seen.deliveries ?? 1) + 1; // a mailbox shows one message per Message-ID
            return;
          }
          const id = mail.messageId || `<${randomUUID()}@smtp.sim>`;
          const m: SimMessage = {
            system: 'mail',
            id,
            to: envelope.to.join(', '),
            idempotencyKey: id,
            text: mail.text ?? htmlToText(mail.html ?? ''),
            subject: mail.subject,
            html: mail.html,
            from: mail.from,
            attachments: mail.attachments.map((a) => ({
              filename: a.filename,
              contentType: a.contentType,
              size: a.content.length,
              sha256: createHash('sha256').update(a.content).digest('hex'),
              head: a.content.subarray(0, 8).toString('latin1'),
            })),
            deliveries: 1,
            receivedAt: new Date().toISOString(),
          };
          mailSeen.set(id, m);
          messages.push(m);
        },
      });
    } catch (e) {
      await closeServer(server);
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    smtpPort: smtp?.port,
    messages: () => messages.map((m) => ({ ...m })),
    cards: () => cards.map((c) => ({ ...c })),
    close: () => (closing ??= Promise.all([closeServer(server), smtp?.close()]).then(() => undefined)),
  };
}


function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/tr|\/h\d)\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
}
