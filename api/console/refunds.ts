/**
 * The console's refund approval (退费审批): the lists (to-do, done, my requests, CC, all) with
 * their counts, a refund's page, the actions (each a Temporal update of the refund's process),
 * a refund started at the window, and the approval chains' configuration.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomBytes } from 'node:crypto';
import { parseChainSteps, type PayType } from '../../domain/refund/chain';
import { loadChain, saveChain } from '../../services/refunds';
import { fieldError } from '../../common/errors';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { actOnRefund, CONSOLE_REFUND_FIELDS, findRefund, isTodoFor, parseRefundFields, refundDetail, refundSummary, startRefund, type RefundRow } from '../../temporal/refund-client';
import { billRef, consoleUser, listRefunds } from '../../orm/repositories/refund-reads';
import { DECISIONS, REFUND_ACTIONS, type RefundActionName } from '../../domain/refund/states';
import { TODO_STATES, type RefundActor } from '../../domain/refund/permissions';
import { permissionDef, REFUND_ACTION_PERMISSION } from '../../domain/permissions';
import { chinaTime } from '../../common/china-time';
import { assertActOnBill, assertReadBill, assertReadRefund } from '../../services/access';
import { dataScope } from '../../domain/access';

const BOXES = ['todo', 'done', 'mine', 'cc', 'all'] as const;
type Box = (typeof BOXES)[number];

const seesAll = (u: SessionUser) => dataScope(u).kind === 'hospital';
const actorOf = (u: SessionUser, r?: RefundRow): RefundActor => ({ username: u.username, displayName: u.displayName, roles: u.roles, placeCode: u.placeCode, isApplicant: r ? r.applicant === u.username : false });


export function mountRefundRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);

  /** The refunds of one box for a user (newest first). Open to-dos are few; they are filtered here by the chain's roles. */
  async function box(u: SessionUser, which: Box, filter: { state?: string; q?: string }): Promise<RefundRow[]> {
    if (which === 'all' && !seesAll(u)) throw new HttpError(403, 'E0005', '只有财务和管理员可查看全部退费申请');
    const rows = await listRefunds(api.deps.orm.em, {
      state: filter.state,
      q: filter.q,
      states: which === 'todo' ? TODO_STATES : undefined,
      applicant: which === 'mine' ? u.username : undefined,
      ccTo: which === 'cc' ? u.username : undefined,
      decidedBy: which === 'done' ? { username: u.username, actions: DECISIONS } : undefined,
    });
    return which === 'todo' ? rows.filter((r: RefundRow) => isTodoFor(r, u)) : rows;
  }

  /** The refund of the URL, if it is in the user's scope (else "not found"). */
  const loadFor = async (ctx: Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    const r = await findRefund(api, { id });
    await assertReadRefund(api.deps.orm.em, ctx.state.user as SessionUser, r);
    return r;
  };

  router.get('/api/refunds/counts', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const todo = await box(u, 'todo', {});
      ctx.body = {
        todo: todo.length,
        overdue: todo.filter((r) => Number(r.step_overdue)).length,
        done: (await box(u, 'done', {})).length,
        mine: (await box(u, 'mine', {})).length,
        cc: (await box(u, 'cc', {})).length,
        ...(seesAll(u) ? { all: (await box(u, 'all', {})).length } : {}),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/refunds', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const which = String(ctx.query.box ?? 'todo') as Box;
      if (!BOXES.includes(which)) throw new HttpError(400, 'E0010', `box: 须为 ${BOXES.join('、')} 之一`, 'box');
      const page = Math.max(1, Number(ctx.query.page) || 1);
      const pageSize = Math.min(100, Math.max(1, Number(ctx.query.pageSize) || 20));
      const state = typeof ctx.query.state === 'string' && ctx.query.state ? ctx.query.state : undefined;
      const q = typeof ctx.query.q === 'string' && ctx.query.q.trim() ? ctx.query.q.trim() : undefined;
      const rows = await box(u, which, { state, q });
      ctx.body = { items: rows.slice((page - 1) * pageSize, page * pageSize).map(refundSummary), total: rows.length };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/refunds/:id', auth, async (ctx: Context) => {
    try {
      const r = await loadFor(ctx);
      const u = ctx.state.user as SessionUser;
      ctx.body = await refundDetail(api, r, actorOf(u, r));
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.post('/api/refunds/:id/actions', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const action = body.action as RefundActionName;
      if (!REFUND_ACTIONS.includes(action)) throw new HttpError(400, 'E0010', `action: 须为 ${REFUND_ACTIONS.join('、')} 之一`, 'action');
      const need = REFUND_ACTION_PERMISSION[action];
      if (!u.permissions.includes(need)) throw new HttpError(403, 'E0005', `需要权限：${permissionDef(need)?.name ?? need}`);
      const r = await loadFor(ctx);
      const version = body.version === undefined ? undefined : Number(body.version);
      if (DECISIONS.includes(action) && (version === undefined || !Number.isInteger(version))) throw new HttpError(400, 'E0010', 'version: 请提供页面上的版本号', 'version');
      const comment = typeof body.comment === 'string' ? body.comment.trim().slice(0, 500) : undefined;
      let to: { username: string; displayName: string; roles: string[] } | undefined;
      if (action === 'transfer') {
        const name = typeof body.to === 'string' ? body.to.trim() : '';
        const t = await consoleUser(api.deps.orm.em, name);
        if (!t || !Number(t.active)) throw new HttpError(400, 'E0010', `to: 用户 ${name || '（空）'} 不存在或已停用`, 'to');
        to = { username: t.username, displayName: t.display_name, roles: t.roles.split(',') };
      }
      await actOnRefund(api, r.refund_no, {
        action,
        actor: actorOf(u, r),
        version,
        comment,
        toStep: body.toStep === undefined ? undefined : Number(body.toStep),
        to,
        hours: body.hours === undefined ? undefined : Number(body.hours),
        voucherNo: typeof body.voucherNo === 'string' ? body.voucherNo.trim().slice(0, 64) : undefined,
      });
      ctx.body = await refundDetail(api, await findRefund(api, { id: r.id }), actorOf(u, r));
    } catch (e) {
      sendError(ctx, e);
    }
  });

  // A refund started at the window (a cashier or finance for the patient in front of them).
  router.post('/api/refunds', auth, requirePermission('refund:apply'), async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const billId = Number(body.billId);
      if (!Number.isInteger(billId) || billId < 1) throw fieldError('billId', '须为票据的 id（正整数）');
      const f = parseRefundFields(body, CONSOLE_REFUND_FIELDS);
      const b = await billRef(api.deps.orm.em, billId);
      if (!b) throw new HttpError(404, 'E0030', `billId: 票据 ${billId} 不存在`, 'billId');
      await assertReadBill(api.deps.orm.em, u, { id: b.id, placeCode: b.place_code }).catch(() => {
        throw new HttpError(404, 'E0030', `billId: 票据 ${billId} 不存在`, 'billId');
      });
      assertActOnBill(u, { placeCode: b.place_code });
      const refundNo = typeof body.refundNo === 'string' && body.refundNo ? body.refundNo : `C${chinaTime(Date.now()).compact}${randomBytes(3).toString('hex').toUpperCase()}`;
      const r = await startRefund(api, { hospitalId: b.hospital_id, refundNo, source: 'console', billId, ...f, applicant: u.username, applicantName: u.displayName });
      const row = await findRefund(api, { id: r.id });
      ctx.status = r.created ? 201 : 200;
      ctx.body = await refundDetail(api, row, actorOf(u, row));
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/refund-chains', auth, async (ctx: Context) => {
    try {
      const sql = api.deps.orm.em.fork() as unknown as Parameters<typeof loadChain>[0];
      ctx.body = [await loadChain(sql, 'self'), await loadChain(sql, 'insured')];
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.put('/api/refund-chains/:code', auth, requirePermission('refund-chain:edit'), async (ctx: Context) => {
    try {
      const code = String(ctx.params.code) as PayType;
      if (code !== 'self' && code !== 'insured') throw new HttpError(404, 'E0010', 'code: 须为 self 或 insured', 'code');
      const body = (await readJson(ctx)) as Record<string, unknown>;
      const steps = parseChainSteps(body.steps);
      ctx.body = await saveChain(api.deps, code, steps, (ctx.state.user as SessionUser).username);
    } catch (e) {
      sendError(ctx, e);
    }
  });
}
