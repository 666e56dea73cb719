/**
 * Billing points (开票点) as the stock console maintains them: lookup by code, the parent chain,
 * create / edit / delete, thresholds (stock_threshold). Reads run on the ORM's connection (or a
 * transaction); changes inside the caller's transaction, or as one statement on the connection.
 */
import type { Connection, EntityManager } from '@mikro-orm/core';
import type { Sql } from '../sql';

type Execute = Pick<Connection, 'execute'>;

export interface PointRow {
  id: number;
  hospitalId: number;
  code: string;
  active: boolean;
}

export async function pointOfCode(em: EntityManager, code: string): Promise<PointRow | undefined> {
  const [p] = await em.getConnection().execute<Array<{ id: number; hospital_id: number; code: string; active: number | boolean }>>('select id, hospital_id, code, active from billing_point where code = ?', [code]);
  return p ? { id: Number(p.id), hospitalId: Number(p.hospital_id), code: p.code, active: Boolean(Number(p.active)) } : undefined;
}

/** The parent of a point (null at the top, undefined when there is no such point). */
export async function parentOf(em: EntityManager, id: number): Promise<number | null> {
  const [row] = await em.getConnection().execute<Array<{ parent_id: number | null }>>('select parent_id from billing_point where id = ?', [id]);
  return row?.parent_id ? Number(row.parent_id) : null;
}

/** A new active point (one statement). */
export async function insertPoint(em: EntityManager, p: { hospitalId: number; code: string; name: string; parentId: number | null; kind?: 'campus' | 'point' }): Promise<void> {
  await em.getConnection().execute('insert into billing_point (hospital_id, code, name, parent_id, kind, active, created_at) values (?, ?, ?, ?, ?, ?, ?)', [p.hospitalId, p.code, p.name, p.parentId, p.kind ?? 'point', 1, em.getPlatform().processDateProperty(new Date())], 'run');
}

export interface PointChange {
  name?: string;
  parentId?: number | null;
  /** `campus` (院区) or `point`. */
  kind?: 'campus' | 'point';
  active?: boolean;
}

/** Changes the given fields of a point. */
export async function updatePoint(sql: Sql, id: number, c: PointChange): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (c.name !== undefined) {
    sets.push('name = ?');
    params.push(c.name);
  }
  if (c.parentId !== undefined) {
    sets.push('parent_id = ?');
    params.push(c.parentId);
  }
  if (c.kind !== undefined) {
    sets.push('kind = ?');
    params.push(c.kind);
  }
  if (c.active !== undefined) {
    sets.push('active = ?');
    params.push(c.active ? 1 : 0);
  }
  await sql.execute(`update billing_point set ${sets.join(', ')} where id = ?`, [...params, id], 'run');
}

/** The kinds a point holds (or held) stock of, or has a threshold for. */
export async function kindsWatchedAt(sql: Sql, placeId: number): Promise<number[]> {
  const kinds = await sql.execute<Array<{ bill_kind_id: number }>>('select distinct bill_kind_id from stock_segment where place_id = ? union select bill_kind_id from stock_threshold where place_id = ?', [placeId, placeId]);
  return kinds.map((k) => Number(k.bill_kind_id ?? 0));
}

/** Tables whose rows name a point (place_id): any row there keeps the point from being deleted. */
export type PointUse = 'bill' | 'stock_segment' | 'paper_segment' | 'stock_movement' | 'stock_void';

export async function pointUsedIn(conn: Execute, table: PointUse, placeId: number): Promise<boolean> {
  const [row] = await conn.execute<Array<{ id: number }>>(`select id from ${table} where place_id = ? limit 1`, [placeId]);
  return Boolean(row);
}

export async function hasChildPoint(conn: Execute, placeId: number): Promise<boolean> {
  const [child] = await conn.execute<Array<{ id: number }>>('select id from billing_point where parent_id = ? limit 1', [placeId]);
  return Boolean(child);
}

/** Deletes a point with its thresholds and alarms. */
export async function deletePoint(sql: Sql, placeId: number): Promise<void> {
  await sql.execute('delete from stock_threshold where place_id = ?', [placeId], 'run');
  await sql.execute('delete from stock_alarm where place_id = ?', [placeId], 'run');
  await sql.execute('delete from billing_point where id = ?', [placeId], 'run');
}

/** Sets (updates, else inserts) a point's threshold for a kind. */
export async function setThreshold(sql: Sql, placeId: number, kindId: number, minRemaining: number, actor: string): Promise<void> {
  const now = sql.getPlatform().processDateProperty(new Date());
  const changed = await sql.execute<{ affectedRows: number }>('update stock_threshold set min_remaining = ?, updated_by = ?, updated_at = ? where place_id = ? and bill_kind_id = ?', [minRemaining, actor, now, placeId, kindId], 'run');
  if (Number(changed.affectedRows) === 0) {
    await sql.execute('insert into stock_threshold (place_id, bill_kind_id, min_remaining, updated_by, updated_at) values (?, ?, ?, ?, ?)', [placeId, kindId, minRemaining, actor, now], 'run');
  }
}
