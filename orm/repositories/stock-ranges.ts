/**
 * The hospital's bill-number stock as ranges, and every move between its places, each inside the
 * caller's transaction:
 *
 *   fiscal platform --stock-in--> hospital pool (stock_pool) --distribute--> point (stock_segment)
 *                                         ^------------------return--------------'
 *   pool or a point's unused numbers --void--> stock_void (with reason)
 *
 * Every change is a compare-and-swap on the row it takes numbers from (a conditional UPDATE or
 * DELETE naming the values just read), so a concurrent transaction (an issuance taking the point's
 * next number, another distribution) makes it retry or refuse, never lose or double a number.
 * A point segment gives numbers away only from `next_no` on: issuance is capped by `end_no`, so
 * shrinking `end_no` while `next_no <= new end + 1` hands back numbers nobody can have taken.
 */
import type { SqlEntityManager } from '@mikro-orm/knex';
import { DomainError, fieldError } from '../../common/errors';
import { isUniqueViolation } from '../errors';

export { dbNow, forUpdate, insertRow, retryTransaction, type Sql } from '../sql';
import { dbNow, forUpdate, insertRow, retryTransaction, type Sql } from '../sql';

const n = (v: number | string | bigint) => Number(v);

export interface Range {
  billKindId: number;
  billBatchCode: string;
  startNo: number;
  endNo: number;
}

export const rangeText = (r: { billBatchCode: string; startNo: number; endNo: number }) =>
  `${r.billBatchCode} ${String(r.startNo).padStart(10, '0')}–${String(r.endNo).padStart(10, '0')}（${r.endNo - r.startNo + 1} 张）`;

async function run(sql: Sql, q: string, params: unknown[]): Promise<number> {
  const res = await sql.execute<{ affectedRows: number }>(q, params, 'run');
  return Number(res.affectedRows);
}

export interface MovementInput extends Range {
  hospitalId: number;
  type: 'stock_in' | 'distribute' | 'return' | 'void';
  placeId?: number | null;
  requisitionId?: number | null;
  actor: string;
  reason?: string | null;
}

export async function logMovement(sql: Sql, m: MovementInput): Promise<void> {
  await insertRow(sql, 'stock_movement', {
    hospital_id: m.hospitalId,
    type: m.type,
    bill_kind_id: m.billKindId,
    bill_batch_code: m.billBatchCode,
    start_no: m.startNo,
    end_no: m.endNo,
    quantity: m.endNo - m.startNo + 1,
    place_id: m.placeId ?? null,
    requisition_id: m.requisitionId ?? null,
    actor: m.actor.slice(0, 64),
    reason: m.reason ?? null,
    created_at: dbNow(sql),
  });
}

interface PoolRow {
  id: number;
  bill_kind_id: number;
  bill_batch_code: string;
  start_no: number | string;
  end_no: number | string;
}

/** Puts a range into the hospital pool, merged with the ranges right before and after it. */
export async function addToPool(sql: Sql, hospitalId: number, r: Range): Promise<void> {
  let { startNo, endNo } = r;
  const [before] = await sql.execute<PoolRow[]>(`select id, start_no, end_no from stock_pool where bill_batch_code = ? and end_no = ?${forUpdate(sql)}`, [r.billBatchCode, startNo - 1]);
  if (before && (await run(sql, 'delete from stock_pool where id = ? and end_no = ?', [before.id, startNo - 1])) === 1) startNo = n(before.start_no);
  const [after] = await sql.execute<PoolRow[]>(`select id, start_no, end_no from stock_pool where bill_batch_code = ? and start_no = ?${forUpdate(sql)}`, [r.billBatchCode, endNo + 1]);
  if (after && (await run(sql, 'delete from stock_pool where id = ? and start_no = ?', [after.id, endNo + 1])) === 1) endNo = n(after.end_no);
  await insertRow(sql, 'stock_pool', { hospital_id: hospitalId, bill_kind_id: r.billKindId, bill_batch_code: r.billBatchCode, start_no: startNo, end_no: endNo, created_at: dbNow(sql) });
}

/** Takes exactly [startNo, endNo] of a code out of the pool (it must lie inside one pool range). */
export async function takeRangeFromPool(sql: Sql, hospitalId: number, billBatchCode: string, startNo: number, endNo: number): Promise<Range> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const [row] = await sql.execute<PoolRow[]>(
      `select id, bill_kind_id, bill_batch_code, start_no, end_no from stock_pool where hospital_id = ? and bill_batch_code = ? and start_no <= ? and end_no >= ?${forUpdate(sql)}`,
      [hospitalId, billBatchCode, startNo, endNo],
    );
    if (!row) throw fieldError('startNo', `${billBatchCode} ${startNo}–${endNo} 不全在医院库存（未分发）中`, 'E0066');
    const s = n(row.start_no);
    const e = n(row.end_no);
    if ((await run(sql, 'delete from stock_pool where id = ? and start_no = ? and end_no = ?', [row.id, s, e])) !== 1) continue;
    const now = dbNow(sql);
    if (s < startNo) await insertRow(sql, 'stock_pool', { hospital_id: hospitalId, bill_kind_id: row.bill_kind_id, bill_batch_code: billBatchCode, start_no: s, end_no: startNo - 1, created_at: now });
    if (endNo < e) await insertRow(sql, 'stock_pool', { hospital_id: hospitalId, bill_kind_id: row.bill_kind_id, bill_batch_code: billBatchCode, start_no: endNo + 1, end_no: e, created_at: now });
    return { billKindId: Number(row.bill_kind_id), billBatchCode, startNo, endNo };
  }
  throw new DomainError('E0066', 'startNo: 医院库存正被同时修改，请重试', 'startNo');
}

/** Takes `quantity` numbers of a kind out of the pool, lowest code and number first (several ranges if needed). */
export async function takeCountFromPool(sql: Sql, hospitalId: number, billKindId: number, quantity: number): Promise<Range[]> {
  const rows = await sql.execute<PoolRow[]>(
    `select id, bill_kind_id, bill_batch_code, start_no, end_no from stock_pool where hospital_id = ? and bill_kind_id = ? order by bill_batch_code, start_no${forUpdate(sql)}`,
    [hospitalId, billKindId],
  );
  const available = rows.reduce((a, r) => a + n(r.end_no) - n(r.start_no) + 1, 0);
  if (available < quantity) throw fieldError('quantity', `医院库存该票种只剩 ${available} 张，不足 ${quantity} 张`, 'E0066');
  const taken: Range[] = [];
  let left = quantity;
  for (const r of rows) {
    if (left === 0) break;
    const s = n(r.start_no);
    const e = Math.min(n(r.end_no), s + left - 1);
    taken.push(await takeRangeFromPool(sql, hospitalId, r.bill_batch_code, s, e));
    left -= e - s + 1;
  }
  return taken;
}

interface SegmentRow {
  id: number;
  hospital_id: number;
  place_id: number;
  bill_kind_id: number;
  bill_batch_code: string;
  start_no: number | string;
  end_no: number | string;
  next_no: number | string;
}

/**
 * Takes [startNo, endNo] out of a point segment's unused numbers (next_no..end_no). The segment
 * keeps start..startNo-1; a part after endNo becomes a new segment at the same point. False when a
 * concurrent issuance took one of the numbers (or changed the segment) meanwhile: read again.
 */
async function carveFromSegment(sql: Sql, seg: SegmentRow, startNo: number, endNo: number): Promise<boolean> {
  const e = n(seg.end_no);
  const changed = await run(sql, 'update stock_segment set end_no = ? where id = ? and end_no = ? and next_no <= ?', [startNo - 1, seg.id, e, startNo]);
  if (changed !== 1) return false;
  // Nothing ever taken from it and nothing left: the row goes (its start number may start a segment again).
  await run(sql, 'delete from stock_segment where id = ? and next_no = start_no and end_no < start_no', [seg.id]);
  if (endNo < e) {
    await insertRow(sql, 'stock_segment', {
      hospital_id: seg.hospital_id,
      place_id: seg.place_id,
      bill_kind_id: seg.bill_kind_id,
      bill_batch_code: seg.bill_batch_code,
      start_no: endNo + 1,
      end_no: e,
      next_no: endNo + 1,
      status: 'active',
      created_at: dbNow(sql),
    });
  }
  return true;
}

const SEGMENT_COLS = 'id, hospital_id, place_id, bill_kind_id, bill_batch_code, start_no, end_no, next_no';

/** Takes [startNo, endNo] of a code out of the unused numbers at a point (or any point when placeId is null). */
export async function takeRangeFromPoint(sql: Sql, hospitalId: number, placeId: number | null, billBatchCode: string, startNo: number, endNo: number): Promise<Range & { placeId: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const [seg] = await sql.execute<SegmentRow[]>(
      `select ${SEGMENT_COLS} from stock_segment where hospital_id = ? and bill_batch_code = ? and start_no <= ? and end_no >= ?${placeId ? ' and place_id = ?' : ''}${forUpdate(sql)}`,
      [hospitalId, billBatchCode, startNo, endNo, ...(placeId ? [placeId] : [])],
    );
    if (!seg || n(seg.next_no) > startNo) throw fieldError('startNo', `${billBatchCode} ${startNo}–${endNo} 不全是${placeId ? '该开票点' : '开票点'}未使用的号码`, 'E0066');
    if (await carveFromSegment(sql, seg, startNo, endNo)) return { placeId: Number(seg.place_id), billKindId: Number(seg.bill_kind_id), billBatchCode, startNo, endNo };
  }
  throw new DomainError('E0066', 'startNo: 开票点库存正被同时修改，请重试', 'startNo');
}

/**
 * Takes a point's unused numbers of a kind: `quantity` from the end of its stock (the last segments'
 * tails), or all of them when quantity is undefined. A number an issuance takes meanwhile stays
 * with the point (the carve is retried from the fresh next_no).
 */
export async function takeUnusedFromPoint(sql: Sql, placeId: number, billKindId: number, quantity?: number): Promise<Range[]> {
  const taken: Range[] = [];
  let left = quantity ?? Number.MAX_SAFE_INTEGER;
  for (let attempt = 0; attempt < 200 && left > 0; attempt++) {
    const segs = await sql.execute<SegmentRow[]>(
      `select ${SEGMENT_COLS} from stock_segment where place_id = ? and bill_kind_id = ? and status = 'active' and next_no <= end_no order by bill_batch_code desc, start_no desc${forUpdate(sql)}`,
      [placeId, billKindId],
    );
    if (segs.length === 0) break;
    if (quantity !== undefined) {
      const available = segs.reduce((a, s) => a + n(s.end_no) - n(s.next_no) + 1, 0);
      if (available < left) throw fieldError('quantity', `开票点该票种只剩 ${available + (quantity - left)} 张未用号码，不足 ${quantity} 张`, 'E0066');
    }
    const seg = segs[0];
    const e = n(seg.end_no);
    const s = Math.max(n(seg.next_no), e - left + 1);
    if (await carveFromSegment(sql, seg, s, e)) {
      taken.push({ billKindId, billBatchCode: seg.bill_batch_code, startNo: s, endNo: e });
      left -= e - s + 1;
    }
  }
  if (quantity !== undefined && left > 0) throw fieldError('quantity', `开票点未用号码不足 ${quantity} 张`, 'E0066');
  return taken;
}

/** A new segment at a point (distribution). */
export async function addSegment(sql: Sql, hospitalId: number, placeId: number, r: Range): Promise<number> {
  return insertRow(sql, 'stock_segment', {
    hospital_id: hospitalId,
    place_id: placeId,
    bill_kind_id: r.billKindId,
    bill_batch_code: r.billBatchCode,
    start_no: r.startNo,
    end_no: r.endNo,
    next_no: r.startNo,
    status: 'active',
    created_at: dbNow(sql),
  });
}

/** Unused numbers at a point for a kind (what an issuance can still take). */
export async function remainingAt(sql: Pick<Sql, 'execute'>, placeId: number, billKindId: number): Promise<number> {
  const [row] = await sql.execute<Array<{ remaining: number | string | null }>>(
    `select sum(case when next_no <= end_no then end_no - next_no + 1 else 0 end) as remaining from stock_segment where place_id = ? and bill_kind_id = ? and status = 'active'`,
    [placeId, billKindId],
  );
  return Number(row?.remaining ?? 0);
}
