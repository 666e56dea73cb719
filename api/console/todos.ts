/**
 * The console's to-do list (待办事项): what the bill processes wait for. A cashier sees their own
 * billing point's items; finance and admins see all. Acting on an item signals its workflow; the
 * workflow closes the item itself once it goes on, so the list never disagrees with the processes.
 */
import type Router from '@koa/router';
import { placeFilter } from '../../services/access';
import { pointInScope } from '../../domain/access';
import type { Context } from 'koa';
import { Todo } from '../../orm/entities';
import { abandonReissueSignal, retryReissueSignal } from '../../temporal/messages';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requireUser, type SessionUser } from './auth';
import { onPaperVoided } from '../../temporal/paper-hooks';
import { findBill, runPaperOp } from '../his/paper';
import type { Bill } from '../../orm/entities';
import { workflowUrl } from '../../temporal/ids';
import { issueTodos } from '../../orm/repositories/todos';
import { actorNamer } from '../../services/actors';

/**
 * The cashier has the paper form back: it is voided exactly as the HIS's `invalidPaper` would
 * (through the bill's paper workflow), which wakes the waiting reversal. If the form was voided
 * already (by the HIS meanwhile), the reversal is just woken.
 */
async function confirmPaperRecovered(api: ApiContext, bill: Bill, placeCode: string, actor: string, reason: string): Promise<void> {
  if (bill.paperState !== 'exchanged' || !bill.paperBillBatchCode || !bill.paperBillNo) return onPaperVoided(api, bill, actor);
  const ref = await findBill(api, bill.hospital.id, bill.billBatchCode, bill.billNo);
  await runPaperOp(api, ref, { op: 'void', placeCode, operator: actor, reason, pBillBatchCode: bill.paperBillBatchCode, pBillNo: bill.paperBillNo });
}

export const TODO_KINDS: Record<string, string> = {
  paper_recovery: '收回纸质票据',
  reissue_blocked: '部分退费重开受阻',
};

/** Who may act on an item: paper recovery by the point's cashiers, finance, admins; a blocked reissue by finance and admins (retry also by the point's cashiers). */
export function canAct(u: SessionUser, t: Pick<Todo, 'kind' | 'placeCode'>, action: 'confirm' | 'retry' | 'abandon'): boolean {
  const office = u.roles.includes('finance');
  const pointCashier = u.roles.includes('cashier') && u.placeCode === t.placeCode;
  if (t.kind === 'paper_recovery') return action === 'confirm' && (office || pointCashier);
  if (t.kind === 'reissue_blocked') return action === 'abandon' ? office : action === 'retry' && (office || pointCashier);
  return false;
}

export function mountTodoRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);

  const scoped = (u: SessionUser, state: string) => {
    const where: Record<string, unknown> = {};
    if (state !== 'all') where.state = state === 'open' ? 'open' : { $ne: 'open' };
    const place = placeFilter(u);
    if (place !== undefined) where.placeCode = place;
    return where;
  };

  router.get('/api/todos/count', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const todos = await api.deps.orm.em.fork().find(Todo, scoped(u, 'open'), { fields: ['id', 'remindCount'] });
      ctx.body = { open: todos.length, overdue: todos.filter((t) => t.remindCount > 0).length };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  /** Issuances that gave up on an unexpected error (no bill yet): finance, audit and admins see all, a cashier their point's. */
  router.get('/api/todos/issuance', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const state = String(ctx.query.state ?? 'open');
      if (!['open', 'closed', 'all'].includes(state)) throw new HttpError(400, 'E0010', 'state: 须为 open、closed 或 all', 'state');
      const rows = await issueTodos(api.deps.orm.em, { state: state as 'open' | 'closed' | 'all', placeCode: placeFilter(u) });
      ctx.body = { items: rows.map((t) => ({ ...t, kind: 'issue_failed', kindName: '开票失败', createdAt: t.createdAt.toISOString(), workflowUrl: workflowUrl(api, t.workflowId) })) };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/todos', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const state = String(ctx.query.state ?? 'open');
      if (!['open', 'closed', 'all'].includes(state)) throw new HttpError(400, 'E0010', 'state: 须为 open、closed 或 all', 'state');
      const todos = await api.deps.orm.em.fork().find(Todo, scoped(u, state), { populate: ['bill'], orderBy: { id: 'desc' }, limit: 500 });
      const actorName = await actorNamer(api.deps.orm.em, todos.map((t) => t.closedBy));
      ctx.body = {
        items: todos.map((t) => ({
          id: t.id,
          kind: t.kind,
          kindName: TODO_KINDS[t.kind] ?? t.kind,
          state: t.state,
          title: t.title,
          detail: t.detail,
          placeCode: t.placeCode,
          bill: { id: t.bill.id, billBatchCode: t.bill.billBatchCode, billNo: t.bill.billNo, payer: t.bill.payer, paperBillBatchCode: t.bill.paperBillBatchCode, paperBillNo: t.bill.paperBillNo },
          createdAt: t.createdAt.toISOString(),
          remindAt: t.remindAt?.toISOString(),
          remindCount: t.remindCount,
          overdue: t.state === 'open' && t.remindCount > 0,
          closedBy: t.closedBy,
          closedByName: t.closedBy ? actorName(t.closedBy, { task: t.kind === 'paper_recovery' ? '冲红' : '部分退费重开' }) : null,
          closedAt: t.closedAt?.toISOString(),
          workflowId: t.workflowId,
          workflowUrl: workflowUrl(api, t.workflowId),
          actions: t.state !== 'open' ? [] : (['confirm', 'retry', 'abandon'] as const).filter((a) => canAct(u, t, a)),
        })),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  const loadTodo = async (ctx: Context, action: 'confirm' | 'retry' | 'abandon') => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    const u = ctx.state.user as SessionUser;
    const t = await api.deps.orm.em.fork().findOne(Todo, id, { populate: ['bill'] });
    if (!t || !pointInScope(u, t.placeCode)) throw new HttpError(404, 'E0030', `待办 ${id} 不存在`);
    if (!canAct(u, t, action)) throw new HttpError(403, 'E0005', '无权处理该待办事项');
    if (t.state !== 'open') throw new HttpError(409, 'E0031', `该待办事项已处理（${t.closedBy ? (await actorNamer(api.deps.orm.em, [t.closedBy]))(t.closedBy) : ''}）`);
    return t;
  };

  // The cashier has the paper form back: void it (which wakes the waiting reversal).
  router.post('/api/todos/:id/confirm', auth, async (ctx: Context) => {
    try {
      const t = await loadTodo(ctx, 'confirm');
      const body = (await readJson(ctx)) as { reason?: unknown };
      const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 200) : '冲红前收回作废';
      const u = ctx.state.user as SessionUser;
      await confirmPaperRecovered(api, t.bill, t.placeCode, u.displayName, reason);
      ctx.body = { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.post('/api/todos/:id/retry', auth, async (ctx: Context) => {
    try {
      const t = await loadTodo(ctx, 'retry');
      await api.client.workflow.getHandle(t.workflowId).signal(retryReissueSignal, { actor: (ctx.state.user as SessionUser).displayName });
      ctx.body = { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.post('/api/todos/:id/abandon', auth, async (ctx: Context) => {
    try {
      const t = await loadTodo(ctx, 'abandon');
      const body = (await readJson(ctx)) as { reason?: unknown };
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (!reason) throw new HttpError(400, 'E0010', 'reason: 请填写放弃重开的原因', 'reason');
      await api.client.workflow.getHandle(t.workflowId).signal(abandonReissueSignal, { actor: (ctx.state.user as SessionUser).displayName, reason: reason.slice(0, 200) });
      ctx.body = { ok: true };
    } catch (e) {
      sendError(ctx, e);
    }
  });
}
