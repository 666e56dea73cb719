/**
 * Billing points (开票点) as finance maintains them in the stock console: lookup by code, nesting
 * (no cycles), create, edit (a deactivated point's alarms close, a reactivated one is watched
 * again), delete (only a point that never held stock nor issued a bill), thresholds. Each change
 * is one transaction (or one statement) and the master-data cache is cleared after it.
 */
import { fieldError } from '../../common/errors';
import { isUniqueViolation } from '../../orm/errors';
import {
  deletePoint as deletePointRows, hasChildPoint, insertPoint, kindsWatchedAt, parentOf, pointOfCode, pointUsedIn, setThreshold as setThresholdRow, updatePoint,
  type PointChange, type PointUse,
} from '../../orm/repositories/billing-points';
import type { Deps } from '../deps';
import { recheckAlarm } from './alarms';
import type { KindRef, PointRef } from './stock';

export async function pointByCode(deps: Deps, code: unknown, field = 'placeCode'): Promise<PointRef> {
  if (typeof code !== 'string' || !code.trim()) throw fieldError(field, '请选择开票点');
  const p = await pointOfCode(deps.orm.em, code.trim());
  if (!p) throw fieldError(field, `未知的开票点 ${code}`, 'E0020');
  return p;
}

/** The id of the new parent (null for none); refuses a parent that is the point itself or below it. */
export async function checkParent(deps: Deps, selfId: number | undefined, parentCode: unknown): Promise<number | null> {
  if (parentCode === undefined || parentCode === null || parentCode === '') return null;
  const parent = await pointByCode(deps, parentCode, 'parentCode');
  // Walk up from the new parent: meeting the point itself would make a cycle.
  let cur: number | null = parent.id;
  for (let depth = 0; cur !== null && depth < 50; depth++) {
    if (cur === selfId) throw fieldError('parentCode', '上级开票点不能是它自己或它的下级', 'E0067');
    cur = await parentOf(deps.orm.em, cur);
  }
  return parent.id;
}

export async function createPoint(deps: Deps, hospitalId: number, p: { code: string; name: string; parentId: number | null; kind?: 'campus' | 'point' }): Promise<void> {
  try {
    await insertPoint(deps.orm.em, { hospitalId, ...p });
  } catch (e) {
    if (isUniqueViolation(e)) throw fieldError('code', `开票点编码 ${p.code} 已存在`, 'E0067');
    throw e;
  }
  deps.master.invalidate();
}

/** Edits a point (one transaction); a change of `active` re-checks its alarms. */
export async function editPoint(deps: Deps, point: PointRef, change: PointChange): Promise<void> {
  await deps.orm.em.fork().transactional(async (sql) => {
    await updatePoint(sql, point.id, change);
    if (change.active !== undefined) {
      // A deactivated point's alarms close; a reactivated one is watched again.
      for (const kindId of await kindsWatchedAt(sql, point.id)) await recheckAlarm(sql, point.hospitalId, point.id, kindId, deps.cfg.stock.defaultThreshold);
    }
  });
  deps.master.invalidate();
}

const USES: Array<[PointUse, string]> = [
  ['bill', '已开具票据'], ['stock_segment', '持有或曾持有电子票据号码'], ['paper_segment', '持有纸质票据'], ['stock_movement', '有库存流水'], ['stock_void', '有作废记录'],
];

/** Only a point that never held stock nor issued a bill can be deleted; any other is deactivated. */
export async function deletePoint(deps: Deps, point: PointRef): Promise<void> {
  const conn = deps.orm.em.fork();
  for (const [table, why] of USES) {
    if (await pointUsedIn(conn, table, point.id)) throw fieldError('code', `开票点 ${point.code} ${why}，不能删除，只能停用`, 'E0067');
  }
  if (await hasChildPoint(conn, point.id)) throw fieldError('code', `开票点 ${point.code} 有下级开票点，不能删除`, 'E0067');
  await deps.orm.em.fork().transactional(async (tx) => deletePointRows(tx, point.id));
  deps.master.invalidate();
}

/** Sets a point's threshold for a kind and re-checks its alarm (one transaction). */
export async function setThreshold(deps: Deps, point: PointRef, kind: KindRef, minRemaining: number, actor: string): Promise<void> {
  await deps.orm.em.fork().transactional(async (sql) => {
    await setThresholdRow(sql, point.id, kind.id, minRemaining, actor);
    await recheckAlarm(sql, point.hospitalId, point.id, kind.id, deps.cfg.stock.defaultThreshold);
  });
}
