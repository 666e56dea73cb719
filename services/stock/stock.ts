/**
 * The stock operations finance performs in the console: distribution (分发) from the hospital pool to
 * a billing point, return (退回) of a point's unused numbers to the pool, void (作废) of unused
 * numbers with a reason. Each is ONE transaction that moves the numbers, logs the movement and
 * re-checks the point's stock alarm.
 */
import type { EntityManager } from '@mikro-orm/core';
import { fieldError } from '../../common/errors';
import type { Deps } from '../deps';
import { recheckAlarm } from './alarms';
import {
  addSegment, addToPool, logMovement, retryTransaction, rangeText, takeCountFromPool, takeRangeFromPoint, takeRangeFromPool, takeUnusedFromPoint,
  type Range, type Sql,
} from '../../orm/repositories/stock-ranges';
import { findKind, kindIdOfCode, pointCodeOf, poolHolds, recordVoid } from '../../orm/repositories/stock';

export interface PointRef {
  id: number;
  hospitalId: number;
  code: string;
  active: boolean;
}
export interface KindRef {
  id: number;
  code: string;
}

/** Either a quantity of a kind, or an exact range of a code. */
export type RangeSpec = { billKindCode: string; quantity?: number } | { billBatchCode: string; startNo: number; endNo: number };

export interface StockOpResult {
  ranges: Array<{ billBatchCode: string; startNo: number; endNo: number; quantity: number }>;
  quantity: number;
  text: string;
}

const summary = (ranges: Range[]): StockOpResult => ({
  ranges: ranges.map((r) => ({ billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo, quantity: r.endNo - r.startNo + 1 })),
  quantity: ranges.reduce((a, r) => a + r.endNo - r.startNo + 1, 0),
  text: ranges.map(rangeText).join('；'),
});

const NUMBER_MAX = 9_999_999_999;

/** Validates the numeric part of a range request, naming the field at fault. */
export function parseRangeSpec(body: Record<string, unknown>, allowAll: boolean): RangeSpec {
  const int = (f: string, min: number, max: number) => {
    const v = body[f];
    const x = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) throw fieldError(f, `须为 ${min}–${max} 的整数`);
    return x;
  };
  if (body.billBatchCode !== undefined && body.billBatchCode !== null && body.billBatchCode !== '') {
    if (typeof body.billBatchCode !== 'string' || !/^\d{8}$/.test(body.billBatchCode)) throw fieldError('billBatchCode', '票据代码须为 8 位数字');
    const startNo = int('startNo', 1, NUMBER_MAX);
    const endNo = int('endNo', 1, NUMBER_MAX);
    if (endNo < startNo) throw fieldError('endNo', '终止号码不能小于起始号码');
    return { billBatchCode: body.billBatchCode, startNo, endNo };
  }
  if (typeof body.billKindCode !== 'string' || !/^\d{4}$/.test(body.billKindCode)) throw fieldError('billKindCode', '请选择票据种类（4 位代码），或给出票据代码与号码段');
  if (allowAll && (body.quantity === undefined || body.quantity === null || body.quantity === '')) return { billKindCode: body.billKindCode };
  return { billKindCode: body.billKindCode, quantity: int('quantity', 1, 10_000_000) };
}

export async function kindByCode(em: EntityManager, code: string, field = 'billKindCode'): Promise<KindRef> {
  const k = await findKind(em, code);
  if (!k) throw fieldError(field, `未知的票据种类 ${code}`);
  return k;
}

const kindOfCode = async (sql: Sql, code: string) => {
  const k = await kindIdOfCode(sql, code.slice(2, 6));
  if (k === undefined) throw fieldError('billBatchCode', `票据代码 ${code} 的票种 ${code.slice(2, 6)} 未知`);
  return k;
};

export async function distribute(deps: Deps, point: PointRef, spec: RangeSpec, actor: string, reason?: string): Promise<StockOpResult> {
  if (!point.active) throw fieldError('placeCode', `开票点 ${point.code} 已停用，不能分发`, 'E0020');
  return retryTransaction(() => deps.orm.em.fork().transactional(async (sql) => {
    let ranges: Range[];
    if ('billBatchCode' in spec) {
      ranges = [await takeRangeFromPool(sql, point.hospitalId, spec.billBatchCode, spec.startNo, spec.endNo)];
    } else {
      const kindId = (await kindIdOfCode(sql, spec.billKindCode)) ?? 0;
      if (!kindId) throw fieldError('billKindCode', `未知的票据种类 ${spec.billKindCode}`);
      ranges = await takeCountFromPool(sql, point.hospitalId, kindId, spec.quantity ?? 0);
    }
    for (const r of ranges) {
      await addSegment(sql, point.hospitalId, point.id, r);
      await logMovement(sql, { ...r, hospitalId: point.hospitalId, type: 'distribute', placeId: point.id, actor, reason });
    }
    for (const kindId of new Set(ranges.map((r) => r.billKindId))) await recheckAlarm(sql, point.hospitalId, point.id, kindId, deps.cfg.stock.defaultThreshold);
    return summary(ranges);
  }));
}

/** Returns a point's unused numbers to the pool: a range, a quantity from the end, or all of a kind. */
export async function returnToPool(deps: Deps, point: PointRef, spec: RangeSpec, actor: string, reason?: string): Promise<StockOpResult> {
  return retryTransaction(() => deps.orm.em.fork().transactional(async (sql) => {
    let ranges: Range[];
    if ('billBatchCode' in spec) {
      ranges = [await takeRangeFromPoint(sql, point.hospitalId, point.id, spec.billBatchCode, spec.startNo, spec.endNo)];
    } else {
      const kindId = (await kindIdOfCode(sql, spec.billKindCode)) ?? 0;
      if (!kindId) throw fieldError('billKindCode', `未知的票据种类 ${spec.billKindCode}`);
      ranges = await takeUnusedFromPoint(sql, point.id, kindId, spec.quantity);
      if (ranges.length === 0) throw fieldError('billKindCode', `开票点 ${point.code} 没有该票种的未用号码`, 'E0066');
    }
    for (const r of ranges) {
      await addToPool(sql, point.hospitalId, r);
      await logMovement(sql, { ...r, hospitalId: point.hospitalId, type: 'return', placeId: point.id, actor, reason });
    }
    for (const kindId of new Set(ranges.map((r) => r.billKindId))) await recheckAlarm(sql, point.hospitalId, point.id, kindId, deps.cfg.stock.defaultThreshold);
    return summary(ranges);
  }));
}

/**
 * Voids unused e-bill numbers (finance, with a reason): the range must lie in the pool, or in the
 * unused numbers of one point segment. Recorded in stock_void, so the gap is explained.
 */
export async function voidRange(deps: Deps, hospitalId: number, spec: { billBatchCode: string; startNo: number; endNo: number }, point: PointRef | undefined, actor: string, reason: string): Promise<StockOpResult & { placeCode?: string }> {
  if (!reason.trim()) throw fieldError('reason', '请填写作废原因');
  return retryTransaction(() => deps.orm.em.fork().transactional(async (sql) => {
    await kindOfCode(sql, spec.billBatchCode);
    const inPool = await poolHolds(sql, hospitalId, spec.billBatchCode, spec.startNo, spec.endNo);
    let r: Range & { placeId?: number };
    if (inPool && !point) r = await takeRangeFromPool(sql, hospitalId, spec.billBatchCode, spec.startNo, spec.endNo);
    else r = await takeRangeFromPoint(sql, hospitalId, point?.id ?? null, spec.billBatchCode, spec.startNo, spec.endNo);
    const placeCode = r.placeId ? await pointCodeOf(sql, r.placeId) : undefined;
    await recordVoid(sql, { hospitalId, billKindId: r.billKindId, billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo, placeId: r.placeId ?? null, reason, actor });
    await logMovement(sql, { ...r, hospitalId, type: 'void', placeId: r.placeId ?? null, actor, reason });
    if (r.placeId) await recheckAlarm(sql, hospitalId, r.placeId, r.billKindId, deps.cfg.stock.defaultThreshold);
    return { ...summary([r]), placeCode };
  }));
}
