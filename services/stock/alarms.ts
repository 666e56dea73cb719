/**
 * Stock alarms (库存预警): a billing point running low on numbers of a bill kind. The `stock-alarm`
 * schedule compares every active point's unused numbers with its threshold (the point's own, or
 * MEDBILL_STOCK_DEFAULT_THRESHOLD when it holds stock of the kind but has none set); an alarm opens
 * once per point and kind (`open_key` is unique while open) and closes when the stock is back at or
 * above the threshold. Distribution and returns re-check their point at once, so the console's badge
 * follows a distribution without waiting for the schedule.
 */
import type { Deps } from '../deps';
import { remainingAt, retryTransaction, type Sql } from '../../orm/repositories/stock-ranges';
import { closeAlarm, openAlarm, openAlarmId, pointEverHeld, pointStatus, refreshAlarm, thresholdSet, watchedAlarmPairs } from '../../orm/repositories/stock';

export interface AlarmCheck {
  placeId: number;
  placeCode: string;
  billKindId: number;
  billKindCode: string;
  remaining: number;
  threshold: number;
}

const openKey = (placeId: number, kindId: number) => `${placeId}-${kindId}`;

/** Opens, refreshes or closes the alarm of one point and kind; returns 'opened' when it opened now. */
export async function evaluateAlarm(sql: Sql, hospitalId: number, c: Omit<AlarmCheck, 'remaining'> & { remaining?: number; active?: boolean }): Promise<'opened' | 'open' | 'closed' | 'ok'> {
  const remaining = c.remaining ?? (await remainingAt(sql, c.placeId, c.billKindId));
  const key = openKey(c.placeId, c.billKindId);
  const low = c.active !== false && remaining < c.threshold;
  const open = await openAlarmId(sql, key);
  if (low) {
    if (open !== undefined) {
      await refreshAlarm(sql, open, remaining, c.threshold);
      return 'open';
    }
    await openAlarm(sql, { hospitalId, placeId: c.placeId, billKindId: c.billKindId, openKey: key, remaining, threshold: c.threshold });
    return 'opened';
  }
  if (open !== undefined) {
    const reason = c.active === false ? '开票点已停用' : `库存回升至 ${remaining} 张（阈值 ${c.threshold}）`;
    await closeAlarm(sql, open, remaining, reason);
    return 'closed';
  }
  return 'ok';
}

/** The threshold of a point and kind, or undefined when the pair is not watched (no threshold, never any stock). */
export async function thresholdOf(sql: Pick<Sql, 'execute'>, placeId: number, kindId: number, dflt: number): Promise<number | undefined> {
  const t = await thresholdSet(sql, placeId, kindId);
  if (t !== undefined) return t;
  return (await pointEverHeld(sql, placeId, kindId)) ? dflt : undefined;
}

/** Re-checks one point and kind inside the caller's transaction (after a distribution or return). */
export async function recheckAlarm(sql: Sql, hospitalId: number, placeId: number, kindId: number, dflt: number): Promise<void> {
  const threshold = await thresholdOf(sql, placeId, kindId, dflt);
  if (threshold === undefined) return;
  const p = await pointStatus(sql, placeId);
  await evaluateAlarm(sql, hospitalId, { placeId, placeCode: p?.code ?? '', billKindId: kindId, billKindCode: '', threshold, active: p?.active ?? true });
}

/**
 * One run of the `stock-alarm` schedule: every watched point and kind, each in its own short
 * transaction. `opened` lists the alarms this run opened (the activity logs them for monitoring).
 */
export async function checkStockAlarms(deps: Deps): Promise<{ checked: number; open: number; opened: AlarmCheck[] }> {
  const em = deps.orm.em.fork();
  const pairs = await watchedAlarmPairs(em);
  const opened: AlarmCheck[] = [];
  let open = 0;
  for (const r of pairs) {
    const check = {
      placeId: Number(r.place_id),
      placeCode: r.code,
      billKindId: Number(r.kind_id),
      billKindCode: r.kind_code,
      threshold: r.min_remaining === null ? deps.cfg.stock.defaultThreshold : Number(r.min_remaining),
      active: Boolean(Number(r.active)),
    };
    const result = await retryTransaction(() =>
      em.fork().transactional(async (sql) => {
        const remaining = await remainingAt(sql, check.placeId, check.billKindId);
        return { remaining, state: await evaluateAlarm(sql, Number(r.hospital_id), { ...check, remaining }) };
      }),
    );
    if (result.state === 'opened' || result.state === 'open') open++;
    if (result.state === 'opened') opened.push({ ...check, remaining: result.remaining });
  }
  return { checked: pairs.length, open, opened: opened.map(({ placeId, placeCode, billKindId, billKindCode, remaining, threshold }) => ({ placeId, placeCode, billKindId, billKindCode, remaining, threshold })) };
}
