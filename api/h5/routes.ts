/**
 * The patient's H5 page, opened from the bill's QR code: /h5/bill/{code}/{number}?random={check code}.
 * A wrong check code gets exactly the same answer as an unknown bill, so it reveals nothing.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { safeEqual } from '../../common/compare';
import { formatYuan, yuanInChinese } from '../../common/money';
import { Bill, BillItem, Notification } from '../../orm/entities';
import { hospitalNameOf } from '../../orm/repositories/hospitals';
import { h5Url } from '../../domain/bill/facts';
import { startNoticeResend } from '../../temporal/notice-client';
import type { ApiContext } from '../context';
import { sendLayout } from '../console/bills';
import { renderBillPage, renderNotFoundPage, renderPendingPage, renderRefundPage, renderTooManyPage } from './page';
import { FailureWindow, waitText } from '../../common/failure-window';
import type { SessionsConfig } from '../../config/sessions';
import { refundH5Token } from '../../services/refunds';
import { findRefund, refundDetail } from '../../temporal/refund-client';
import { CHANNEL_NAMES, ONLINE_CHANNELS } from '../../domain/refund/rules';
import { isFinalState, NO_MONEY_STATES } from '../../domain/refund/states';
import { advanceH5Token } from '../../protocol/his-h5';
import { chinaTime } from '../../common/china-time';
import { mountLookupRoutes } from './lookup';

const STATE_TEXT: Record<string, string> = { normal: '正常', reversed: '已冲红' };

/**
 * Wrong check codes are counted per bill number and per address (cfg.sessions.h5Code*): past the
 * limit the page answers 429 until the window ends, whether the bill exists or not, so the
 * 6-character code cannot be guessed by trying (a right code is never counted).
 */
class CheckCodeGuard {
  private readonly perBill: FailureWindow;
  private readonly perAddress: FailureWindow;
  constructor(cfg: SessionsConfig) {
    this.perBill = new FailureWindow(cfg.h5CodeLimitPerBill, cfg.h5CodeWindowMs);
    this.perAddress = new FailureWindow(cfg.h5CodeLimitPerAddress, cfg.h5CodeWindowMs);
  }
  retryAfter(bill: string, address: string): number {
    return Math.max(this.perBill.retryAfter(bill), this.perAddress.retryAfter(address));
  }
  fail(bill: string, address: string): void {
    this.perBill.fail(bill);
    this.perAddress.fail(address);
  }
}

/** The bill a (code, number, check code) opens; 'limited' (and a 429 page sent) past the wrong-code limit. */
async function findByCheckCode(api: ApiContext, ctx: Context, guard: CheckCodeGuard): Promise<Bill | undefined> {
  const code = String(ctx.params.code ?? '');
  const no = String(ctx.params.no ?? '');
  const random = String(ctx.query.random ?? '');
  const key = `${code.slice(0, 8)}/${no.slice(0, 10)}`;
  const wait = guard.retryAfter(key, ctx.ip);
  if (wait > 0) {
    tooMany(ctx, wait);
    return undefined;
  }
  const bill =
    /^\d{8}$/.test(code) && /^\d{10}$/.test(no) && /^[0-9a-z]{6}$/.test(random)
      ? await api.deps.orm.em.fork().findOne(Bill, { billBatchCode: code, billNo: no }, { populate: ['hospital', 'billKind'] })
      : null;
  if (!bill || !safeEqual(bill.random, random)) {
    guard.fail(key, ctx.ip);
    notFound(ctx);
    return undefined;
  }
  return bill;
}

function tooMany(ctx: Context, waitMs: number): void {
  ctx.status = 429;
  ctx.set('Retry-After', String(Math.ceil(waitMs / 1000)));
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = renderTooManyPage(waitText(waitMs));
}

function notFound(ctx: Context): void {
  ctx.status = 404;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = renderNotFoundPage();
}

const REFUND_TONE: Record<string, 'ok' | 'red' | 'other'> = { done: 'ok', rejected: 'red', withdrawn: 'other', refund_failed: 'red' };

export function mountH5Routes(router: Router, api: ApiContext): void {
  mountLookupRoutes(router, api);
  const guard = new CheckCodeGuard(api.deps.cfg.sessions);
  // A refund as the patient follows it (the link in the refund notices): the token, not the number, opens it.
  router.get('/h5/refund/:refundNo', async (ctx) => {
    const refundNo = String(ctx.params.refundNo ?? '');
    const t = String(ctx.query.t ?? '');
    const want = /^[A-Za-z0-9_-]{4,32}$/.test(refundNo) ? refundH5Token(api.deps.masterKey, refundNo) : '';
    if (!want || !safeEqual(t, want)) return notFound(ctx);
    const row = await findRefund(api, { refundNo }).catch(() => undefined);
    if (!row) return notFound(ctx);
    const d = await refundDetail(api, row);
    const hospitalName = await hospitalNameOf(api.deps.orm.em, row.hospital_id);
    const billUrl = async (id: number | undefined) => {
      if (!id) return undefined;
      const b = await api.deps.orm.em.fork().findOne(Bill, id);
      return b ? { billNo: `${b.billBatchCode}-${b.billNo}`, url: h5Url('', b) } : undefined;
    };
    const red = await billUrl(d.billStatus.redBill?.id);
    const re = await billUrl(d.billStatus.reissuedBill?.id);
    const money =
      d.money.state === 'success'
        ? `已退回${d.money.at ? `（${chinaTime(d.money.at).text.slice(0, 16)}）` : ''}`
        : d.money.state === 'processing'
          ? '退款处理中'
          : (NO_MONEY_STATES as readonly string[]).includes(d.state)
            ? '不退款'
            : !ONLINE_CHANNELS.includes(row.channel)
              ? '审批通过后请到收费窗口办理'
              : '审批通过后原路退回';
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderRefundPage({
      hospitalName: hospitalName ?? '',
      refundNo: row.refund_no,
      stateText: d.stateName,
      tone: REFUND_TONE[d.state] ?? 'other',
      amount: d.amount,
      channelName: CHANNEL_NAMES[row.channel] ?? row.channel,
      payer: row.patient_name,
      reason: row.reason,
      createdAt: new Date(d.createdAt!),
      rejectReason: d.rejectReason,
      steps: d.chain.map((s: { name: string; status: string; decision?: string; decidedAt?: string }) => ({ name: s.name, status: (s.decision === 'reject' ? 'rejected' : s.status) as 'done', at: s.decidedAt })),
      moneyText: money,
      bills: [red && { label: '冲红票据', ...red }, re && { label: '重开票据', ...re }].filter(Boolean) as Array<{ label: string; billNo: string; url: string }>,
      live: !isFinalState(d.state),
    });
  });

  /** A reversed bill leads to its red bill and its reissue; a red bill or a reissue back to the original. */
  const relatedBills = async (bill: Bill) => {
    const em = api.deps.orm.em.fork();
    const link = (label: string, b: Bill | null) => (b ? { label, billNo: `${b.billBatchCode}-${b.billNo}`, url: h5Url('', b) } : undefined);
    const out = [
      bill.scarletBillId ? link('冲红票据', await em.findOne(Bill, bill.scarletBillId)) : undefined,
      bill.state === 'reversed' ? link('重开票据', await em.findOne(Bill, { originBillId: bill.id })) : undefined,
      bill.relatedBillId ? link('原票据', await em.findOne(Bill, bill.relatedBillId)) : undefined,
      bill.originBillId ? link('原票据', await em.findOne(Bill, bill.originBillId)) : undefined,
    ];
    return out.filter((x): x is NonNullable<typeof x> => !!x);
  };

  router.get('/h5/bill/:code/:no', async (ctx) => {
    const bill = await findByCheckCode(api, ctx, guard);
    if (!bill) return;
    const items = await api.deps.orm.em.fork().find(BillItem, { bill: bill.id }, { orderBy: { sortNo: 'asc' } });
    const cardRow = bill.openId && !bill.isScarlet ? await api.deps.orm.em.fork().findOne(Notification, { bill: bill.id, channel: 'card', purpose: 'issue' }) : null;
    const cardState = !cardRow ? 'none' : cardRow.status === 'sent' ? 'inserted' : cardRow.status === 'failed' ? 'failed' : 'pending';
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderBillPage({
      hospitalName: bill.hospital.name,
      billKindName: bill.billKind.name,
      billBatchCode: bill.billBatchCode,
      billNo: bill.billNo,
      random: bill.random,
      issuedAt: bill.issuedAt,
      payer: bill.payer,
      totalAmt: formatYuan(bill.totalAmt),
      totalAmtChinese: yuanInChinese(bill.totalAmt),
      state: bill.state as 'normal' | 'reversed',
      stateText: STATE_TEXT[bill.state] ?? bill.state,
      items: items.map((i) => ({ name: i.name, amt: formatYuan(i.amt) })),
      pdfUrl: bill.layoutPath ? `/h5/bill/${bill.billBatchCode}/${bill.billNo}/pdf?random=${bill.random}` : undefined,
      card: bill.openId && !bill.isScarlet ? { state: cardState, postUrl: `/h5/bill/${bill.billBatchCode}/${bill.billNo}/card?random=${bill.random}` } : undefined,
      paper: bill.paperState === 'exchanged' && bill.paperBillBatchCode && bill.paperBillNo ? { pBillBatchCode: bill.paperBillBatchCode, pBillNo: bill.paperBillNo } : undefined,
      related: await relatedBills(bill),
    });
  });
  // 插入微信卡包 from the H5 page: the bill's one card-pack insert (idempotent), for the payer's openID.
  // (In WeChat the page would learn the openID through web authorisation; here it is the bill's openID.)
  router.post('/h5/bill/:code/:no/card', async (ctx) => {
    const bill = await findByCheckCode(api, ctx, guard);
    if (!bill) return;
    if (!bill.openId || bill.isScarlet) return notFound(ctx);
    await startNoticeResend(api, bill, { requestKey: 'h5-card', actor: 'patient', targets: [{ channel: 'card', target: bill.openId }] });
    ctx.status = 303;
    ctx.redirect(`/h5/bill/${bill.billBatchCode}/${bill.billNo}?random=${bill.random}`);
  });
  // The address a HIS computes before the bill exists (advanceH5Url): waits, then shows the bill.
  router.get('/h5/b/:appid/:busNo', async (ctx) => {
    const appid = String(ctx.params.appid ?? '');
    const busNo = String(ctx.params.busNo ?? '');
    const t = String(ctx.query.t ?? '');
    if (!/^[0-9a-f]{16}$/.test(t) || !appid || appid.length > 64 || !busNo || busNo.length > 64) return notFound(ctx);
    const app = await api.deps.master.app(appid);
    if (!app || !app.active || !safeEqual(advanceH5Token(app.key, appid, busNo), t)) return notFound(ctx);
    const bill = await api.deps.orm.em.fork().findOne(Bill, { appid, busNo });
    ctx.set('Cache-Control', 'no-store');
    if (bill) return ctx.redirect(new URL(h5Url(api.deps.cfg.server.publicUrl, bill)).pathname + `?random=${bill.random}`);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = renderPendingPage();
  });
  router.get('/h5/bill/:code/:no/pdf', async (ctx) => {
    const bill = await findByCheckCode(api, ctx, guard);
    if (!bill) return;
    if (!bill.layoutPath) return notFound(ctx);
    sendLayout(ctx, api, bill);
  });
}
