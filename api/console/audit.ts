/**
 * 审计 routes (issue 14 points 4 to 6): the operation log's search and its chain verification, the
 * exchange log's search (clear fields), the decryption of one exchange (logged) and its chain
 * verification, for the audit administrator (permissions `menu:audit-operations`,
 * `menu:audit-exchanges`, `exchange:decrypt` and `log:verify`; every other role gets 403). The
 * rules are services/operation-log.ts and services/exchange-log.ts. Query parameters are typed and bounded: a bad one
 * answers 400 naming it, never a 5xx.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { fieldError } from '../../common/errors';
import { chinaDayStart } from '../../common/china-time';
import { OPERATION_ACTIONS, OPERATION_RESULTS } from '../../domain/operation-log';
import { MAX_PAGE, MAX_PAGE_SIZE, openChainBreakTodo, searchOperations, useOperationLog, verifyAndRecord } from '../../services/operation-log';
import {
  decryptExchange, MAX_EXCHANGE_PAGE, MAX_EXCHANGE_PAGE_SIZE, openExchangeChainTodo, searchExchanges, useExchangeLog, verifyExchangesAndRecord,
} from '../../services/exchange-log';
import { EXCHANGE_DIRECTIONS, EXCHANGE_SYSTEMS, isExchangeSystem } from '../../domain/exchange-log';
import { noStoreRoute } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ACTION = /^[a-z][a-z0-9-]{0,47}$/;
const PARAMS = new Set(['dateFrom', 'dateTo', 'username', 'action', 'objectType', 'objectId', 'page', 'pageSize']);
const EXCHANGE_PARAMS = new Set(['dateFrom', 'dateTo', 'system', 'method', 'direction', 'busNo', 'billNo', 'refundNo', 'orderNo', 'resultCode', 'page', 'pageSize']);
const KEY = /^[\x21-\x7e]+$/;

export function mountAuditRoutes(router: Router, api: ApiContext): void {
  useOperationLog(api.deps);
  useExchangeLog(api.deps);
  const auth = requireUser(api);
  const handle = noStoreRoute;
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

  const range = (ctx: Context): { from?: Date; to?: Date } => {
    const from = day(ctx, 'dateFrom', '开始日期');
    const dayTo = day(ctx, 'dateTo', '结束日期');
    if (from && dayTo && from.getTime() > dayTo.getTime()) throw fieldError('dateTo', '结束日期不能早于开始日期');
    return { from, to: dayTo && new Date(dayTo.getTime() + 86_400_000) };
  };
  /** A searchable key (busNo, billNo...): printable ASCII without spaces, at most `max`. */
  const key = (ctx: Context, k: string, label: string, max: number): string | undefined => {
    const v = text(ctx, k, label, max);
    if (v !== undefined && !KEY.test(v)) throw fieldError(k, `${label}只能含字母、数字与符号（不含空格）`);
    return v;
  };

  router.get('/api/audit/operations', auth, requirePermission('menu:audit-operations'), handle(async (ctx) => {
    for (const k of Object.keys(ctx.query)) if (!PARAMS.has(k)) throw fieldError(k, '不支持的查询参数');
    const { from, to } = range(ctx);
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

  router.get('/api/audit/exchanges', auth, requirePermission('menu:audit-exchanges'), handle(async (ctx) => {
    for (const k of Object.keys(ctx.query)) if (!EXCHANGE_PARAMS.has(k)) throw fieldError(k, '不支持的查询参数');
    const { from, to } = range(ctx);
    const system = text(ctx, 'system', '外部系统', 16);
    if (system !== undefined && !isExchangeSystem(system)) throw fieldError('system', `外部系统应为 ${Object.keys(EXCHANGE_SYSTEMS).join('、')} 之一`);
    const direction = text(ctx, 'direction', '方向', 3);
    if (direction !== undefined && direction !== 'in' && direction !== 'out') throw fieldError('direction', '方向应为 in（外部调用本系统）或 out（本系统调用外部）');
    const r = await searchExchanges(api.deps.orm.em.fork(), {
      from,
      to,
      system,
      method: text(ctx, 'method', '接口方法', 128),
      direction,
      busNo: key(ctx, 'busNo', '业务流水号', 64),
      billNo: key(ctx, 'billNo', '票据号码', 64),
      refundNo: key(ctx, 'refundNo', '退费单号', 64),
      orderNo: key(ctx, 'orderNo', '订单号', 64),
      resultCode: key(ctx, 'resultCode', '结果代码', 32),
      page: int(ctx, 'page', '页码', 1, MAX_EXCHANGE_PAGE),
      pageSize: int(ctx, 'pageSize', '每页条数', 20, MAX_EXCHANGE_PAGE_SIZE),
    });
    return { ...r, systems: EXCHANGE_SYSTEMS, directions: EXCHANGE_DIRECTIONS, chainAlarm: (await openExchangeChainTodo(api.deps.orm.em.fork())) ?? null };
  }));

  router.post('/api/audit/exchanges/:id/decrypt', auth, requirePermission('exchange:decrypt'), handle(async (ctx) => {
    const raw = String(ctx.params.id ?? '');
    const id = Number(raw);
    if (!/^\d{1,10}$/.test(raw) || !Number.isSafeInteger(id) || id < 1) throw fieldError('id', '交互日志记录编号应为正整数');
    const u = ctx.state.user as SessionUser;
    return decryptExchange(api.deps.orm.em.fork(), { username: u.username, displayName: u.displayName, address: ctx.ip }, id);
  }));

  router.post('/api/audit/exchanges/verify', auth, requirePermission('log:verify'), handle(async (ctx) => {
    const u = ctx.state.user as SessionUser;
    return verifyExchangesAndRecord(api.deps.orm.em.fork(), { username: u.username, displayName: u.displayName, address: ctx.ip });
  }));
}
