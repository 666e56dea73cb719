/**
 * 票据档案 routes (issue 15 point 3): the archive's packages (filters: year, bill kind, billing point,
 * state, last check), statistics by class, a package's check report and parts (each access logged),
 * the 四性 check runs and "run now" (the `archive-check` schedule), and the destruction register
 * (propose, approve: two different people, both with `archive:destroy`; refused before the
 * retention ends, HTTP 409). The rules are services/archive/archive.ts. Query parameters are typed
 * and bounded: a bad one answers 400 naming it.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError, fieldError } from '../../common/errors';
import { ARCHIVE_CHECK_SCHEDULE, triggerSchedule } from '../../temporal/schedules';
import { CHECK_NAMES, PART_NAMES } from '../../services/archive/four-checks';
import {
  approveDestruction, archiveStatistics, checkRunReport, destructionRegister, openArchiveTodo, PACKAGE_STATES, proposeDestruction, readPackage, readPackagePart,
  recentRuns, rejectDestruction, searchArchive, type Actor,
} from '../../services/archive/archive';
import { logOperation } from '../../services/operation-log';
import { HttpError, noStoreRoute, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

const PARAMS = new Set(['year', 'kindCode', 'placeCode', 'state', 'check', 'billNo', 'page', 'pageSize']);
const CODE = /^[A-Za-z0-9_-]{1,32}$/;

export function mountArchiveRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const handle = noStoreRoute;
  const actor = (ctx: Context): Actor => {
    const u = ctx.state.user as SessionUser;
    return { username: u.username, displayName: u.displayName, address: ctx.ip };
  };
  const text = (ctx: Context, k: string, label: string, max: number): string | undefined => {
    const v = ctx.query[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw fieldError(k, `${label}只能给一个`);
    const t = v.trim();
    if (t.length > max) throw fieldError(k, `${label}最多 ${max} 个字符`);
    return t || undefined;
  };
  const int = (ctx: Context, k: string, label: string, dflt: number, min: number, max: number): number => {
    const v = text(ctx, k, label, 10);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw fieldError(k, `${label}应为 ${min} 至 ${max} 的整数`);
    return n;
  };
  const code = (ctx: Context, k: string, label: string) => {
    const v = text(ctx, k, label, 32);
    if (v !== undefined && !CODE.test(v)) throw fieldError(k, `${label}只能含字母、数字、下划线与连字符`);
    return v;
  };
  const idParam = (ctx: Context, k = 'id', label = '编号'): number => {
    const raw = String(ctx.params[k] ?? '');
    const n = Number(raw);
    if (!/^\d{1,10}$/.test(raw) || n < 1) throw fieldError(k, `${label}应为正整数`);
    return n;
  };

  router.get('/api/archive/packages', auth, requirePermission('menu:archive'), handle(async (ctx) => {
    for (const k of Object.keys(ctx.query)) if (!PARAMS.has(k)) throw fieldError(k, '不支持的查询参数');
    const state = text(ctx, 'state', '状态', 16);
    if (state !== undefined && !(state in PACKAGE_STATES)) throw fieldError('state', `状态应为 ${Object.keys(PACKAGE_STATES).join('、')} 之一`);
    const check = text(ctx, 'check', '检测结果', 16);
    if (check !== undefined && !['ok', 'failed', 'unchecked'].includes(check)) throw fieldError('check', '检测结果应为 ok、failed、unchecked 之一');
    const yearText = text(ctx, 'year', '年度', 4);
    return searchArchive(
      api.deps,
      {
        year: yearText === undefined ? undefined : int(ctx, 'year', '年度', 0, 2000, 2999),
        kindCode: code(ctx, 'kindCode', '票据种类'),
        placeCode: code(ctx, 'placeCode', '开票点'),
        state,
        check,
        billNo: code(ctx, 'billNo', '票据号码'),
      },
      { page: int(ctx, 'page', '页码', 1, 1, 10_000), pageSize: int(ctx, 'pageSize', '每页条数', 20, 1, 100) },
    );
  }));

  router.get('/api/archive/statistics', auth, requirePermission('menu:archive'), handle(async () => ({
    ...(await archiveStatistics(api.deps)),
    runs: await recentRuns(api.deps, 10),
    alarm: (await openArchiveTodo(api.deps)) ?? null,
    checkNames: CHECK_NAMES,
    states: PACKAGE_STATES,
  })));

  router.get('/api/archive/packages/:id', auth, requirePermission('menu:archive'), handle(async (ctx) => readPackage(api.deps, actor(ctx), idParam(ctx, 'id', '档案包编号'))));

  router.get('/api/archive/packages/:id/parts/:name', auth, requirePermission('menu:archive'), async (ctx) => {
    try {
      const name = String(ctx.params.name ?? '');
      if (!(name in PART_NAMES)) throw fieldError('name', `档案包没有组成部分「${name}」`);
      const part = await readPackagePart(api.deps, actor(ctx), idParam(ctx, 'id', '档案包编号'), name);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="${part.fileName}"`);
      ctx.body = part.data;
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/archive/runs', auth, requirePermission('menu:archive'), handle(async () => ({ runs: await recentRuns(api.deps, 50) })));

  router.get('/api/archive/runs/:id', auth, requirePermission('menu:archive'), handle(async (ctx) => {
    const r = await checkRunReport(api.deps, idParam(ctx, 'id', '检测编号'));
    if (!r) throw new DomainError('E0030', '检测记录不存在');
    return r;
  }));

  /** 立即四性检测: runs the archive-check schedule now (archives due bills, then checks every package). */
  router.post('/api/archive/check', auth, requirePermission('archive:check'), handle(async (ctx) => {
    const a = actor(ctx);
    try {
      await triggerSchedule(api.client, ARCHIVE_CHECK_SCHEDULE.id);
    } catch (e) {
      await logOperation(api.deps, { ...a, action: 'archive-check', objectType: 'archive-run', result: 'failed', detail: `手动触发票据档案四性检测失败：${(e as Error).message}` });
      throw new HttpError(503, 'E0073', '四性检测暂时无法启动（Temporal 不可用或计划任务缺失），请稍后重试');
    }
    await logOperation(api.deps, { ...a, action: 'archive-check', objectType: 'archive-run', detail: '手动触发票据档案归档与四性检测' });
    return { started: true, scheduleId: ARCHIVE_CHECK_SCHEDULE.id };
  }, 202));

  router.get('/api/archive/destructions', auth, requirePermission('menu:archive'), handle(async (ctx) => {
    const state = text(ctx, 'state', '状态', 16);
    if (state !== undefined && !['proposed', 'approved', 'rejected'].includes(state)) throw fieldError('state', '状态应为 proposed（待审批）、approved（已销毁）或 rejected（已驳回）');
    return { rows: await destructionRegister(api.deps, { state }) };
  }));

  router.post('/api/archive/destructions', auth, requirePermission('archive:destroy'), handle(async (ctx) => {
    const raw = await readJson(ctx);
    const body = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const packageId = Number(body.packageId);
    if (!Number.isSafeInteger(packageId) || packageId < 1) throw fieldError('packageId', '档案包编号应为正整数');
    if (typeof body.reason !== 'string') throw fieldError('reason', '请填写销毁理由');
    return proposeDestruction(api.deps, actor(ctx), { packageId, reason: body.reason });
  }, 201));

  router.post('/api/archive/destructions/:id/approve', auth, requirePermission('archive:destroy'), handle(async (ctx) => approveDestruction(api.deps, actor(ctx), idParam(ctx, 'id', '销毁申请编号'))));

  router.post('/api/archive/destructions/:id/reject', auth, requirePermission('archive:destroy'), handle(async (ctx) => rejectDestruction(api.deps, actor(ctx), idParam(ctx, 'id', '销毁申请编号'))));
}
