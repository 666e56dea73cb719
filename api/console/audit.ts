/**
 * 审计 routes (issue 14 point 4): the operation log's search and its chain verification, for the
 * audit administrator (permissions `menu:audit-operations` and `log:verify`; every other role gets
 * 403). The rules are services/operation-log.ts. Query parameters are typed and bounded: a bad one
 * answers 400 naming it, never a 5xx.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { fieldError } from '../../common/errors';
import { chinaDayStart } from '../../common/china-time';
import { OPERATION_ACTIONS, OPERATION_RESULTS } from '../../domain/operation-log';
import { MAX_PAGE, MAX_PAGE_SIZE, openChainBreakTodo, searchOperations, useOperationLog, verifyAndRecord } from '../../services/operation-log';
import { sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ACTION = /^[a-z][a-z0-9-]{0,47}$/;
const PARAMS = new Set(['dateFrom', 'dateTo', 'username', 'action', 'objectType', 'objectId', 'page', 'pageSize']);

export function mountAuditRoutes(router: Router, api: ApiContext): void {
  useOperationLog(api.deps);
  const auth = requireUser(api);
  const handle = (fn: (ctx: Context) => Promise<unknown>) => async (ctx: Context, _next: Next) => {
    try {
      const body = await fn(ctx);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
    } catch (e) {
      sendError(ctx, e);
    }
  };
  const text = (ctx: Context, k: string, label: string, max: number): string | undefined => {
    const v = ctx.query[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw fieldError(k, `${label}只能给一个`);
    const t = v.trim();
    if (t.length > max) throw fieldError(k, `${label}最多 ${max} 个字符`);
    return t || undefined;
  };
  const int = (ctx: Context, k: string, label: string, dflt: number, max: number): number => {
    const v = text(ctx, k, label, 10);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 1 || n > max) throw fieldError(k, `${label}应为 1 至 ${max} 的整数`);
    return n;
  };
  const day = (ctx: Context, k: string, label: string): Date | undefined => {
    const v = text(ctx, k, label, 10);
    if (v === undefined) return undefined;
    if (!DATE.test(v)) throw fieldError(k, `${label}应为 YYYY-MM-DD`);
    return chinaDayStart(v);
  };

  router.get('/api/audit/operations', auth, requirePermission('menu:audit-operations'), handle(async (ctx) => {
    for (const k of Object.keys(ctx.query)) if (!PARAMS.has(k)) throw fieldError(k, '不支持的查询参数');
    const from = day(ctx, 'dateFrom', '开始日期');
    const dayTo = day(ctx, 'dateTo', '结束日期');
    const to = dayTo && new Date(dayTo.getTime() + 86_400_000);
    if (from && dayTo && from.getTime() > dayTo.getTime()) throw fieldError('dateTo', '结束日期不能早于开始日期');
    const action = text(ctx, 'action', '操作类型', 48);
    if (action !== undefined && !ACTION.test(action)) throw fieldError('action', '操作类型应为小写字母、数字与连字符（如 login、user-create）');
    const r = await searchOperations(api.deps.orm.em.fork(), {
      from,
      to,
      username: text(ctx, 'username', '用户名', 64),
      action,
      objectType: text(ctx, 'objectType', '对象类型', 32),
      objectId: text(ctx, 'objectId', '对象编号', 128),
      page: int(ctx, 'page', '页码', 1, MAX_PAGE),
      pageSize: int(ctx, 'pageSize', '每页条数', 20, MAX_PAGE_SIZE),
    });
    // The daily check's to-do of a broken chain is shown here too: the audit administrator's data
    // scope does not reach the issuance to-do list (finance sees it there).
    return { ...r, actions: OPERATION_ACTIONS, results: OPERATION_RESULTS, chainAlarm: (await openChainBreakTodo(api.deps.orm.em.fork())) ?? null };
  }));

  router.post('/api/audit/operations/verify', auth, requirePermission('log:verify'), handle(async (ctx) => {
    const u = ctx.state.user as SessionUser;
    return verifyAndRecord(api.deps.orm.em.fork(), { username: u.username, displayName: u.displayName, address: ctx.ip });
  }));
}
