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
