/**
 * The console's bill stock (票据库存): requisitions (申领), the hospital pool, distribution (分发),
 * returns (退回), voids (作废), billing points (开票点) with nesting and thresholds, stock alarms
 * (库存预警) and the number-continuity audit. Finance and admins only; everyone else gets 403.
 * Handlers stay thin: the stock moves are in services/stock/, the requisition's steps in its workflow.
 */
import type Router from '@koa/router';
import { dbIso } from '../../orm/sql-values';
import type { Context, Next } from 'koa';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { DomainError, fieldError } from '../../common/errors';
import { isUniqueViolation } from '../../orm/errors';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requireRole, requireUser, type SessionUser } from './auth';
import { domainErrorOf } from '../../temporal/domain-errors';
import { auditNumbers } from '../../services/stock/audit';
import { distribute, kindByCode, parseRangeSpec, returnToPool, voidRange, type PointRef } from '../../services/stock/stock';
import { recheckAlarm } from '../../services/stock/alarms';
import { REQUISITION_EVENTS, REQUISITION_STATES, createRequisition, editRequisition, parseLines } from '../../services/stock/requisition';
import { requisitionWorkflow, stockInUpdate, submitRequisitionUpdate, type RequisitionPhase } from '../../workflows/requisition';
import { triggerSchedule } from '../../temporal/schedules';
import { STOCK_ALARM_SCHEDULE } from '../../temporal/schedules';
import type { Sql } from '../../orm/repositories/stock-ranges';
import { requisitionWorkflowId, workflowUrl } from '../../temporal/ids';

export const STOCK_ROLES = ['finance', 'admin'];

const no10 = (v: number | string) => String(v).padStart(10, '0');
const num = (v: unknown) => Number(v ?? 0);

export function mountStockRoutes(router: Router, api: ApiContext): void {
  const guard = [requireUser(api), requireRole(...STOCK_ROLES)] as const;
  const conn = () => api.deps.orm.em.fork() as unknown as Sql;
  const actor = (ctx: Context) => (ctx.state.user as SessionUser).displayName;
  const handle = (fn: (ctx: Context) => Promise<unknown>) => async (ctx: Context, _next: Next) => {
    try {
      ctx.body = await fn(ctx);
    } catch (e) {
      sendError(ctx, domainErrorOf(e));
    }
  };
  const body = async (ctx: Context) => (await readJson(ctx)) as Record<string, unknown>;
  const hospitalId = async () => {
    const [h] = await conn().execute<Array<{ id: number }>>('select id from hospital order by id limit 1');
    if (!h) throw new HttpError(404, 'E0030', '尚未配置医院');
    return Number(h.id);
  };
  const pointByCode = async (code: unknown, field = 'placeCode'): Promise<PointRef> => {
    if (typeof code !== 'string' || !code.trim()) throw fieldError(field, '请选择开票点');
    const [p] = await conn().execute<Array<{ id: number; hospital_id: number; code: string; active: number | boolean }>>('select id, hospital_id, code, active from billing_point where code = ?', [code.trim()]);
    if (!p) throw fieldError(field, `未知的开票点 ${code}`, 'E0020');
    return { id: Number(p.id), hospitalId: Number(p.hospital_id), code: p.code, active: Boolean(Number(p.active)) };
  };
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

  router.get('/api/stock/kinds', ...guard, handle(async () => {
    const rows = await conn().execute<Array<{ code: string; name: string; category: string }>>('select code, name, category from bill_kind order by code');
    return { items: rows };
  }));

  // ---- requisitions (申领) ----
  const reqId = (ctx: Context) => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    return id;
  };
  const loadReq = async (id: number) => {
    const [r] = await conn().execute<Array<Record<string, unknown>>>('select * from requisition where id = ?', [id]);
    if (!r) throw new HttpError(404, 'E0030', `申领单 ${id} 不存在`);
    const lines = await conn().execute<Array<{ code: string; name: string; quantity: number }>>(
      'select k.code, k.name, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id',
      [id],
    );
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

  router.get('/api/stock/requisitions', ...guard, handle(async (ctx) => {
    const state = typeof ctx.query.state === 'string' && ctx.query.state ? ctx.query.state : undefined;
    if (state && !(state in REQUISITION_STATES)) throw fieldError('state', `须为 ${Object.keys(REQUISITION_STATES).join('、')}`);
    const rows = await conn().execute<Array<{ id: number }>>(`select id from requisition ${state ? 'where state = ?' : ''} order by id desc limit 200`, state ? [state] : []);
    return { items: await Promise.all(rows.map((r) => loadReq(num(r.id)))) };
  }));

  router.get('/api/stock/requisitions/:id', ...guard, handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    const events = await conn().execute<Array<{ type: string; actor: string; revision: number; detail: string | null; created_at: string }>>(
      'select type, actor, revision, detail, created_at from requisition_event where requisition_id = ? order by id',
      [r.id],
    );
    const receipts = await conn().execute<Array<{ code: string; bill_batch_code: string; start_no: number; end_no: number; state: string; received_at: string; stocked_by: string | null; stocked_at: string | null }>>(
      'select k.code, s.bill_batch_code, s.start_no, s.end_no, s.state, s.received_at, s.stocked_by, s.stocked_at from stock_receipt s join bill_kind k on k.id = s.bill_kind_id where s.requisition_id = ? order by s.id',
      [r.id],
    );
    return {
      ...r,
      events: events.map((e) => ({ type: e.type, typeName: REQUISITION_EVENTS[e.type] ?? e.type, actor: e.actor, revision: num(e.revision), detail: e.detail, at: dbIso(e.created_at) })),
      segments: receipts.map((s) => ({
        billKindCode: s.code, billBatchCode: s.bill_batch_code, startNo: no10(s.start_no), endNo: no10(s.end_no), quantity: num(s.end_no) - num(s.start_no) + 1,
        state: s.state, receivedAt: dbIso(s.received_at), stockedBy: s.stocked_by, stockedAt: dbIso(s.stocked_at),
      })),
    };
  }));

  router.post('/api/stock/requisitions', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const lines = parseLines(b.lines);
    const id = await createRequisition(api.deps.orm.em, await hospitalId(), lines, text(b.remark, 'remark', 200), actor(ctx));
    return loadReq(id);
  }));

  router.put('/api/stock/requisitions/:id', ...guard, handle(async (ctx) => {
    const id = reqId(ctx);
    const b = await body(ctx);
    await editRequisition(api.deps.orm.em, id, parseLines(b.lines), text(b.remark, 'remark', 200), actor(ctx));
    return loadReq(id);
  }));

  /** 提交 / 重新提交: the `submit` update of the requisition's workflow (started by this call if needed). */
  router.post('/api/stock/requisitions/:id/submit', ...guard, handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    const start = new WithStartWorkflowOperation(requisitionWorkflow, {
      workflowId: requisitionWorkflowId(r.id),
      taskQueue: api.taskQueue,
      args: [{ requisitionId: r.id, pollMaxMs: api.deps.cfg.requisitionPollMaxMs, phase: r.state as RequisitionPhase, revision: r.revision }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    await api.client.workflow.executeUpdateWithStart(submitRequisitionUpdate, { args: [{ actor: actor(ctx) }], startWorkflowOperation: start });
    return loadReq(r.id);
  }));

  /** 确认入库: the `stockIn` update; the received segments enter the hospital pool. */
  router.post('/api/stock/requisitions/:id/stock-in', ...guard, handle(async (ctx) => {
    const r = await loadReq(reqId(ctx));
    if (r.state !== 'received') throw new DomainError('E0065', `state: 申领单${r.stateName}，财政下发号段后才能确认入库`, 'state');
    const result = await api.client.workflow.getHandle(requisitionWorkflowId(r.id)).executeUpdate(stockInUpdate, { args: [{ actor: actor(ctx) }] });
    return { ...(await loadReq(r.id)), stockedQuantity: result.quantity };
  }));

  // ---- hospital pool, point stock, distribution, return, void ----
  router.get('/api/stock/pool', ...guard, handle(async () => {
    const rows = await conn().execute<Array<{ code: string; name: string; bill_batch_code: string; start_no: number; end_no: number }>>(
      'select k.code, k.name, p.bill_batch_code, p.start_no, p.end_no from stock_pool p join bill_kind k on k.id = p.bill_kind_id order by k.code, p.bill_batch_code, p.start_no',
    );
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

  router.get('/api/stock/segments', ...guard, handle(async (ctx) => {
    const placeCode = typeof ctx.query.placeCode === 'string' && ctx.query.placeCode ? ctx.query.placeCode : undefined;
    const rows = await conn().execute<Array<{ place_code: string; place_name: string; code: string; name: string; bill_batch_code: string; start_no: number; end_no: number; next_no: number }>>(
      `select p.code as place_code, p.name as place_name, k.code, k.name, s.bill_batch_code, s.start_no, s.end_no, s.next_no
         from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
        ${placeCode ? 'where p.code = ?' : ''} order by p.code, k.code, s.bill_batch_code, s.start_no`,
      placeCode ? [placeCode] : [],
    );
    return {
      items: rows.map((s) => ({
        placeCode: s.place_code, placeName: s.place_name, billKindCode: s.code, billKindName: s.name, billBatchCode: s.bill_batch_code,
        startNo: no10(s.start_no), endNo: no10(s.end_no), nextNo: num(s.next_no) <= num(s.end_no) ? no10(s.next_no) : null,
        used: num(s.next_no) - num(s.start_no), remaining: Math.max(0, num(s.end_no) - num(s.next_no) + 1),
      })),
    };
  }));

  router.post('/api/stock/distributions', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    return distribute(api.deps, point, parseRangeSpec(b, false), actor(ctx), text(b.reason, 'reason', 200));
  }));

  router.post('/api/stock/returns', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    return returnToPool(api.deps, point, parseRangeSpec(b, true), actor(ctx), text(b.reason, 'reason', 200));
  }));

  router.post('/api/stock/voids', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const reason = text(b.reason, 'reason', 200, true)!;
    const spec = parseRangeSpec(b, false);
    if (!('billBatchCode' in spec)) throw fieldError('billBatchCode', '作废须给出票据代码与起止号码');
    const point = b.placeCode ? await pointByCode(b.placeCode) : undefined;
    return voidRange(api.deps, await hospitalId(), spec, point, actor(ctx), reason);
  }));

  router.get('/api/stock/voids', ...guard, handle(async () => {
    const rows = await conn().execute<Array<{ code: string; bill_batch_code: string; start_no: number; end_no: number; place_code: string | null; reason: string; voided_by: string; voided_at: string }>>(
      'select k.code, v.bill_batch_code, v.start_no, v.end_no, p.code as place_code, v.reason, v.voided_by, v.voided_at from stock_void v join bill_kind k on k.id = v.bill_kind_id left join billing_point p on p.id = v.place_id order by v.id desc limit 500',
    );
    return { items: rows.map((v) => ({ billKindCode: v.code, billBatchCode: v.bill_batch_code, startNo: no10(v.start_no), endNo: no10(v.end_no), quantity: num(v.end_no) - num(v.start_no) + 1, placeCode: v.place_code, reason: v.reason, voidedBy: v.voided_by, voidedAt: dbIso(v.voided_at) })) };
  }));

  router.get('/api/stock/movements', ...guard, handle(async (ctx) => {
    const type = typeof ctx.query.type === 'string' && ctx.query.type ? ctx.query.type : undefined;
    if (type && !['stock_in', 'distribute', 'return', 'void'].includes(type)) throw fieldError('type', '须为 stock_in、distribute、return 或 void');
    const rows = await conn().execute<Array<{ id: number; type: string; code: string; bill_batch_code: string; start_no: number; end_no: number; quantity: number; place_code: string | null; requisition_id: number | null; actor: string; reason: string | null; created_at: string }>>(
      `select m.id, m.type, k.code, m.bill_batch_code, m.start_no, m.end_no, m.quantity, p.code as place_code, m.requisition_id, m.actor, m.reason, m.created_at
         from stock_movement m join bill_kind k on k.id = m.bill_kind_id left join billing_point p on p.id = m.place_id
        ${type ? 'where m.type = ?' : ''} order by m.id desc limit 500`,
      type ? [type] : [],
    );
    return { items: rows.map((m) => ({ id: num(m.id), type: m.type, billKindCode: m.code, billBatchCode: m.bill_batch_code, startNo: no10(m.start_no), endNo: no10(m.end_no), quantity: num(m.quantity), placeCode: m.place_code, requisitionId: m.requisition_id, actor: m.actor, reason: m.reason, at: dbIso(m.created_at) })) };
  }));

  // ---- billing points (开票点): tree, create, edit, deactivate, thresholds ----
  router.get('/api/stock/points', ...guard, handle(async () => {
    const points = await conn().execute<Array<{ id: number; code: string; name: string; parent_code: string | null; active: number | boolean; created_at: string }>>(
      'select p.id, p.code, p.name, q.code as parent_code, p.active, p.created_at from billing_point p left join billing_point q on q.id = p.parent_id order by p.code',
    );
    const kinds = await conn().execute<Array<{ id: number; code: string; name: string }>>('select id, code, name from bill_kind order by code');
    const remaining = await conn().execute<Array<{ place_id: number; bill_kind_id: number; remaining: number | string; segments: number }>>(
      `select place_id, bill_kind_id, sum(case when next_no <= end_no then end_no - next_no + 1 else 0 end) as remaining, count(*) as segments from stock_segment where status = 'active' group by place_id, bill_kind_id`,
    );
    const thresholds = await conn().execute<Array<{ place_id: number; bill_kind_id: number; min_remaining: number | string }>>('select place_id, bill_kind_id, min_remaining from stock_threshold');
    const alarms = await conn().execute<Array<{ place_id: number; bill_kind_id: number }>>(`select place_id, bill_kind_id from stock_alarm where state = 'open'`);
    const bills = await conn().execute<Array<{ place_id: number }>>('select distinct place_id from bill');
    const key = (p: unknown, k: unknown) => `${num(p)}-${num(k)}`;
    const rem = new Map(remaining.map((r) => [key(r.place_id, r.bill_kind_id), num(r.remaining)]));
    const thr = new Map(thresholds.map((t) => [key(t.place_id, t.bill_kind_id), num(t.min_remaining)]));
    const alarmed = new Set(alarms.map((a) => key(a.place_id, a.bill_kind_id)));
    const used = new Set(bills.map((b) => num(b.place_id)));
    return {
      defaultThreshold: api.deps.cfg.stockDefaultThreshold,
      items: points.map((p) => ({
        code: p.code,
        name: p.name,
        parentCode: p.parent_code,
        active: Boolean(Number(p.active)),
        createdAt: dbIso(p.created_at),
        hasBills: used.has(num(p.id)),
        balances: kinds
          .filter((k) => rem.has(key(p.id, k.id)) || thr.has(key(p.id, k.id)))
          .map((k) => ({
            billKindCode: k.code,
            billKindName: k.name,
            remaining: rem.get(key(p.id, k.id)) ?? 0,
            threshold: thr.get(key(p.id, k.id)) ?? api.deps.cfg.stockDefaultThreshold,
            thresholdSet: thr.has(key(p.id, k.id)),
            alarm: alarmed.has(key(p.id, k.id)),
          })),
      })),
    };
  }));

  const checkParent = async (selfId: number | undefined, parentCode: unknown): Promise<number | null> => {
    if (parentCode === undefined || parentCode === null || parentCode === '') return null;
    const parent = await pointByCode(parentCode, 'parentCode');
    // Walk up from the new parent: meeting the point itself would make a cycle.
    let cur: number | null = parent.id;
    for (let depth = 0; cur !== null && depth < 50; depth++) {
      if (cur === selfId) throw fieldError('parentCode', '上级开票点不能是它自己或它的下级', 'E0067');
      const [row]: Array<{ parent_id: number | null }> = await conn().execute<Array<{ parent_id: number | null }>>('select parent_id from billing_point where id = ?', [cur]);
      cur = row?.parent_id ? num(row.parent_id) : null;
    }
    return parent.id;
  };

  router.post('/api/stock/points', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const code = text(b.code, 'code', 32, true)!;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(code)) throw fieldError('code', '开票点编码只能含字母、数字、- 和 _');
    const name = text(b.name, 'name', 128, true)!;
    const parentId = await checkParent(undefined, b.parentCode);
    try {
      await conn().execute('insert into billing_point (hospital_id, code, name, parent_id, active, created_at) values (?, ?, ?, ?, ?, ?)', [await hospitalId(), code, name, parentId, 1, api.deps.orm.em.getPlatform().processDateProperty(new Date())], 'run');
    } catch (e) {
      if (isUniqueViolation(e)) throw fieldError('code', `开票点编码 ${code} 已存在`, 'E0067');
      throw e;
    }
    api.deps.master.invalidate();
    return { code, name, parentCode: b.parentCode || null, active: true };
  }));

  router.put('/api/stock/points/:code', ...guard, handle(async (ctx) => {
    const point = await pointByCode(ctx.params.code, 'code');
    const b = await body(ctx);
    const sets: string[] = [];
    const params: unknown[] = [];
    if (b.name !== undefined) {
      sets.push('name = ?');
      params.push(text(b.name, 'name', 128, true));
    }
    if (b.parentCode !== undefined) {
      sets.push('parent_id = ?');
      params.push(await checkParent(point.id, b.parentCode));
    }
    if (b.active !== undefined) {
      if (typeof b.active !== 'boolean') throw fieldError('active', '须为 true 或 false');
      sets.push('active = ?');
      params.push(b.active ? 1 : 0);
    }
    if (!sets.length) throw fieldError('name', '没有要修改的内容');
    await api.deps.orm.em.fork().transactional(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql.execute(`update billing_point set ${sets.join(', ')} where id = ?`, [...params, point.id], 'run');
      if (b.active !== undefined) {
        // A deactivated point's alarms close; a reactivated one is watched again.
        const kinds = await sql.execute<Array<{ bill_kind_id: number }>>('select distinct bill_kind_id from stock_segment where place_id = ? union select bill_kind_id from stock_threshold where place_id = ?', [point.id, point.id]);
        for (const k of kinds) await recheckAlarm(sql, point.hospitalId, point.id, num(k.bill_kind_id), api.deps.cfg.stockDefaultThreshold);
      }
    });
    api.deps.master.invalidate();
    return { ok: true };
  }));

  /** Only a point that never held stock nor issued a bill can be deleted; any other is deactivated. */
  router.delete('/api/stock/points/:code', ...guard, handle(async (ctx) => {
    const point = await pointByCode(ctx.params.code, 'code');
    const uses: Array<[string, string]> = [
      ['bill', '已开具票据'], ['stock_segment', '持有或曾持有电子票据号码'], ['paper_segment', '持有纸质票据'], ['stock_movement', '有库存流水'], ['stock_void', '有作废记录'],
    ];
    for (const [table, why] of uses) {
      const [row] = await conn().execute<Array<{ id: number }>>(`select id from ${table} where place_id = ? limit 1`, [point.id]);
      if (row) throw fieldError('code', `开票点 ${point.code} ${why}，不能删除，只能停用`, 'E0067');
    }
    const [child] = await conn().execute<Array<{ id: number }>>('select id from billing_point where parent_id = ? limit 1', [point.id]);
    if (child) throw fieldError('code', `开票点 ${point.code} 有下级开票点，不能删除`, 'E0067');
    await api.deps.orm.em.fork().transactional(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql.execute('delete from stock_threshold where place_id = ?', [point.id], 'run');
      await sql.execute('delete from stock_alarm where place_id = ?', [point.id], 'run');
      await sql.execute('delete from billing_point where id = ?', [point.id], 'run');
    });
    api.deps.master.invalidate();
    return { ok: true };
  }));

  router.put('/api/stock/thresholds', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const point = await pointByCode(b.placeCode);
    const kind = await kindByCode(api.deps.orm.em, typeof b.billKindCode === 'string' ? b.billKindCode : '');
    const v = typeof b.minRemaining === 'string' && /^\d+$/.test(b.minRemaining) ? Number(b.minRemaining) : b.minRemaining;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1_000_000_000) throw fieldError('minRemaining', '预警阈值须为 0–1000000000 的整数');
    await api.deps.orm.em.fork().transactional(async (tx) => {
      const sql = tx as unknown as Sql;
      const now = sql.getPlatform().processDateProperty(new Date());
      const changed = await sql.execute<{ affectedRows: number }>('update stock_threshold set min_remaining = ?, updated_by = ?, updated_at = ? where place_id = ? and bill_kind_id = ?', [v, actor(ctx), now, point.id, kind.id], 'run');
      if (Number(changed.affectedRows) === 0) {
        await sql.execute('insert into stock_threshold (place_id, bill_kind_id, min_remaining, updated_by, updated_at) values (?, ?, ?, ?, ?)', [point.id, kind.id, v, actor(ctx), now], 'run');
      }
      await recheckAlarm(sql, point.hospitalId, point.id, kind.id, api.deps.cfg.stockDefaultThreshold);
    });
    return { placeCode: point.code, billKindCode: kind.code, minRemaining: v };
  }));

  // ---- stock alarms (库存预警) ----
  router.get('/api/stock/alarms/count', ...guard, handle(async () => {
    const [r] = await conn().execute<Array<{ n: number | string }>>(`select count(*) as n from stock_alarm where state = 'open'`);
    return { open: num(r?.n) };
  }));

  router.get('/api/stock/alarms', ...guard, handle(async (ctx) => {
    const state = String(ctx.query.state ?? 'open');
    if (!['open', 'all'].includes(state)) throw fieldError('state', '须为 open 或 all');
    const rows = await conn().execute<Array<{ id: number; state: string; place_code: string; place_name: string; code: string; name: string; remaining: number; threshold: number; opened_at: string; checked_at: string; closed_at: string | null; closed_reason: string | null }>>(
      `select a.id, a.state, p.code as place_code, p.name as place_name, k.code, k.name, a.remaining, a.threshold, a.opened_at, a.checked_at, a.closed_at, a.closed_reason
         from stock_alarm a join billing_point p on p.id = a.place_id join bill_kind k on k.id = a.bill_kind_id
        ${state === 'open' ? `where a.state = 'open'` : ''} order by a.id desc limit 200`,
    );
    return {
      items: rows.map((a) => ({
        id: num(a.id), state: a.state, placeCode: a.place_code, placeName: a.place_name, billKindCode: a.code, billKindName: a.name,
        remaining: num(a.remaining), threshold: num(a.threshold), openedAt: dbIso(a.opened_at), checkedAt: dbIso(a.checked_at), closedAt: dbIso(a.closed_at), closedReason: a.closed_reason,
        message: `开票点 ${a.place_code}（${a.place_name}）${a.name}剩余 ${num(a.remaining)} 张，低于预警阈值 ${num(a.threshold)} 张`,
      })),
    };
  }));

  /** 立即检查: runs the `stock-alarm` schedule now. */
  router.post('/api/stock/alarms/check', ...guard, handle(async () => {
    await triggerSchedule(api.client, STOCK_ALARM_SCHEDULE.id);
    return { ok: true };
  }));

  // ---- number-continuity audit ----
  router.get('/api/stock/audit', ...guard, handle(async (ctx) => {
    const code = typeof ctx.query.billBatchCode === 'string' && ctx.query.billBatchCode ? ctx.query.billBatchCode : undefined;
    if (code && !/^\d{8}$/.test(code)) throw fieldError('billBatchCode', '票据代码须为 8 位数字');
    return auditNumbers(conn(), await hospitalId(), { billBatchCode: code });
  }));
}
