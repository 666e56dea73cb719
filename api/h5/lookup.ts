/**
 * 单位通码取票 (issue 15 point 7): the hospital's one QR code opens /h5/hospital/{hospital code};
 * the patient finds their bills by ID number and name, by clinic card and name, or by phone and a verification code
 * (services/bill-lookup.ts). Plain HTML forms (no script: the CSP allows none inline).
 * - GET  /h5/hospital/:code?way=id|card|tel  the form
 * - POST /h5/hospital/:code/code              sends the phone's code (form: tel)
 * - POST /h5/hospital/:code/bills             the bills (form: way=id, payer, idCardNo | way=card, payer, cardNo | way=tel, tel, smsCode)
 * - GET  /h5/hospital/:code/qr.png            the QR code to print at the windows and on the wall
 * Failed lookups and codes sent are counted per address (cfg.sessions.h5CodeLimitPerAddress in
 * the check-code window): past the limit the page answers 429 until the window ends.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../../common/errors';
import { FailureWindow, waitText } from '../../common/failure-window';
import { formatYuan } from '../../common/money';
import { h5Url } from '../../domain/bill/facts';
import { hospitalByCode } from '../../orm/repositories/hospitals';
import { dbDate } from '../../orm/sql-values';
import { acceptLookupCode, lookupBills, sendLookupCode } from '../../services/bill-lookup';
import { readBody } from '../http';
import type { ApiContext } from '../context';
import { renderLookupPage, renderLookupResult, renderNotFoundPage, renderTooManyPage } from './page';

const STATE_TEXT: Record<string, string> = { normal: '正常', reversed: '已冲红' };
const mask = (tel: string) => `${tel.slice(0, 3)}****${tel.slice(7)}`;
const lookupWay = (v: unknown): 'id' | 'tel' | 'card' => (v === 'tel' || v === 'card' ? v : 'id');

export function mountLookupRoutes(router: Router, api: ApiContext): void {
  const perAddress = new FailureWindow(api.deps.cfg.sessions.h5CodeLimitPerAddress, api.deps.cfg.sessions.h5CodeWindowMs);
  const html = (ctx: Context, body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };
  const hospital = async (ctx: Context) => {
    const code = String(ctx.params.code ?? '');
    const h = /^[A-Za-z0-9_-]{1,32}$/.test(code) ? await hospitalByCode(api.deps.orm.em, code) : undefined;
    if (!h) html(ctx, renderNotFoundPage(), 404);
    return h;
  };
  const limited = (ctx: Context) => {
    const wait = perAddress.retryAfter(ctx.ip);
    if (wait <= 0) return false;
    ctx.set('Retry-After', String(Math.ceil(wait / 1000)));
    html(ctx, renderTooManyPage(waitText(wait)), 429);
    return true;
  };
  const form = async (ctx: Context) => new URLSearchParams((await readBody(ctx, 4096)).slice(0, 4096));
  /** A refusal shown on the form, the field's key taken off the message. */
  const refusal = (e: unknown) => {
    if (!(e instanceof DomainError)) throw e;
    return e.field && e.message.startsWith(`${e.field}:`) ? e.message.slice(e.field.length + 1).trim() : e.message;
  };

  router.get('/h5/hospital/:code', async (ctx) => {
    const h = await hospital(ctx);
    if (!h) return;
    html(ctx, renderLookupPage({ hospitalName: h.name, hospitalCode: h.code, way: lookupWay(ctx.query.way) }));
  });

  router.get('/h5/hospital/:code/qr.png', async (ctx) => {
    const h = await hospital(ctx);
    if (!h) return;
    ctx.type = 'image/png';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = Buffer.from(await api.deps.layout.qrBase64(`${api.deps.cfg.server.publicUrl}/h5/hospital/${encodeURIComponent(h.code)}`), 'base64');
  });

  router.post('/h5/hospital/:code/code', async (ctx) => {
    const h = await hospital(ctx);
    if (!h || limited(ctx)) return;
    const f = await form(ctx);
    const tel = (f.get('tel') ?? '').trim().slice(0, 20);
    try {
      await sendLookupCode(api.deps, h.name, tel);
      perAddress.fail(ctx.ip); // every code sent counts: a phone's owner is bothered by each one
      html(ctx, renderLookupPage({ hospitalName: h.name, hospitalCode: h.code, way: 'tel', tel, note: { kind: 'ok', text: `验证码已发送至 ${mask(tel)}，5 分钟内有效` } }));
    } catch (e) {
      html(ctx, renderLookupPage({ hospitalName: h.name, hospitalCode: h.code, way: 'tel', tel, note: { kind: 'error', text: refusal(e) } }), 400);
    }
  });

  router.post('/h5/hospital/:code/bills', async (ctx) => {
    const h = await hospital(ctx);
    if (!h || limited(ctx)) return;
    const f = await form(ctx);
    const way = lookupWay(f.get('way'));
    const tel = (f.get('tel') ?? '').trim().slice(0, 20);
    const payer = (f.get('payer') ?? '').trim().slice(0, 64);
    try {
      const who =
        way === 'tel'
          ? { tel: await acceptLookupCode(api.deps, tel, f.get('smsCode') ?? '') }
          : way === 'card'
            ? { cardNo: (f.get('cardNo') ?? '').slice(0, 40), payer }
            : { idCardNo: (f.get('idCardNo') ?? '').slice(0, 32), payer };
      const rows = await lookupBills(api.deps, h.id, who);
      if (!rows.length) perAddress.fail(ctx.ip); // nothing found counts as a failed try: no guessing of IDs
      html(ctx, renderLookupResult({
        hospitalName: h.name,
        hospitalCode: h.code,
        bills: rows.map((b) => ({
          billKindName: b.kind_name,
          billBatchCode: b.bill_batch_code,
          billNo: b.bill_no,
          issuedAt: dbDate(b.issued_at as string),
          totalAmt: formatYuan(Number(b.total_amt)),
          stateText: Number(b.is_scarlet) ? '红字票据' : STATE_TEXT[b.state] ?? b.state,
          url: h5Url('', { billBatchCode: b.bill_batch_code, billNo: b.bill_no, random: b.random }),
        })),
      }));
    } catch (e) {
      perAddress.fail(ctx.ip);
      html(ctx, renderLookupPage({ hospitalName: h.name, hospitalCode: h.code, way, tel, payer, note: { kind: 'error', text: refusal(e) } }), 400);
    }
  });
}
