/**
 * The operation log's record of every business change made in the console (issue 14 point 4):
 * each POST / PUT / PATCH / DELETE on a console route by a signed-in user leaves one entry: who,
 * when, from where, the route (what was acted on: the object is the route's path), whether it was
 * done (2xx) or refused (4xx), and the object before and after:
 * - a bill, refund, stock requisition or to-do named by the route (`/api/bills/:id/...`,
 *   `/api/refunds/:id/...`, `/api/stock/requisitions/:id/...`, `/api/todos/:id/...`) is read before
 *   the handler runs and again after it (services/business-snapshot.ts: states, stages, numbers and
 *   amounts, no personal data); a refund or requisition created by the call is read after it, from
 *   the answer's id;
 * - configuration (code mapping, business categories, item groups, billing points, stock
 *   thresholds, refund chains: the system administrator's work) and the stock and upload
 *   operations (distribution, return, void, blank paper void, requeue) keep the answer, the object
 *   as saved, as `after` (secrets redacted): it holds no patient data.
 * System management, sign-in and the audit routes log themselves in more detail and are left out.
 */
import type { Context, Next } from 'koa';
import { redactSecrets } from '../../common/redact';
import { businessSnapshot, type SnapshotType } from '../../services/business-snapshot';
import { logOperation } from '../../services/operation-log';
import type { ApiContext } from '../context';
import type { SessionUser } from './auth';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that log their own entries (with before and after), or are not a person in the console. */
const SELF_LOGGED = /^\/api\/(auth|system|audit|archive|his|pay|h5)(\/|$)/;
/** Configuration routes: their answer (the object after the change) is kept; it holds no patient data. */
const KEEP_ANSWER = /^\/api\/(code-mappings|business-categories|item-groups|stock\/points|stock\/thresholds|refund-chains|seals|stock\/(distributions|returns|voids)|paper\/blank-void|upload\/requeue)(\/|$)/;
/** Routes acting on one business object by its id, and routes creating one (its id in the answer). */
const OBJECT_ROUTES: Array<{ re: RegExp; type: SnapshotType }> = [
  { re: /^\/api\/bills\/(\d{1,12})(\/|$)/, type: 'bill' },
  { re: /^\/api\/refunds\/(\d{1,12})(\/|$)/, type: 'refund' },
  { re: /^\/api\/stock\/requisitions\/(\d{1,12})(\/|$)/, type: 'requisition' },
  { re: /^\/api\/todos\/(\d{1,12})(\/|$)/, type: 'todo' },
];
const CREATE_ROUTES: Array<{ re: RegExp; type: SnapshotType }> = [
  { re: /^\/api\/refunds\/?$/, type: 'refund' },
  { re: /^\/api\/stock\/requisitions\/?$/, type: 'requisition' },
  { re: /^\/api\/online-issue\/?$/, type: 'bill' },
];
const MAX_AFTER = 16_384;

function answerOf(ctx: Context): unknown {
  if (!KEEP_ANSWER.test(ctx.path) || ctx.status >= 400 || !ctx.body || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return undefined;
  const v = redactSecrets(ctx.body);
  return JSON.stringify(v).length <= MAX_AFTER ? v : { truncated: true };
}

export function consoleChangeLog(api: ApiContext) {
  const db = api.deps.orm.em;
  /** A snapshot read never turns into the answer: a failure is reported and the entry goes without it. */
  const snap = async (ctx: Context, type: SnapshotType, id: number) => {
    try {
      return await businessSnapshot(db, type, id);
    } catch (e) {
      ctx.app.emit('error', e, ctx);
      return undefined;
    }
  };
  return async (ctx: Context, next: Next) => {
    const logged = WRITES.has(ctx.method) && ctx.path.startsWith('/api/') && !SELF_LOGGED.test(ctx.path);
    const target = logged ? OBJECT_ROUTES.map((r) => ({ type: r.type, m: r.re.exec(ctx.path) })).find((r) => r.m) : undefined;
    const before = target ? await snap(ctx, target.type, Number(target.m![1])) : undefined;
    await next();
    if (!logged) return;
    const user = ctx.state.user as SessionUser | undefined;
    if (!user || ctx.status >= 500) return;
    let after: unknown;
    if (ctx.status < 400) {
      if (target) after = await snap(ctx, target.type, Number(target.m![1]));
      else {
        const created = CREATE_ROUTES.find((r) => r.re.test(ctx.path));
        const id = created && ctx.body && typeof ctx.body === 'object' ? Number((ctx.body as { id?: unknown }).id) : NaN;
        after = created && Number.isSafeInteger(id) ? await snap(ctx, created.type, id) : answerOf(ctx);
      }
    }
    const parts = ctx.path.slice('/api/'.length).split('/').filter(Boolean);
    try {
      await logOperation(api.deps, {
        username: user.username,
        displayName: user.displayName,
        address: ctx.ip,
        action: 'business-change',
        objectType: (parts[0] ?? '').slice(0, 32),
        objectId: parts.slice(1).join('/').slice(0, 128) || null,
        result: ctx.status < 400 ? 'ok' : 'refused',
        detail: `${ctx.method} ${ctx.path.slice(0, 200)}（${ctx.status < 400 ? '完成' : `拒绝，HTTP ${ctx.status}`}）`,
        before: ctx.status < 400 ? before : undefined,
        after,
      });
    } catch (e) {
      // The change is done: a log failure is reported, never turned into the answer.
      ctx.app.emit('error', e, ctx);
    }
  };
}
