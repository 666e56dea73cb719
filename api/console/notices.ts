/**
 * Console delivery actions on one bill:
 *   POST /api/bills/:id/notices/resend { channel: sms|email|wechat|card, target?, requestId? }
 *        cashier (own billing point), finance, admin -> 202 { workflowId, requestId, channel, target }
 *   GET  /api/bills/:id/notice-slip   the notice slip (告知单) PDF for browser printing; records slip_printed
 * requestId is the idempotency key of one resend (the console sends a fresh UUID per click and
 * the same one when it retries); without it every call is a new request.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { formatYuan, yuanInChinese } from '../../common/money';
import { Bill, Notification } from '../../orm/entities';
import { h5Url, noticeTargets, type Channel } from '../../domain/bill/facts';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { assertActOnBill, assertReadBill } from '../../services/access';
import { identityView } from '../../domain/access';
import { CHANNELS, checkTarget, newRequestKey, REQUEST_KEY, startNoticeResend } from '../../temporal/notice-client';
import { DomainError } from '../../common/errors';
import { recordBillEvent } from '../../orm/repositories/bill-events';

export function mountNoticeRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);

  const loadBill = async (ctx: Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    const bill = await api.deps.orm.em.fork().findOne(Bill, id, { populate: ['place', 'billKind', 'hospital'] });
    if (!bill) throw new HttpError(404, 'E0030', `票据 ${id} 不存在`);
    await assertReadBill(api.deps.orm.em, ctx.state.user as SessionUser, { id: bill.id, placeCode: bill.place.code });
    return bill;
  };

  router.post('/api/bills/:id/notices/resend', auth, requirePermission('bill:notice-resend'), async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      assertActOnBill(ctx.state.user as SessionUser, { placeCode: bill.place.code });
      const body = (await readJson(ctx)) as { channel?: unknown; target?: unknown; requestId?: unknown };
      const channel = body.channel as Channel;
      if (typeof body.channel !== 'string' || !CHANNELS.includes(channel)) throw new HttpError(400, 'E0010', 'channel: 请选择通知渠道（sms、email、wechat 或 card）', 'channel');
      let requestId: string;
      if (body.requestId === undefined || body.requestId === null || body.requestId === '') requestId = newRequestKey();
      else if (typeof body.requestId !== 'string' || !REQUEST_KEY.test(body.requestId)) throw new HttpError(400, 'E0010', 'requestId: 须为8-64位字母、数字、_ 或 -', 'requestId');
      else requestId = body.requestId;
      let target: string;
      if (body.target === undefined || body.target === null || body.target === '') {
        const last = await api.deps.orm.em.fork().findOne(Notification, { bill: bill.id, channel }, { orderBy: { id: 'desc' } });
        const known = last?.target ?? noticeTargets(bill)[channel];
        if (!known) throw new HttpError(400, 'E0010', 'target: 该票据没有此渠道的接收方，请填写接收方', 'target');
        target = known;
      } else {
        if (typeof body.target !== 'string') throw new HttpError(400, 'E0010', 'target: 须为文本', 'target');
        try {
          target = checkTarget(channel, body.target, 'target');
        } catch (e) {
          const hint: Record<Channel, string> = { sms: '请填写正确的手机号码', email: '请填写正确的邮箱地址', wechat: '请填写正确的微信 openID', card: '请填写正确的微信 openID' };
          throw new HttpError(400, 'E0010', `target: ${hint[channel]}（${(e as Error).message.replace(/^target: /, '')}）`, 'target');
        }
      }
      const user = ctx.state.user as SessionUser;
      const { workflowId } = await startNoticeResend(api, bill, { requestKey: `c-${requestId}`.slice(0, 64), actor: user.username, targets: [{ channel, target }] });
      ctx.status = 202;
      ctx.body = { workflowId, requestId, channel, target: identityView(user).target(channel, target) };
    } catch (e) {
      if (e instanceof DomainError && e.code === 'E0031') return sendError(ctx, new HttpError(400, 'E0031', 'channel: 红字票据不能插入微信卡包', 'channel'));
      sendError(ctx, e);
    }
  });

  router.get('/api/bills/:id/notice-slip', auth, async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      const user = ctx.state.user as SessionUser;
      const related = bill.relatedBillId ? await api.deps.orm.em.fork().findOne(Bill, bill.relatedBillId) : null;
      const pdf = await api.deps.layout.slipPdf(
        {
          hospitalName: bill.hospital.name,
          billKindName: bill.billKind.name,
          billBatchCode: bill.billBatchCode,
          billNo: bill.billNo,
          random: bill.random,
          issuedAt: bill.issuedAt,
          payer: bill.payer,
          patientNo: bill.patientNo,
          busNo: bill.busNo,
          placeName: bill.place.name,
          totalAmt: formatYuan(bill.totalAmt),
          totalAmtChinese: yuanInChinese(bill.totalAmt),
          h5Url: h5Url(api.deps.cfg.server.publicUrl, bill),
          isScarlet: bill.isScarlet,
          relatedBillBatchCode: related?.billBatchCode,
          relatedBillNo: related?.billNo,
          printedAt: new Date(),
          printedBy: user.displayName,
        },
        { fontPath: api.deps.cfg.layout.fontPath },
      );
      await api.deps.orm.em.fork().transactional(async (tx) => {
        await recordBillEvent(tx, { billId: bill.id, type: 'slip_printed', actor: user.username, detail: `打印告知单（${user.displayName}）` });
      });
      ctx.type = 'application/pdf';
      ctx.set('Content-Disposition', `inline; filename="notice-slip-${bill.billBatchCode}-${bill.billNo}.pdf"`);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = pdf;
    } catch (e) {
      sendError(ctx, e);
    }
  });
}
