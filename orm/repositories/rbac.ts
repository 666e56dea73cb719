/**
 * Roles, their permissions, the billing-point tree a data scope resolves against, and the HIS
 * cashier mapping (开票员). services/system.ts decides; this file only reads and writes the rows.
 */
import { dbNow, type Sql } from '../sql';

export interface RoleRow {
  id: number;
  code: string;
  name: string;
  kind: string;
  builtin: boolean;
  permissions: string[];
}

/**
 * Rows of a read, inside the caller's transaction when it has one: a read on the bare connection
 * beside an open SQLite transaction waits for the pool's only connection (the transaction holds it)
 * and hangs the request; on MySQL it would read outside the transaction.
 */
const read = async <T>(em: Sql, query: string, params: unknown[] = []): Promise<T[]> => (await em.execute(query, params)) as T[];

type RawRole = { id: number; code: string; name: string; kind: string; builtin: number | boolean };

async function withPermissions(em: Sql, roles: RawRole[]): Promise<RoleRow[]> {
  if (!roles.length) return [];
  const codes = roles.map((r) => r.code);
  const perms = await read<{ role_code: string; permission: string }>(em, 
    `select role_code, permission from role_permission where role_code in (${codes.map(() => '?').join(', ')}) order by permission`,
    codes,
  );
  return roles.map((r) => ({
    id: Number(r.id),
    code: r.code,
    name: r.name,
    kind: r.kind,
    builtin: Boolean(Number(r.builtin)),
    permissions: perms.filter((p: { role_code: string }) => p.role_code === r.code).map((p: { permission: string }) => p.permission),
  }));
}

export async function allRoles(em: Sql): Promise<RoleRow[]> {
  return withPermissions(em, await read<RawRole>(em, 'select id, code, name, kind, builtin from role order by id'));
}

/** The roles of these codes (unknown codes are left out). */
export async function rolesOfCodes(em: Sql, codes: readonly string[]): Promise<RoleRow[]> {
  if (!codes.length) return [];
  const rows = await read<RawRole>(em, `select id, code, name, kind, builtin from role where code in (${codes.map(() => '?').join(', ')})`, [...codes]);
  const found = await withPermissions(em, rows);
  return codes.map((c) => found.find((r) => r.code === c)).filter((r): r is RoleRow => !!r);
}

export async function insertRole(sql: Sql, r: { code: string; name: string; kind: string; permissions: readonly string[] }, at = new Date()): Promise<void> {
  await sql.execute('insert into role (code, name, kind, builtin, created_at, updated_at) values (?, ?, ?, ?, ?, ?)', [r.code, r.name, r.kind, false, dbNow(sql, at), dbNow(sql, at)], 'run');
  await setPermissions(sql, r.code, r.permissions);
}

export async function updateRole(sql: Sql, code: string, r: { name?: string; permissions?: readonly string[] }, at = new Date()): Promise<void> {
  await sql.execute('update role set name = coalesce(?, name), updated_at = ? where code = ?', [r.name ?? null, dbNow(sql, at), code], 'run');
  if (r.permissions) await setPermissions(sql, code, r.permissions);
}

async function setPermissions(sql: Sql, code: string, permissions: readonly string[]): Promise<void> {
  await sql.execute('delete from role_permission where role_code = ?', [code], 'run');
  for (const p of new Set(permissions)) await sql.execute('insert into role_permission (role_code, permission) values (?, ?)', [code, p], 'run');
}

export async function deleteRole(sql: Sql, code: string): Promise<void> {
  await sql.execute('delete from role_permission where role_code = ?', [code], 'run');
  await sql.execute('delete from role where code = ?', [code], 'run');
}

export interface PointNodeRow {
  code: string;
  name: string;
  kind: 'campus' | 'point';
  parentCode: string | null;
  active: boolean;
}

/** Every billing point with its parent's code (the tree a scope resolves against). */
export async function pointTree(em: Sql): Promise<PointNodeRow[]> {
  const rows = await read<{ code: string; name: string; kind: string | null; parent_code: string | null; active: number | boolean }>(em, 
    'select p.code, p.name, p.kind, q.code as parent_code, p.active from billing_point p left join billing_point q on q.id = p.parent_id order by p.code',
  );
  return rows.map((r) => ({ code: r.code, name: r.name, kind: r.kind === 'campus' ? 'campus' : 'point', parentCode: r.parent_code ?? null, active: Boolean(Number(r.active)) }));
}

export interface CollectorRow {
  id: number;
  hisCode: string;
  hisName: string | null;
  username: string;
  displayName: string | null;
}

export async function collectors(em: Sql, hospitalId: number): Promise<CollectorRow[]> {
  const rows = await read<{ id: number; his_code: string; his_name: string | null; username: string; display_name: string | null }>(em, 
    'select c.id, c.his_code, c.his_name, c.username, u.display_name from collector c left join user u on u.username = c.username where c.hospital_id = ? order by c.his_code',
    [hospitalId],
  );
  return rows.map((r) => ({ id: Number(r.id), hisCode: r.his_code, hisName: r.his_name, username: r.username, displayName: r.display_name }));
}

/** Replaces the hospital's whole mapping inside the caller's transaction. */
export async function replaceCollectors(sql: Sql, hospitalId: number, rows: ReadonlyArray<{ hisCode: string; hisName?: string | null; username: string }>, at = new Date()): Promise<void> {
  await sql.execute('delete from collector where hospital_id = ?', [hospitalId], 'run');
  for (const r of rows) {
    await sql.execute('insert into collector (hospital_id, his_code, his_name, username, updated_at) values (?, ?, ?, ?, ?)', [hospitalId, r.hisCode, r.hisName ?? null, r.username, dbNow(sql, at)], 'run');
  }
}

/** HIS cashier code -> the user's display name (for the collector reports). */
export async function collectorNames(em: Sql): Promise<Map<string, string>> {
  const rows = await read<{ his_code: string; display_name: string | null; his_name: string | null }>(em, 
    'select c.his_code, u.display_name, c.his_name from collector c left join user u on u.username = c.username',
  );
  return new Map(rows.map((r) => [r.his_code, r.display_name ?? r.his_name ?? r.his_code]));
}
