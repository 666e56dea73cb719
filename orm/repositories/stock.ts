/**
 * The stock's other rows next to the ranges (stock-ranges.ts): bill kinds looked up by code, voids,
 * stock alarms and thresholds, and the reads of the number-continuity audit. Writes run inside the
 * caller's transaction; reads take a transaction or the ORM's connection.
 */
import type { Connection, EntityManager } from '@mikro-orm/core';
import { dbNow, forUpdate, insertRow, type Sql } from '../sql';

type Execute = Pick<Connection, 'execute'>;

/** The id of the bill kind with this 4-digit code. */
export async function kindIdOfCode(sql: Execute, code: string): Promise<number | undefined> {
  const [k] = await sql.execute<Array<{ id: number }>>('select id from bill_kind where code = ?', [code]);
  return k ? Number(k.id) : undefined;
}

/** The bill kind with this code (on the ORM's connection). */
export async function findKind(em: EntityManager, code: string): Promise<{ id: number; code: string } | undefined> {
  const [k] = await em.getConnection().execute<Array<{ id: number; code: string }>>('select id, code from bill_kind where code = ?', [code]);
  return k ? { id: Number(k.id), code: k.code } : undefined;
}

/** True when [startNo, endNo] of a code lies inside one range of the hospital pool (a plain read). */
export async function poolHolds(sql: Sql, hospitalId: number, billBatchCode: string, startNo: number, endNo: number): Promise<boolean> {
  const [inPool] = await sql.execute<Array<{ id: number }>>(
    'select id from stock_pool where hospital_id = ? and bill_batch_code = ? and start_no <= ? and end_no >= ?',
    [hospitalId, billBatchCode, startNo, endNo],
  );
  return Boolean(inPool);
}

export async function pointCodeOf(sql: Execute, placeId: number): Promise<string | undefined> {
  const [p] = await sql.execute<Array<{ code: string }>>('select code from billing_point where id = ?', [placeId]);
  return p?.code;
}

export interface VoidInput {
  hospitalId: number;
  billKindId: number;
  billBatchCode: string;
  startNo: number;
  endNo: number;
  placeId: number | null;
  reason: string;
  actor: string;
}

/** Records voided numbers (stock_void), so the gap is explained. */
export async function recordVoid(sql: Sql, v: VoidInput): Promise<void> {
  await sql.execute(
    'insert into stock_void (hospital_id, bill_kind_id, bill_batch_code, start_no, end_no, place_id, reason, voided_by, voided_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [v.hospitalId, v.billKindId, v.billBatchCode, v.startNo, v.endNo, v.placeId, v.reason.slice(0, 500), v.actor.slice(0, 64), sql.getPlatform().processDateProperty(new Date())],
    'run',
  );
}

// ---- stock alarms ----

/** The open alarm with this key, locked (for update on MySQL). */
export async function openAlarmId(sql: Sql, openKey: string): Promise<number | undefined> {
  const [open] = await sql.execute<Array<{ id: number }>>(`select id from stock_alarm where open_key = ?${forUpdate(sql)}`, [openKey]);
  return open ? open.id : undefined;
}

export async function refreshAlarm(sql: Sql, alarmId: number, remaining: number, threshold: number): Promise<void> {
  await sql.execute('update stock_alarm set remaining = ?, threshold = ?, checked_at = ? where id = ?', [remaining, threshold, dbNow(sql), alarmId], 'run');
}

export async function openAlarm(sql: Sql, a: { hospitalId: number; placeId: number; billKindId: number; openKey: string; remaining: number; threshold: number }): Promise<void> {
  const now = dbNow(sql);
  await insertRow(sql, 'stock_alarm', {
    hospital_id: a.hospitalId, place_id: a.placeId, bill_kind_id: a.billKindId, state: 'open', open_key: a.openKey,
    remaining: a.remaining, threshold: a.threshold, opened_at: now, checked_at: now,
  });
}

export async function closeAlarm(sql: Sql, alarmId: number, remaining: number, reason: string): Promise<void> {
  const now = dbNow(sql);
  await sql.execute(`update stock_alarm set state = 'closed', open_key = null, remaining = ?, checked_at = ?, closed_at = ?, closed_reason = ? where id = ?`, [remaining, now, now, reason, alarmId], 'run');
}

/** The threshold finance set for a point and kind, if any. */
export async function thresholdSet(sql: Execute, placeId: number, kindId: number): Promise<number | undefined> {
  const [t] = await sql.execute<Array<{ min_remaining: number | string }>>('select min_remaining from stock_threshold where place_id = ? and bill_kind_id = ?', [placeId, kindId]);
  return t ? Number(t.min_remaining) : undefined;
}

/** True when the point ever held a segment of the kind. */
export async function pointEverHeld(sql: Execute, placeId: number, kindId: number): Promise<boolean> {
  const [s] = await sql.execute<Array<{ id: number }>>('select id from stock_segment where place_id = ? and bill_kind_id = ? limit 1', [placeId, kindId]);
  return Boolean(s);
}

export async function pointStatus(sql: Execute, placeId: number): Promise<{ code: string; active: boolean } | undefined> {
  const [p] = await sql.execute<Array<{ code: string; active: number | boolean }>>('select code, active from billing_point where id = ?', [placeId]);
  return p ? { code: p.code, active: Boolean(Number(p.active ?? 1)) } : undefined;
}

export interface WatchedPair {
  hospital_id: number;
  place_id: number;
  code: string;
  active: number | boolean;
  kind_id: number;
  kind_code: string;
  min_remaining: number | string | null;
}

/** Every point and kind the alarm schedule watches: a threshold set, stock ever held, or an alarm open. */
export async function watchedAlarmPairs(em: EntityManager): Promise<WatchedPair[]> {
  return em.getConnection().execute<WatchedPair[]>(
    `select p.hospital_id, p.id as place_id, p.code, p.active, k.id as kind_id, k.code as kind_code, t.min_remaining
       from billing_point p cross join bill_kind k
       left join stock_threshold t on t.place_id = p.id and t.bill_kind_id = k.id
      where t.id is not null
         or exists (select 1 from stock_segment s where s.place_id = p.id and s.bill_kind_id = k.id)
         or exists (select 1 from stock_alarm a where a.place_id = p.id and a.bill_kind_id = k.id and a.state = 'open')`,
  );
}

// ---- number-continuity audit ----

export interface AuditRangeRow {
  bill_batch_code: string;
  start_no: number | string;
  end_no: number | string;
}

export interface AuditSources {
  receipts: Array<AuditRangeRow & { state: string }>;
  pool: AuditRangeRow[];
  voids: AuditRangeRow[];
  segments: Array<AuditRangeRow & { next_no: number | string }>;
  bills: Array<{ bill_batch_code: string; bill_no: string; state: string; is_scarlet: number | boolean }>;
}

/** Everything that accounts for a hospital's numbers (of one code, or all): receipts, pool, voids, point segments, bills. */
export async function auditSources(conn: Execute, hospitalId: number, billBatchCode?: string): Promise<AuditSources> {
  const codeFilter = billBatchCode ? ' and bill_batch_code = ?' : '';
  const p = (...xs: unknown[]) => [...xs, ...(billBatchCode ? [billBatchCode] : [])];
  const receipts = await conn.execute<AuditSources['receipts']>(`select bill_batch_code, start_no, end_no, state from stock_receipt where hospital_id = ?${codeFilter}`, p(hospitalId));
  const pool = await conn.execute<AuditRangeRow[]>(`select bill_batch_code, start_no, end_no from stock_pool where hospital_id = ?${codeFilter}`, p(hospitalId));
  const voids = await conn.execute<AuditRangeRow[]>(`select bill_batch_code, start_no, end_no from stock_void where hospital_id = ?${codeFilter}`, p(hospitalId));
  const segments = await conn.execute<AuditSources['segments']>(`select bill_batch_code, start_no, end_no, next_no from stock_segment where hospital_id = ?${codeFilter}`, p(hospitalId));
  const bills = await conn.execute<AuditSources['bills']>(`select bill_batch_code, bill_no, state, is_scarlet from bill where hospital_id = ?${codeFilter}`, p(hospitalId));
  return { receipts, pool, voids, segments, bills };
}

// ---- the console's reads (on the ORM's connection) ----

const c = (em: EntityManager): Execute => em.getConnection();

export const billKindList = (em: EntityManager): Promise<Array<{ code: string; name: string; category: string }>> => c(em).execute<Array<{ code: string; name: string; category: string }>>('select code, name, category from bill_kind order by code');

export interface PoolRangeView {
  code: string;
  name: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
}

export const poolRanges = (em: EntityManager): Promise<PoolRangeView[]> =>
  c(em).execute<PoolRangeView[]>(
    'select k.code, k.name, p.bill_batch_code, p.start_no, p.end_no from stock_pool p join bill_kind k on k.id = p.bill_kind_id order by k.code, p.bill_batch_code, p.start_no',
  );

export interface SegmentView {
  place_code: string;
  place_name: string;
  code: string;
  name: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  next_no: number;
}

/** The point segments (of one point, or all). */
export const pointSegments = (em: EntityManager, placeCode?: string): Promise<SegmentView[]> =>
  c(em).execute<SegmentView[]>(
    `select p.code as place_code, p.name as place_name, k.code, k.name, s.bill_batch_code, s.start_no, s.end_no, s.next_no
       from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
      ${placeCode ? 'where p.code = ?' : ''} order by p.code, k.code, s.bill_batch_code, s.start_no`,
    placeCode ? [placeCode] : [],
  );

export interface VoidView {
  code: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  place_code: string | null;
  reason: string;
  voided_by: string;
  voided_at: string;
}

export const latestVoids = (em: EntityManager): Promise<VoidView[]> =>
  c(em).execute<VoidView[]>(
    'select k.code, v.bill_batch_code, v.start_no, v.end_no, p.code as place_code, v.reason, v.voided_by, v.voided_at from stock_void v join bill_kind k on k.id = v.bill_kind_id left join billing_point p on p.id = v.place_id order by v.id desc limit 500',
  );

export interface MovementView {
  id: number;
  type: string;
  code: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  quantity: number;
  place_code: string | null;
  requisition_id: number | null;
  actor: string;
  reason: string | null;
  created_at: string;
}

/** The latest 500 stock movements (of one type, or all). */
export const latestMovements = (em: EntityManager, type?: string): Promise<MovementView[]> =>
  c(em).execute<MovementView[]>(
    `select m.id, m.type, k.code, m.bill_batch_code, m.start_no, m.end_no, m.quantity, p.code as place_code, m.requisition_id, m.actor, m.reason, m.created_at
       from stock_movement m join bill_kind k on k.id = m.bill_kind_id left join billing_point p on p.id = m.place_id
      ${type ? 'where m.type = ?' : ''} order by m.id desc limit 500`,
    type ? [type] : [],
  );

export interface PointsOverview {
  points: Array<{ id: number; code: string; name: string; kind: string | null; parent_code: string | null; active: number | boolean; created_at: string }>;
  kinds: Array<{ id: number; code: string; name: string }>;
  remaining: Array<{ place_id: number; bill_kind_id: number; remaining: number | string; segments: number }>;
  thresholds: Array<{ place_id: number; bill_kind_id: number; min_remaining: number | string }>;
  alarms: Array<{ place_id: number; bill_kind_id: number }>;
  billPlaces: Array<{ place_id: number }>;
}

/** The points with their parents, the kinds, each point's unused numbers, thresholds, open alarms, and the points that issued bills. */
export async function pointsOverview(em: EntityManager): Promise<PointsOverview> {
  const points = await c(em).execute<PointsOverview['points']>(
    'select p.id, p.code, p.name, p.kind, q.code as parent_code, p.active, p.created_at from billing_point p left join billing_point q on q.id = p.parent_id order by p.code',
  );
  const kinds = await c(em).execute<PointsOverview['kinds']>('select id, code, name from bill_kind order by code');
  const remaining = await c(em).execute<PointsOverview['remaining']>(
    `select place_id, bill_kind_id, sum(case when next_no <= end_no then end_no - next_no + 1 else 0 end) as remaining, count(*) as segments from stock_segment where status = 'active' group by place_id, bill_kind_id`,
  );
  const thresholds = await c(em).execute<PointsOverview['thresholds']>('select place_id, bill_kind_id, min_remaining from stock_threshold');
  const alarms = await c(em).execute<PointsOverview['alarms']>(`select place_id, bill_kind_id from stock_alarm where state = 'open'`);
  const billPlaces = await c(em).execute<PointsOverview['billPlaces']>('select distinct place_id from bill');
  return { points, kinds, remaining, thresholds, alarms, billPlaces };
}

export async function openAlarmCount(em: EntityManager): Promise<number> {
  const [r] = await c(em).execute<Array<{ n: number | string }>>(`select count(*) as n from stock_alarm where state = 'open'`);
  return Number(r?.n ?? 0);
}

export interface AlarmView {
  id: number;
  state: string;
  place_code: string;
  place_name: string;
  code: string;
  name: string;
  remaining: number;
  threshold: number;
  opened_at: string;
  checked_at: string;
  closed_at: string | null;
  closed_reason: string | null;
}

/** The latest 200 alarms (open ones, or all). */
export const latestAlarms = (em: EntityManager, openOnly: boolean): Promise<AlarmView[]> =>
  c(em).execute<AlarmView[]>(
    `select a.id, a.state, p.code as place_code, p.name as place_name, k.code, k.name, a.remaining, a.threshold, a.opened_at, a.checked_at, a.closed_at, a.closed_reason
       from stock_alarm a join billing_point p on p.id = a.place_id join bill_kind k on k.id = a.bill_kind_id
      ${openOnly ? `where a.state = 'open'` : ''} order by a.id desc limit 200`,
  );
