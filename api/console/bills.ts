/**
 * Console bill search and detail. A billing-point user (cashier) sees only their own point's bills.
 * A detail that shows the patient's identity unmasked (bill:identity) and every PDF download are
 * rows of the operation log (services/operation-log.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Router from '@koa/router';
import { refundStateName } from '../../domain/refund/names';
import type { Context } from 'koa';
import type { FilterQuery } from '@mikro-orm/core';
import { formatYuan, yuanInChinese } from '../../common/money';
import { refundsOfBill } from '../../orm/repositories/bills';
import { dbIso } from '../../orm/sql-values';
import { billContactFilters } from '../../orm/sealed';
import { sm2Verify } from '../../common/gm';
import { Bill, BillEvent, BillItem, BillKind, BillPayment, BillingPoint, BusinessCategory, Hospital, Notification } from '../../orm/entities';
import { BUS_TYPES } from '../../domain/bill/issue-request';
import { h5Url } from '../../domain/bill/facts';
import { PAY_CHANNELS } from '../../services/delivery';
import { HttpError, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { readJson } from '../http';
import { parseRefundSpec, partialRefundEBillAnswer, writeOffAnswer } from '../his/write-off';
import { DomainError } from '../../common/errors';
import { BILL_EVENT_TYPES, type BillEventType } from '../../domain/bill/events';
import { workflowUrl, writeOffWorkflowId } from '../../temporal/ids';
import { chinaDayStart } from '../../common/china-time';
import { assertActOnBill, assertReadBill, billListScope } from '../../services/access';
import { identityView, revealsIdentity, seesSignedText } from '../../domain/access';
import { logOperation } from '../../services/operation-log';
import { actorNamer } from '../../services/actors';
import { BILL_EVENT_TASKS } from '../../domain/actors';

const DATE = /^\d{4}-\d{2}-\d{2}$/;


/**
 * The bill list's filters, for the list and its export alike: dates (China days), billing point
 * (in the viewer's scope), busNo, bill code, bill number (all 10 digits, or part of it), the
 * patient (name part, patient number, or exactly a phone / ID number / e-mail / clinic card through its blind
 * index), state (正常 / 已冲红 / 红字票据), bill kind, upload state. Each refusal names its field.
 */
export async function billListFilter(api: ApiContext, q: Record<string, string | undefined>, user: SessionUser): Promise<FilterQuery<Bill> & Record<string, unknown>> {
  const where: FilterQuery<Bill> & Record<string, unknown> = {};
  const issuedAt: Record<string, Date> = {};
  if (q.dateFrom) {
    if (!DATE.test(q.dateFrom)) throw new HttpError(400, 'E0010', 'dateFrom: 开始日期须为 YYYY-MM-DD', 'dateFrom');
    issuedAt.$gte = chinaDayStart(q.dateFrom);
  }
  if (q.dateTo) {
    if (!DATE.test(q.dateTo)) throw new HttpError(400, 'E0010', 'dateTo: 结束日期须为 YYYY-MM-DD', 'dateTo');
    issuedAt.$lt = new Date(chinaDayStart(q.dateTo).getTime() + 86400_000);
  }
  if (Object.keys(issuedAt).length) where.issuedAt = issuedAt;
  const scope = await billListScope(api.deps.orm.em, user, q.placeCode || undefined);
  if (scope.kind === 'points') where.place = { code: { $in: scope.points.length ? scope.points : ['-'] } };
  if (scope.kind === 'bills') where.id = { $in: scope.billIds.length ? scope.billIds : [0] };
  if (q.busNo) where.busNo = q.busNo.trim();
  if (q.billBatchCode) {
    if (!/^\d{8}$/.test(q.billBatchCode.trim())) throw new HttpError(400, 'E0010', 'billBatchCode: 票据代码为 8 位数字', 'billBatchCode');
    where.billBatchCode = q.billBatchCode.trim();
  }
  if (q.billNo) {
    const no = q.billNo.trim();
    if (!/^\d{1,10}$/.test(no)) throw new HttpError(400, 'E0010', 'billNo: 票据号码为数字（可输入部分号码）', 'billNo');
    where.billNo = no.length === 10 ? no : { $like: `%${no}%` };
  }
  if (q.state) {
    if (q.state === 'scarlet') where.isScarlet = true;
    else if (q.state === 'normal' || q.state === 'reversed') {
      where.state = q.state;
      where.isScarlet = false;
    } else throw new HttpError(400, 'E0010', 'state: 须为 normal（正常）、reversed（已冲红）或 scarlet（红字票据）', 'state');
  }
  if (q.kind) {
    if (!/^[0-9A-Za-z]{1,8}$/.test(q.kind)) throw new HttpError(400, 'E0010', 'kind: 票据种类编码为 1-8 位字母或数字', 'kind');
    where.billKind = { code: q.kind };
  }
  if (q.uploadState) {
    if (!['pending', 'uploaded', 'rejected'].includes(q.uploadState)) throw new HttpError(400, 'E0010', 'uploadState: 须为 pending（待上传）、uploaded（已上传）或 rejected（被拒收）', 'uploadState');
    where.uploadState = q.uploadState;
  }
  if (q.patient) {
    const p = q.patient.trim();
    // name (part), patient number, or exactly a phone / ID number / e-mail / clinic card through its blind index (orm/sealed.ts)
    where.$or = [{ patientNo: p }, { payer: { $like: `%${p.replace(/[%_\\]/g, (c) => '\\' + c)}%` } }, ...billContactFilters(api.deps.orm.em, p)];
  }
  return where;
}

export function mountBillRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);

  router.get('/api/meta', auth, async (ctx) => {
    const em = api.deps.orm.em.fork();
    const [hospital] = await em.find(Hospital, {}, { limit: 1, orderBy: { id: 'asc' } });
    const places = await em.find(BillingPoint, {}, { orderBy: { code: 'asc' } });
    const cats = await em.find(BusinessCategory, {}, { orderBy: { busType: 'asc' } });
    const kinds = await em.find(BillKind, {}, { orderBy: { code: 'asc' } });
    ctx.body = {
      hospital: hospital ? { code: hospital.code, name: hospital.name } : null,
      places: places.map((p) => ({ code: p.code, name: p.name, active: p.active })),
      busTypes: Object.entries(BUS_TYPES).map(([busType, name]) => ({ busType, name: cats.find((c) => c.busType === busType)?.name ?? name })),
      payChannels: Object.entries(PAY_CHANNELS).map(([code, name]) => ({ code, name })),
      billKinds: kinds.map((k) => ({ code: k.code, name: k.name })),
      temporalUiUrl: api.temporalUiUrl,
      namespace: api.namespace,
    };
  });

  router.get('/api/bills', auth, async (ctx: Context) => {
    try {
      const q = ctx.query as Record<string, string | undefined>;
      const page = q.page ? Number(q.page) : 1;
      const pageSize = q.pageSize ? Number(q.pageSize) : 20;
      if (!Number.isInteger(page) || page < 1) throw new HttpError(400, 'E0010', 'page: 页码须为不小于 1 的整数', 'page');
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200) throw new HttpError(400, 'E0010', 'pageSize: 每页条数须为 1-200', 'pageSize');
      const where = await billListFilter(api, q, ctx.state.user as SessionUser);
      const [bills, total] = await api.deps.orm.em.fork().findAndCount(Bill, where, {
        populate: ['place', 'billKind'],
        orderBy: { issuedAt: 'desc', id: 'desc' },
        limit: pageSize,
        offset: (page - 1) * pageSize,
      });
      ctx.body = {
        total,
        page,
        pageSize,
        items: bills.map((b) => ({
          id: b.id,
          billBatchCode: b.billBatchCode,
          billNo: b.billNo,
          random: b.random,
          busNo: b.busNo,
          busType: b.busType,
          placeCode: b.place.code,
          placeName: b.place.name,
          payer: b.payer,
          patientNo: b.patientNo,
          totalAmt: formatYuan(b.totalAmt),
          issuedAt: b.issuedAt.toISOString(),
          state: b.state,
          isScarlet: b.isScarlet,
          billKindCode: b.billKind.code,
          billKindName: b.billKind.name,
          uploadState: b.uploadState,
          paperState: b.paperState,
          layoutReady: !!b.layoutPath,
        })),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  const loadBill = async (ctx: Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    const bill = await api.deps.orm.em.fork().findOne(Bill, id, { populate: ['place', 'billKind', 'hospital', 'listDetail'] });
    if (!bill) throw new HttpError(404, 'E0030', `票据 ${id} 不存在`);
    await assertReadBill(api.deps.orm.em, ctx.state.user as SessionUser, { id: bill.id, placeCode: bill.place.code });
    return bill;
  };

  router.get('/api/bills/:id', auth, async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      const em = api.deps.orm.em.fork();
      const [items, payments, notices, events] = await Promise.all([
        em.find(BillItem, { bill: bill.id }, { orderBy: { sortNo: 'asc' } }),
        em.find(BillPayment, { bill: bill.id }),
        em.find(Notification, { bill: bill.id }, { orderBy: { id: 'asc' } }),
        em.find(BillEvent, { bill: bill.id }, { orderBy: { id: 'asc' } }),
      ]);
      // Who did each step, by display name (domain/actors.ts): 收费员 李敏, HIS 接口（…）, 系统（财政上传）.
      const actorName = await actorNamer(api.deps.orm.em, [...events.map((e) => e.actor), ...notices.map((n) => n.actor)]);
      const url = h5Url(api.deps.cfg.server.publicUrl, bill);
      const viewer = ctx.state.user as SessionUser;
      const shown = identityView(viewer);
      if (revealsIdentity(viewer) || seesSignedText(viewer)) {
        await logOperation(api.deps, {
          username: viewer.username, displayName: viewer.displayName, address: ctx.ip, action: 'bill-identity-read', objectType: 'bill', objectId: String(bill.id),
          detail: `查看票据 ${bill.billBatchCode}-${bill.billNo} 的患者身份信息（证件号码、电话、邮箱${seesSignedText(viewer) ? '、签名原文' : ''}）`,
        });
      }
      ctx.body = {
        bill: {
          id: bill.id,
          billBatchCode: bill.billBatchCode,
          billNo: bill.billNo,
          random: bill.random,
          busNo: bill.busNo,
          busType: bill.busType,
          busTypeName: BUS_TYPES[bill.busType] ?? bill.busType,
          method: bill.method,
          placeCode: bill.place.code,
          placeName: bill.place.name,
          billKindCode: bill.billKind.code,
          billKindName: bill.billKind.name,
          payer: bill.payer,
          patientNo: bill.patientNo,
          patientId: shown.patientId(bill.patientId),
          tel: shown.phone(bill.tel),
          email: shown.email(bill.email),
          identityMasked: !revealsIdentity(viewer),
          payee: bill.payee,
          author: bill.author,
          checker: bill.checker,
          busDateTime: bill.busDateTime,
          issuedAt: bill.issuedAt.toISOString(),
          state: bill.state,
          isScarlet: bill.isScarlet,
          totalAmt: formatYuan(bill.totalAmt),
          totalAmtChinese: yuanInChinese(bill.totalAmt),
          remark: bill.remark,
          uploadState: bill.uploadState,
          upload: {
            state: bill.uploadState,
            reason: bill.uploadReason,
            batchNo: bill.uploadBatchNo,
            attempts: bill.uploadAttempts,
            uploadedAt: bill.uploadedAt?.toISOString(),
            requeuedBy: bill.uploadRequeuedBy,
            requeuedAt: bill.uploadRequeuedAt?.toISOString(),
            accounted: bill.accounted,
            accountedAt: bill.accountedAt?.toISOString(),
            accountCheckedAt: bill.accountCheckedAt?.toISOString(),
          },
          extra: bill.extra ? JSON.parse(bill.extra) : {},
          items: items.map((i) => ({ sortNo: i.sortNo, name: i.name, fiscalCode: i.fiscalCode, hisCode: i.hisCode, unit: i.unit, std: i.std, number: i.number, amt: formatYuan(i.amt), selfAmt: formatYuan(i.selfAmt), remark: i.remark })),
          payments: payments.map((p) => ({ channelCode: p.channelCode, channelName: PAY_CHANNELS[p.channelCode] ?? p.channelCode, amount: formatYuan(p.amount) })),
          listDetail: bill.listDetail ? JSON.parse(bill.listDetail) : [],
          signature: {
            valid: sm2Verify(bill.signedData, bill.signature, bill.hospital.publicKey),
            algorithm: 'SM3withSM2 (GB/T 32918, user ID 1234567812345678)',
            publicKey: bill.hospital.publicKey,
            // The signed text holds the full ID number: only for the roles that act on bills.
            signedData: seesSignedText(viewer) ? bill.signedData : undefined,
            value: bill.signature,
          },
          layoutReady: !!bill.layoutPath,
          pdfUrl: `/api/bills/${bill.id}/pdf`,
          h5Url: url,
          qrCode: await api.deps.layout.qrBase64(url),
          workflowId: bill.workflowId,
          workflowUrl: workflowUrl(api, bill.workflowId),
          relatedBill: bill.relatedBillId ? await billRef(api, bill.relatedBillId) : undefined,
          scarletBill: bill.scarletBillId ? await billRef(api, bill.scarletBillId) : undefined,
          // Partial refund: the bill this one replaces, and the bill that replaced this one.
          originBill: bill.originBillId ? await billRef(api, bill.originBillId) : undefined,
          reissuedBill: await reissueOf(api, bill.id),
          writeOff: bill.reversedAt
            ? { reason: bill.writeOffReason, operator: bill.writeOffOperator, reversedAt: bill.reversedAt.toISOString(), workflowUrl: workflowUrl(api, writeOffWorkflowId(bill)) }
            : undefined,
          notifications: notices.map((n) => ({ id: n.id, channel: n.channel, purpose: n.purpose, actor: n.actor, actorName: actorName(n.actor, { task: '交付' }), target: shown.target(n.channel, n.target), status: n.status, attempts: n.attempts, createdAt: n.createdAt.toISOString(), sentAt: n.sentAt?.toISOString(), lastError: n.lastError })),
          paper: { state: bill.paperState, billBatchCode: bill.paperBillBatchCode, billNo: bill.paperBillNo },
          // Refund requests (退费申请) of this bill, newest first.
          refunds: (
            await refundsOfBill(api.deps.orm.em, bill.id)
          ).map((r) => ({
            id: r.id,
            refundNo: r.refund_no,
            state: r.state,
            stateName: refundStateName(r.state),
            amount: formatYuan(Number(r.amount)),
            channel: r.channel,
            createdAt: dbIso(r.created_at),
          })),
          timeline: events.map((e) => ({
            type: e.type,
            label: BILL_EVENT_TYPES[e.type as BillEventType] ?? e.type,
            actor: e.actor,
            actorName: actorName(e.actor, { task: BILL_EVENT_TASKS[e.type] }),
            detail: e.detail,
            at: e.createdAt.toISOString(),
            workflowId: e.workflowId,
            workflowUrl: e.workflowId ? workflowUrl(api, e.workflowId) : undefined,
          })),
        },
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  // Reversal from the console: finance and admins for any point, a cashier for their own point.
  router.post('/api/bills/:id/write-off', auth, requirePermission('bill:write-off'), async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      assertActOnBill(ctx.state.user as SessionUser, { placeCode: bill.place.code });
      const body = (await readJson(ctx)) as { reason?: unknown };
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (!reason) throw new HttpError(400, 'E0010', 'reason: 请填写冲红原因', 'reason');
      if (reason.length > 200) throw new HttpError(400, 'E0010', 'reason: 冲红原因不超过200字', 'reason');
      const user = ctx.state.user as SessionUser;
      ctx.body = await writeOffAnswer(api, {
        hospitalId: bill.hospital.id,
        billBatchCode: bill.billBatchCode,
        billNo: bill.billNo,
        placeCode: bill.place.code,
        reason,
        operator: user.displayName,
      });
    } catch (e) {
      if (e instanceof DomainError && e.code === 'E0032') {
        // Registered: the reversal waits for the paper form (a to-do for the point's cashiers).
        ctx.status = 202;
        ctx.body = { state: 'awaiting_paper', message: '该票据已换开纸质票据：冲红已登记，收回并作废纸质票据后将自动完成（见待办事项）' };
        return;
      }
      sendError(ctx, e);
    }
  });

  // Partial refund (部分退费): reverse and reissue the rest, one process. Same roles as a reversal.
  router.post('/api/bills/:id/partial-refund', auth, requirePermission('bill:partial-refund'), async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      assertActOnBill(ctx.state.user as SessionUser, { placeCode: bill.place.code });
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (!reason) throw new HttpError(400, 'E0010', 'reason: 请填写退费原因', 'reason');
      if (reason.length > 200) throw new HttpError(400, 'E0010', 'reason: 退费原因不超过200字', 'reason');
      const spec = parseRefundSpec(body);
      const user = ctx.state.user as SessionUser;
      const r = await partialRefundEBillAnswer(
        api,
        { hospitalId: bill.hospital.id, billBatchCode: bill.billBatchCode, billNo: bill.billNo, placeCode: bill.place.code, reason, operator: user.displayName },
        spec,
      );
      ctx.body = r;
    } catch (e) {
      if (e instanceof DomainError && e.code === 'E0032') {
        ctx.status = 202;
        ctx.body = { state: 'awaiting_paper', message: '该票据已换开纸质票据：部分退费已登记，收回并作废纸质票据后将自动冲红并重开（见待办事项）' };
        return;
      }
      sendError(ctx, e);
    }
  });

  router.get('/api/bills/:id/pdf', auth, async (ctx: Context) => {
    try {
      const bill = await loadBill(ctx);
      if (!bill.layoutPath) throw new HttpError(404, 'E0030', '版式文件尚未生成，请稍后再试');
      const u = ctx.state.user as SessionUser;
      await logOperation(api.deps, {
        username: u.username, displayName: u.displayName, address: ctx.ip, action: 'bill-pdf', objectType: 'bill', objectId: String(bill.id),
        detail: `下载票据 ${bill.billBatchCode}-${bill.billNo} 的版式文件（PDF）`,
      });
      sendLayout(ctx, api, bill);
    } catch (e) {
      sendError(ctx, e);
    }
  });
}

export function sendLayout(ctx: Context, api: ApiContext, bill: Bill): void {
  const abs = path.join(api.deps.cfg.server.dataDir, bill.layoutPath!);
  ctx.type = 'application/pdf';
  ctx.set('Content-Disposition', `inline; filename="${bill.billBatchCode}-${bill.billNo}.pdf"`);
  ctx.body = fs.createReadStream(abs);
}

async function reissueOf(api: ApiContext, originId: number) {
  const b = await api.deps.orm.em.fork().findOne(Bill, { originBillId: originId });
  return b ? billRef(api, b.id) : undefined;
}

async function billRef(api: ApiContext, id: number) {
  const b = await api.deps.orm.em.fork().findOne(Bill, id);
  return b ? { id: b.id, billBatchCode: b.billBatchCode, billNo: b.billNo, totalAmt: formatYuan(b.totalAmt), issuedAt: b.issuedAt.toISOString() } : undefined;
}
