/**
 * Stock alarms (库存预警): a billing point running low on numbers of a bill kind. The `stock-alarm`
 * schedule compares every active point's unused numbers with its threshold (the point's own, or
 * MEDBILL_STOCK_DEFAULT_THRESHOLD when it holds stock of the kind but has none set); an alarm opens
 * once per point and kind (`open_key` is unique while open) and closes when the stock is back at or
 * above the threshold. Distribution and returns re-check their point at once, so the console's badge
 * follows a distribution without waiting for the schedule.
 */
import { log } from '@temporalio/activity';
import type { Deps } from '../deps';
import { dbNow, forUpdate, insertRow, remainingAt, retryTransaction, type Sql } from '../../orm/repositories/stock-ranges';

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
  const now = dbNow(sql);
  const low = c.active !== false && remaining < c.threshold;
  const [open] = await sql.execute<Array<{ id: number }>>(`select id from stock_alarm where open_key = ?${forUpdate(sql)}`, [key]);
  if (low) {
    if (open) {
      await sql.execute('update stock_alarm set remaining = ?, threshold = ?, checked_at = ? where id = ?', [remaining, c.threshold, now, open.id], 'run');
      return 'open';
    }
    await insertRow(sql, 'stock_alarm', {
      hospital_id: hospitalId, place_id: c.placeId, bill_kind_id: c.billKindId, state: 'open', open_key: key,
      remaining, threshold: c.threshold, opened_at: now, checked_at: now,
    });
    return 'opened';
  }
  if (open) {
    const reason = c.active === false ? '开票点已停用' : `库存回升至 ${remaining} 张（阈值 ${c.threshold}）`;
    await sql.execute(`update stock_alarm set state = 'closed', open_key = null, remaining = ?, checked_at = ?, closed_at = ?, closed_reason = ? where id = ?`, [remaining, now, now, reason, open.id], 'run');
    return 'closed';
  }
  return 'ok';
}

/** The threshold of a point and kind, or undefined when the pair is not watched (no threshold, never any stock). */
export async function thresholdOf(sql: Pick<Sql, 'execute'>, placeId: number, kindId: number, dflt: number): Promise<number | undefined> {
  const [t] = await sql.execute<Array<{ min_remaining: number | string }>>('select min_remaining from stock_threshold where place_id = ? and bill_kind_id = ?', [placeId, kindId]);
  if (t) return Number(t.min_remaining);
  const [s] = await sql.execute<Array<{ id: number }>>('select id from stock_segment where place_id = ? and bill_kind_id = ? limit 1', [placeId, kindId]);
  return s ? dflt : undefined;
}

/** Re-checks one point and kind inside the caller's transaction (after a distribution or return). */
export async function recheckAlarm(sql: Sql, hospitalId: number, placeId: number, kindId: number, dflt: number): Promise<void> {
  const threshold = await thresholdOf(sql, placeId, kindId, dflt);
  if (threshold === undefined) return;
  const [p] = await sql.execute<Array<{ code: string; active: number | boolean }>>('select code, active from billing_point where id = ?', [placeId]);
  await evaluateAlarm(sql, hospitalId, { placeId, placeCode: p?.code ?? '', billKindId: kindId, billKindCode: '', threshold, active: Boolean(Number(p?.active ?? 1)) });
}

export function stockAlarmActivities(deps: Deps) {
  return {
    /** One run of the `stock-alarm` schedule: every watched point and kind, each in its own short transaction. */
    async checkStockAlarms(): Promise<{ checked: number; open: number; opened: AlarmCheck[] }> {
      const em = deps.orm.em.fork();
      const conn = em.getConnection();
      const pairs = await conn.execute<Array<{ hospital_id: number; place_id: number; code: string; active: number | boolean; kind_id: number; kind_code: string; min_remaining: number | string | null }>>(
        `select p.hospital_id, p.id as place_id, p.code, p.active, k.id as kind_id, k.code as kind_code, t.min_remaining
           from billing_point p cross join bill_kind k
           left join stock_threshold t on t.place_id = p.id and t.bill_kind_id = k.id
          where t.id is not null
             or exists (select 1 from stock_segment s where s.place_id = p.id and s.bill_kind_id = k.id)
             or exists (select 1 from stock_alarm a where a.place_id = p.id and a.bill_kind_id = k.id and a.state = 'open')`,
      );
      const opened: AlarmCheck[] = [];
      let open = 0;
      for (const r of pairs) {
        const check = {
          placeId: Number(r.place_id),
          placeCode: r.code,
          billKindId: Number(r.kind_id),
          billKindCode: r.kind_code,
          threshold: r.min_remaining === null ? deps.cfg.stockDefaultThreshold : Number(r.min_remaining),
          active: Boolean(Number(r.active)),
        };
        const result = await retryTransaction(() =>
          em.fork().transactional(async (tx) => {
            const sql = tx as unknown as Sql;
            const remaining = await remainingAt(sql, check.placeId, check.billKindId);
            return { remaining, state: await evaluateAlarm(sql, Number(r.hospital_id), { ...check, remaining }) };
          }),
        );
        if (result.state === 'opened' || result.state === 'open') open++;
        if (result.state === 'opened') {
          const a = { ...check, remaining: result.remaining };
          opened.push(a);
          // The log line finance's monitoring picks up; the console shows the alarm and its badge.
          log.warn(`stock alarm: billing point ${a.placeCode} has ${a.remaining} numbers of bill kind ${a.billKindCode} left (threshold ${a.threshold})`);
        }
      }
      return { checked: pairs.length, open, opened: opened.map(({ placeId, placeCode, billKindId, billKindCode, remaining, threshold }) => ({ placeId, placeCode, billKindId, billKindCode, remaining, threshold })) };
    },
  };
}
