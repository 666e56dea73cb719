/**
 * The operation log's record of every business change made in the console (issue 14 point 4):
 * each POST / PUT / PATCH / DELETE on a console route by a signed-in user leaves one entry: who,
 * when, from where, the route (what was acted on: the object is the route's path), and whether it
 * was done (2xx) or refused (4xx). For configuration (code mapping, business categories, item
 * groups, billing points, stock thresholds, refund chains: the system administrator's work) the
 * object as the answer states it after the change is kept as `after` (secrets redacted). Business
 * answers are not copied (they may hold patient data); the objects' own timelines keep the
 * business detail (a bill's events, a refund's timeline, a requisition's history). System management, sign-in and the audit routes log themselves in more detail and are
 * left out here.
 */
import type { Context, Next } from 'koa';
import { redactSecrets } from '../../common/redact';
import { logOperation } from '../../services/operation-log';
import type { ApiContext } from '../context';
import type { SessionUser } from './auth';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that log their own entries (with before and after), or are not a person in the console. */
const SELF_LOGGED = /^\/api\/(auth|system|audit|his|pay|h5)(\/|$)/;
/** Configuration routes: their answer (the object after the change) is kept; it holds no patient data. */
const CONFIG = /^\/api\/(code-mappings|business-categories|item-groups|stock\/points|stock\/thresholds|refund-chains)(\/|$)/;
const MAX_AFTER = 16_384;

function afterOf(ctx: Context): unknown {
  if (!CONFIG.test(ctx.path) || ctx.status >= 400 || !ctx.body || typeof ctx.body !== 'object' || Buffer.isBuffer(ctx.body)) return undefined;
  const v = redactSecrets(ctx.body);
  return JSON.stringify(v).length <= MAX_AFTER ? v : { truncated: true };
}

export function consoleChangeLog(api: ApiContext) {
  return async (ctx: Context, next: Next) => {
    await next();
    if (!WRITES.has(ctx.method) || !ctx.path.startsWith('/api/') || SELF_LOGGED.test(ctx.path)) return;
    const user = ctx.state.user as SessionUser | undefined;
    if (!user || ctx.status >= 500) return;
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
        after: afterOf(ctx),
      });
    } catch (e) {
      // The change is done: a log failure is reported, never turned into the answer.
      ctx.app.emit('error', e, ctx);
    }
  };
}
