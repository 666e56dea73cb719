/**
 * The console's bill stock (票据库存): requisitions (申领), the hospital pool, distribution (分发),
 * returns (退回), voids (作废), billing points (开票点) with nesting and thresholds, stock alarms
 * (库存预警) and the number-continuity audit. Finance and admins only; everyone else gets 403.
 * Handlers stay thin: the stock moves are in services/stock/, the requisition's steps in its workflow.
 */
import type Router from '@koa/router';
import { dbIso } from '../../orm/sql-values';
import type { Context, Next } from 'koa';
import { DomainError, fieldError } from '../../common/errors';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { domainErrorOf } from '../../temporal/domain-errors';
import { auditNumbers } from '../../services/stock/audit';
import { distribute, kindByCode, parseRangeSpec, returnToPool, voidRange, type PointRef } from '../../services/stock/stock';
import { checkParent, createPoint, deletePoint, editPoint, pointByCode as findPoint, setThreshold } from '../../services/stock/points';
import { billKindList, latestAlarms, latestMovements, latestVoids, openAlarmCount, pointSegments, pointsOverview, poolRanges } from '../../orm/repositories/stock';
import { consoleHospitalId } from './hospital';
import { latestRequisitionIds, requisitionEvents, requisitionLinesNamed, requisitionReceipts, requisitionRecord } from '../../orm/repositories/requisitions';
import type { PointChange } from '../../orm/repositories/billing-points';
import { REQUISITION_EVENTS, REQUISITION_STATES, createRequisition, editRequisition, parseLines } from '../../services/stock/requisition';
import { stockInUpdate, submitRequisitionUpdate, type RequisitionPhase } from '../../temporal/messages';
import { startOperation } from '../../temporal/workflow-types';
import { triggerSchedule } from '../../temporal/schedules';
import { STOCK_ALARM_SCHEDULE } from '../../temporal/schedules';
import { requisitionWorkflowId, workflowUrl } from '../../temporal/ids';
import { actorNamer } from '../../services/actors';
import { REQUISITION_EVENT_TASKS } from '../../domain/actors';


const no10 = (v: number | string) => String(v).padStart(10, '0');
const num = (v: unknown) => Number(v ?? 0);

export function mountStockRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const may = (...codes: string[]) => [auth, requirePermission(...codes)] as const;
  const em = () => api.deps.orm.em;
  const conn = () => api.deps.orm.em.fork();
  const actor = (ctx: Context) => (ctx.state.user as SessionUser).displayName;
  const handle = (fn: (ctx: Context) => Promise<unknown>) => async (ctx: Context, _next: Next) => {
    try {
      ctx.body = await fn(ctx);
    } catch (e) {
      sendError(ctx, domainErrorOf(e));
    }
  };
  const body = async (ctx: Context) => (await readJson(ctx)) as Record<string, unknown>;
  const hospitalId = () => consoleHospitalId(api);
  const pointByCode = (code: unknown, field = 'placeCode'): Promise<PointRef> => findPoint(api.deps, code, field);
  const text = (v: unknown, field: string, max: number, required = false): string | undefined => {
    if (v === undefined || v === null || v === '') {
      if (required) throw fieldError(field, '不能为空');
      return undefined;
    }
    if (typeof v !== 'string') throw fieldError(field, '须为文本');
    if (v.trim().length > max) throw fieldError(field, `最多 ${max} 个字`);
    if (required && !v.trim()) throw fieldError(field, '不能为空');
    return v.trim();
  };

  router.get('/api/stock/kinds', ...may('menu:requisitions', 'menu:stock', 'menu:points'), handle(async () => {
    return { items: await billKindList(em()) };
  }));

  // ---- requisitions (申领) ----
  const reqId = (ctx: Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    return id;
  };
  const loadReq = async (id: number) => {
    const r = await requisitionRecord(conn(), id);
    if (!r) throw new HttpError(404, 'E0030', `申领单 ${id} 不存在`);
    const lines = await requisitionLinesNamed(conn(), id);
    return {
      id: num(r.id),
      requisitionNo: r.requisition_no as string,
      state: r.state as string,
      stateName: REQUISITION_STATES[r.state as string] ?? r.state,
      revision: num(r.revision),
      remark: (r.remark as string) ?? '',
      createdBy: r.created_by as string,
      createdAt: dbIso(r.created_at),
      submittedAt: dbIso(r.submitted_at),
      fiscalRequisitionNo: (r.fiscal_requisition_no as string) ?? null,
      reviewer: (r.reviewer as string) ?? null,
      reviewComment: (r.review_comment as string) ?? null,
      reviewedAt: dbIso(r.reviewed_at),
      stockedBy: (r.stocked_by as string) ?? null,
      stockedAt: dbIso(r.stocked_at),
      workflowId: (r.workflow_id as string) ?? null,
      workflowUrl: r.workflow_id ? workflowUrl(api, r.workflow_id as string) : null,
      lines: lines.map((l) => ({ billKindCode: l.code, billKindName: l.name, quantity: num(l.quantity) })),
    };
  };

  router.get('/api/stock/requisitions', ...may('menu:requisitions'), handle(async (ctx) => {
    const state = typeof ctx.query.state === 'string' && ctx.query.state ? ctx.query.state : undefined;
    if (state && !(state in REQUISITION_STATES)) throw fieldError('state', `须为 ${Object.keys(REQUISITION_STATES).join('、')}`);
    const ids = await latestRequisitionIds(conn(), state);
    return { items: await Promise.all(ids.map((id) => loadReq(id))) };
  }));

  router.get('/api/stock/requisitions/:id', ...may('menu:requisitions'), handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    const events = await requisitionEvents(conn(), r.id);
    const receipts = await requisitionReceipts(conn(), r.id);
    const actorName = await actorNamer(api.deps.orm.em, events.map((e) => e.actor));
    return {
      ...r,
      events: events.map((e) => ({ type: e.type, typeName: REQUISITION_EVENTS[e.type] ?? e.type, actor: e.actor, actorName: actorName(e.actor, { task: REQUISITION_EVENT_TASKS[e.type] }), revision: num(e.revision), detail: e.detail, at: dbIso(e.created_at) })),
      segments: receipts.map((s) => ({
        billKindCode: s.code, billBatchCode: s.bill_batch_code, startNo: no10(s.start_no), endNo: no10(s.end_no), quantity: num(s.end_no) - num(s.start_no) + 1,
        state: s.state, receivedAt: dbIso(s.received_at), stockedBy: s.stocked_by, stockedAt: dbIso(s.stocked_at),
      })),
    };
  }));

  router.post('/api/stock/requisitions', ...may('stock:act'), handle(async (ctx) => {
    const b = await body(ctx);
    const lines = parseLines(b.lines);
    const id = await createRequisition(api.deps.orm.em, await hospitalId(), lines, text(b.remark, 'remark', 200), actor(ctx));
    return loadReq(id);
  }));

  router.put('/api/stock/requisitions/:id', ...may('stock:act'), handle(async (ctx) => {
    const id = reqId(ctx);
    const b = await body(ctx);
    await editRequisition(api.deps.orm.em, id, parseLines(b.lines), text(b.remark, 'remark', 200), actor(ctx));
    return loadReq(id);
  }));

  /** 提交 / 重新提交: the `submit` update of the requisition's workflow (started by this call if needed). */
  router.post('/api/stock/requisitions/:id/submit', ...may('stock:act'), handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    const start = startOperation('requisitionWorkflow', {
      workflowId: requisitionWorkflowId(r.id),
      taskQueue: api.taskQueue,
      args: [{ requisitionId: r.id, pollMaxMs: api.deps.cfg.stock.requisitionPollMaxMs, phase: r.state as RequisitionPhase, revision: r.revision }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    await api.client.workflow.executeUpdateWithStart(submitRequisitionUpdate, { args: [{ actor: actor(ctx) }], startWorkflowOperation: start });
    return loadReq(r.id);
  }));

  /** 确认入库: the `stockIn` update; the received segments enter the hospital pool. */
  router.post('/api/stock/requisitions/:id/stock-in', ...may('stock:act'), handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    if (r.state !== 'received') throw new DomainError('E0065', `state: 申领单${r.stateName}，财政下发号段后才能确认入库`, 'state');
    const result = await api.client.workflow.getHandle(requisitionWorkflowId(r.id)).executeUpdate(stockInUpdate, { args: [{ actor: actor(ctx) }] });
    return { ...(await loadReq(r.id)), stockedQuantity: result.quantity };
  }));

  // ---- hospital pool, point stock, distribution, return, void ----
  router.get('/api/stock/pool', ...may('menu:stock'), handle(async () => {
    const rows = await poolRanges(em());
    const totals = new Map<string, { billKindCode: string; billKindName: string; quantity: number }>();
    for (const r of rows) {
      const t = totals.get(r.code) ?? { billKindCode: r.code, billKindName: r.name, quantity: 0 };
      t.quantity += num(r.end_no) - num(r.start_no) + 1;
      totals.set(r.code, t);
    }
    return {
      totals: [...totals.values()],
      ranges: rows.map((r) => ({ billKindCode: r.code, billKindName: r.name, billBatchCode: r.bill_batch_code, startNo: no10(r.start_no), endNo: no10(r.end_no), quantity: num(r.end_no) - num(r.start_no) + 1 })),
    };
  }));

  router.get('/api/stock/segments', ...may('menu:stock'), handle(async (ctx) => {
    const placeCode = typeof ctx.query.placeCode === 'string' && ctx.query.placeCode ? ctx.query.placeCode : undefined;
    const rows = await pointSegments(em(), placeCode);
    return {
      items: rows.map((s) => ({
        placeCode: s.place_code, placeName: s.place_name, billKindCode: s.code, billKindName: s.name, billBatchCode: s.bill_batch_code,
        startNo: no10(s.start_no), endNo: no10(s.end_no), nextNo: num(s.next_no) <= num(s.end_no) ? no10(s.next_no) : null,
        used: num(s.next_no) - num(s.start_no), remaining: Math.max(0, num(s.end_no) - num(s.next_no) + 1),
      })),
    };
  }));

  router.post('/api/stock/distributions', ...may('stock:act'), handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    return distribute(api.deps, point, parseRangeSpec(b, false), actor(ctx), text(b.reason, 'reason', 200));
  }));

  router.post('/api/stock/returns', ...may('stock:act'), handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    return returnToPool(api.deps, point, parseRangeSpec(b, true), actor(ctx), text(b.reason, 'reason', 200));
  }));

  router.post('/api/stock/voids', ...may('stock:act'), handle(async (ctx) => {
    const b = await body(ctx);
    const reason = text(b.reason, 'reason', 200, true)!;
    const spec = parseRangeSpec(b, false);
    if (!('billBatchCode' in spec)) throw fieldError('billBatchCode', '作废须给出票据代码与起止号码');
    const point = b.placeCode ? await pointByCode(b.placeCode) : undefined;
    return voidRange(api.deps, await hospitalId(), spec, point, actor(ctx), reason);
  }));

  router.get('/api/stock/voids', ...may('menu:stock'), handle(async () => {
    const rows = await latestVoids(em());
    return { items: rows.map((v) => ({ billKindCode: v.code, billBatchCode: v.bill_batch_code, startNo: no10(v.start_no), endNo: no10(v.end_no), quantity: num(v.end_no) - num(v.start_no) + 1, placeCode: v.place_code, reason: v.reason, voidedBy: v.voided_by, voidedAt: dbIso(v.voided_at) })) };
  }));

  router.get('/api/stock/movements', ...may('menu:stock'), handle(async (ctx) => {
    const type = typeof ctx.query.type === 'string' && ctx.query.type ? ctx.query.type : undefined;
    if (type && !['stock_in', 'distribute', 'return', 'void'].includes(type)) throw fieldError('type', '须为 stock_in、distribute、return 或 void');
    const rows = await latestMovements(em(), type);
    return { items: rows.map((m) => ({ id: num(m.id), type: m.type, billKindCode: m.code, billBatchCode: m.bill_batch_code, startNo: no10(m.start_no), endNo: no10(m.end_no), quantity: num(m.quantity), placeCode: m.place_code, requisitionId: m.requisition_id, actor: m.actor, reason: m.reason, at: dbIso(m.created_at) })) };
  }));

  // ---- billing points (开票点): tree, create, edit, deactivate, thresholds ----
  /** `campus` (院区: its nested points are what a campus data scope covers) or `point`. */
  const pointKind = (v: unknown): 'campus' | 'point' | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (v !== 'campus' && v !== 'point') throw fieldError('kind', '类型应为 campus（院区）或 point（开票点）');
    return v;
  };
  router.get('/api/stock/points', ...may('menu:points', 'menu:stock'), handle(async () => {
    const { points, kinds, remaining, thresholds, alarms, billPlaces: bills } = await pointsOverview(em());
    const key = (p: unknown, k: unknown) => `${num(p)}-${num(k)}`;
    const rem = new Map(remaining.map((r) => [key(r.place_id, r.bill_kind_id), num(r.remaining)]));
    const thr = new Map(thresholds.map((t) => [key(t.place_id, t.bill_kind_id), num(t.min_remaining)]));
    const alarmed = new Set(alarms.map((a) => key(a.place_id, a.bill_kind_id)));
    const used = new Set(bills.map((b) => num(b.place_id)));
    return {
      defaultThreshold: api.deps.cfg.stock.defaultThreshold,
      items: points.map((p) => ({
        code: p.code,
        name: p.name,
        parentCode: p.parent_code,
        kind: p.kind === 'campus' ? 'campus' : 'point',
        active: Boolean(Number(p.active)),
        createdAt: dbIso(p.created_at),
        hasBills: used.has(num(p.id)),
        balances: kinds
          .filter((k) => rem.has(key(p.id, k.id)) || thr.has(key(p.id, k.id)))
          .map((k) => ({
            billKindCode: k.code,
            billKindName: k.name,
            remaining: rem.get(key(p.id, k.id)) ?? 0,
            threshold: thr.get(key(p.id, k.id)) ?? api.deps.cfg.stock.defaultThreshold,
            thresholdSet: thr.has(key(p.id, k.id)),
            alarm: alarmed.has(key(p.id, k.id)),
          })),
      })),
    };
  }));

  router.post('/api/stock/points', ...may('point:edit'), handle(async (ctx) => {
    const b = await body(ctx);
    const code = text(b.code, 'code', 32, true)!;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(code)) throw fieldError('code', '开票点编码只能含字母、数字、- 和 _');
    const name = text(b.name, 'name', 128, true)!;
    const parentId = await checkParent(api.deps, undefined, b.parentCode);
    const kind = pointKind(b.kind) ?? 'point';
    await createPoint(api.deps, await hospitalId(), { code, name, parentId, kind });
    return { code, name, kind, parentCode: b.parentCode || null, active: true };
  }));

  router.put('/api/stock/points/:code', ...may('point:edit'), handle(async (ctx) => {
    const point = await pointByCode(ctx.params.code, 'code');
    const b = await body(ctx);
    const change: PointChange = {};
    if (b.name !== undefined) change.name = text(b.name, 'name', 128, true);
    if (b.parentCode !== undefined) change.parentId = await checkParent(api.deps, point.id, b.parentCode);
    if (b.kind !== undefined) change.kind = pointKind(b.kind);
    if (b.active !== undefined) {
      if (typeof b.active !== 'boolean') throw fieldError('active', '须为 true 或 false');
      change.active = b.active;
    }
    if (!Object.keys(change).length) throw fieldError('name', '没有要修改的内容');
    await editPoint(api.deps, point, change);
    return { ok: true };
  }));

  /** Only a point that never held stock nor issued a bill can be deleted; any other is deactivated. */
  router.delete('/api/stock/points/:code', ...may('point:edit'), handle(async (ctx) => {
    const point = await pointByCode(ctx.params.code, 'code');
    await deletePoint(api.deps, point);
    return { ok: true };
  }));

  router.put('/api/stock/thresholds', ...may('stock:act'), handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    const kind = await kindByCode(api.deps.orm.em, typeof b.billKindCode === 'string' ? b.billKindCode : '');
    const v = typeof b.minRemaining === 'string' && /^\d+$/.test(b.minRemaining) ? Number(b.minRemaining) : b.minRemaining;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1_000_000_000) throw fieldError('minRemaining', '预警阈值须为 0–1000000000 的整数');
    await setThreshold(api.deps, point, kind, v, actor(ctx));
    return { placeCode: point.code, billKindCode: kind.code, minRemaining: v };
  }));

  // ---- stock alarms (库存预警) ----
  router.get('/api/stock/alarms/count', ...may('menu:stock'), handle(async () => {
    return { open: await openAlarmCount(em()) };
  }));

  router.get('/api/stock/alarms', ...may('menu:stock'), handle(async (ctx) => {
    const state = String(ctx.query.state ?? 'open');
    if (!['open', 'all'].includes(state)) throw fieldError('state', '须为 open 或 all');
    const rows = await latestAlarms(em(), state === 'open');
    return {
      items: rows.map((a) => ({
        id: num(a.id), state: a.state, placeCode: a.place_code, placeName: a.place_name, billKindCode: a.code, billKindName: a.name,
        remaining: num(a.remaining), threshold: num(a.threshold), openedAt: dbIso(a.opened_at), checkedAt: dbIso(a.checked_at), closedAt: dbIso(a.closed_at), closedReason: a.closed_reason,
        message: `开票点 ${a.place_code}（${a.place_name}）${a.name}剩余 ${num(a.remaining)} 张，低于预警阈值 ${num(a.threshold)} 张`,
      })),
    };
  }));

  /** 立即检查: runs the `stock-alarm` schedule now. */
  router.post('/api/stock/alarms/check', ...may('stock:act'), handle(async () => {
    await triggerSchedule(api.client, STOCK_ALARM_SCHEDULE.id);
    return { ok: true };
  }));

  // ---- number-continuity audit ----
  router.get('/api/stock/audit', ...may('menu:stock'), handle(async (ctx) => {
    const code = typeof ctx.query.billBatchCode === 'string' && ctx.query.billBatchCode ? ctx.query.billBatchCode : undefined;
    if (code && !/^\d{8}$/.test(code)) throw fieldError('billBatchCode', '票据代码须为 8 位数字');
    return auditNumbers(conn(), await hospitalId(), { billBatchCode: code });
  }));
}
