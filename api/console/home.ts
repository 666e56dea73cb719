/**
 * Console: 首页 (issue 15 point 7), today's figures for the person's billing points (their data
 * scope): bills issued and reversed with the amounts, the amounts by pay channel, open to-dos and
 * bills the fiscal platform refused. The page adds the refunds waiting for the person and the stock
 * alarms from their own routes, each shown only with the permission that opens it.
 */
import type Router from '@koa/router';
import { chinaDayStart } from '../../common/china-time';
import { chinaToday } from '../../domain/time';
import { formatYuan } from '../../common/money';
import { dayByChannel, dayTotals, pendingCounts } from '../../orm/repositories/home';
import { placesFilter } from '../../services/access';
import { PAY_CHANNELS } from '../../services/delivery';
import { noStoreRoute } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

export function mountHomeRoutes(router: Router, api: ApiContext): void {
  router.get('/api/home/today', requireUser(api), requirePermission('menu:bills'), noStoreRoute(async (ctx) => {
    const u = ctx.state.user as SessionUser;
    const places = placesFilter(u);
    const day = chinaToday();
    const from = chinaDayStart(day);
    const to = new Date(from.getTime() + 86_400_000);
    const db = api.deps.orm.em;
    const [t, channels, pending] = await Promise.all([dayTotals(db, from, to, places), dayByChannel(db, from, to, places), pendingCounts(db, places)]);
    return {
      day,
      scope: places ? places.filter((x) => x !== '-') : null,
      bills: t.bills,
      amount: formatYuan(t.amount),
      red: t.red,
      redAmount: formatYuan(t.redAmount),
      byChannel: channels.map((c) => ({ code: c.code, name: PAY_CHANNELS[c.code] ?? c.code, amount: formatYuan(c.amount) })),
      todos: u.permissions.includes('menu:todos') ? pending.todos : null,
      uploadRejected: u.permissions.includes('menu:upload') ? pending.uploadRejected : null,
    };
  }));
}
