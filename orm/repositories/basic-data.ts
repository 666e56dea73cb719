/**
 * Basic data from the fiscal platform (bill kinds, fiscal charge items, the sync runs and their
 * changes) and the code mapping finance maintains next to it: HIS charge code -> fiscal item
 * (charge_code_map), business categories (busType -> bill kind), item groups. The sync's writes
 * run inside its transaction; the console's reads and one-statement changes run on the ORM's
 * connection (each statement its own transaction), as they always did.
 */
import { openFields } from '../sealed';
import type { Connection, EntityManager } from '@mikro-orm/core';
import type { Sql } from '../sql';

type Execute = Pick<Connection, 'execute'>;
const conn = (em: EntityManager): Execute => em.getConnection();
const now = (em: EntityManager) => em.getPlatform().processDateProperty(new Date());
const affected = (res: unknown) => Number((res as { affectedRows: number }).affectedRows);
const inserted = (res: unknown) => Number((res as { insertId: number }).insertId);

// ---- the sync (one transaction) ----

export interface BillKindRow {
  id: number;
  code: string;
  name: string;
  category: string;
  electronic: number | boolean;
  active: number | boolean;
}
export interface FiscalItemRow {
  id: number;
  code: string;
  name: string;
  active: number | boolean;
}

export const allBillKinds = (sql: Sql) => sql.execute<BillKindRow[]>('select id, code, name, category, electronic, active from bill_kind');
export const allFiscalItems = (sql: Sql) => sql.execute<FiscalItemRow[]>('select id, code, name, active from fiscal_item');

export interface BillKindInput {
  code: string;
  name: string;
  category: string;
  electronic: boolean;
}

export async function addBillKind(sql: Sql, k: BillKindInput, syncedAt: unknown): Promise<void> {
  await sql.execute('insert into bill_kind (code, name, category, electronic, active, synced_at) values (?, ?, ?, ?, ?, ?)', [k.code, k.name, k.category, k.electronic ? 1 : 0, 1, syncedAt], 'run');
}
/** Refreshes a served bill kind (and marks it active again). */
export async function refreshBillKind(sql: Sql, id: unknown, k: BillKindInput, syncedAt: unknown): Promise<void> {
  await sql.execute('update bill_kind set name = ?, category = ?, electronic = ?, active = ?, synced_at = ? where id = ?', [k.name, k.category, k.electronic ? 1 : 0, 1, syncedAt, id], 'run');
}
export async function deactivateBillKind(sql: Sql, id: unknown): Promise<void> {
  await sql.execute('update bill_kind set active = ? where id = ?', [0, id], 'run');
}

export async function addFiscalItem(sql: Sql, i: { code: string; name: string }, syncedAt: unknown): Promise<void> {
  await sql.execute('insert into fiscal_item (code, name, active, synced_at) values (?, ?, ?, ?)', [i.code, i.name, 1, syncedAt], 'run');
}
export async function refreshFiscalItem(sql: Sql, id: unknown, i: { name: string }, syncedAt: unknown): Promise<void> {
  await sql.execute('update fiscal_item set name = ?, active = ?, synced_at = ? where id = ?', [i.name, 1, syncedAt, id], 'run');
}
export async function deactivateFiscalItem(sql: Sql, id: unknown): Promise<void> {
  await sql.execute('update fiscal_item set active = ? where id = ?', [0, id], 'run');
}

/** Records one sync run; returns its id. */
export async function recordSync(sql: Sql, s: { version: string; kinds: number; items: number; changes: number; workflowId: string | null }, syncedAt: unknown): Promise<number> {
  const ins = await sql.execute<{ insertId: number }>(
    'insert into basic_data_sync (version, kinds, items, changes, workflow_id, synced_at) values (?, ?, ?, ?, ?, ?)',
    [s.version, s.kinds, s.items, s.changes, s.workflowId, syncedAt],
    'run',
  );
  return Number(ins.insertId);
}

export async function recordSyncChange(sql: Sql, syncId: number, c: { entity: string; code: string; change: string; oldValue?: string; newValue?: string }, createdAt: unknown): Promise<void> {
  await sql.execute(
    'insert into basic_data_change (sync_id, entity, code, change_type, old_value, new_value, created_at) values (?, ?, ?, ?, ?, ?, ?)',
    [syncId, c.entity, c.code, c.change, c.oldValue?.slice(0, 200) ?? null, c.newValue?.slice(0, 200) ?? null, createdAt],
    'run',
  );
}

// ---- the console's reads ----

/** The console serves one hospital (the first; the demo's). */
export async function firstHospitalId(em: EntityManager): Promise<number | undefined> {
  const [h] = await conn(em).execute<Array<{ id: number }>>('select id from hospital order by id limit 1');
  return h ? Number(h.id) : undefined;
}

export async function fiscalItemByCode(em: EntityManager, code: string): Promise<FiscalItemRow | undefined> {
  const [it] = await conn(em).execute<FiscalItemRow[]>('select id, code, name, active from fiscal_item where code = ?', [code]);
  return it;
}

export async function billKindByCode(em: EntityManager, code: string): Promise<Omit<BillKindRow, 'category' | 'electronic'> | undefined> {
  const [k] = await conn(em).execute<Array<Omit<BillKindRow, 'category' | 'electronic'>>>('select id, code, name, active from bill_kind where code = ?', [code]);
  return k;
}

export interface BasicDataOverview {
  last?: { id: number; version: string; kinds: number; items: number; changes: number; workflow_id: string | null; synced_at: unknown };
  kinds: Array<{ code: string; name: string; category: string; electronic: number | boolean; active: number | boolean; synced_at: unknown }>;
  items: Array<{ code: string; name: string; active: number | boolean; synced_at: unknown; mapped: number | string }>;
  changes: Array<{ entity: string; code: string; change_type: string; old_value: string | null; new_value: string | null; created_at: unknown; version: string }>;
}

/** The last sync, every bill kind and fiscal item (with how many HIS codes map to it), the latest 100 changes. */
export async function basicDataOverview(em: EntityManager): Promise<BasicDataOverview> {
  const [last] = await conn(em).execute<Array<NonNullable<BasicDataOverview['last']>>>('select id, version, kinds, items, changes, workflow_id, synced_at from basic_data_sync order by id desc limit 1');
  const kinds = await conn(em).execute<BasicDataOverview['kinds']>('select code, name, category, electronic, active, synced_at from bill_kind order by code');
  const items = await conn(em).execute<BasicDataOverview['items']>(
    `select f.code, f.name, f.active, f.synced_at, (select count(*) from charge_code_map m where m.fiscal_item_id = f.id) as mapped
       from fiscal_item f order by f.code`,
  );
  const changes = await conn(em).execute<BasicDataOverview['changes']>(
    `select c.entity, c.code, c.change_type, c.old_value, c.new_value, c.created_at, s.version
       from basic_data_change c join basic_data_sync s on s.id = c.sync_id order by c.id desc limit 100`,
  );
  return { last, kinds, items, changes };
}

// ---- 编码对照: HIS charge code -> fiscal item ----

export interface CodeMappingRow {
  id: number;
  his_code: string;
  his_name: string;
  updated_by: string;
  updated_at: unknown;
  fiscal_code: string;
  fiscal_name: string;
  fiscal_active: number | boolean;
}

const mappingSelect = `select m.id, m.his_code, m.his_name, m.updated_by, m.updated_at, f.code as fiscal_code, f.name as fiscal_name, f.active as fiscal_active
    from charge_code_map m join fiscal_item f on f.id = m.fiscal_item_id where m.hospital_id = ?`;

export const codeMappings = (em: EntityManager, hospitalId: number) => conn(em).execute<CodeMappingRow[]>(`${mappingSelect} order by m.his_code`, [hospitalId]);

export async function codeMapping(em: EntityManager, hospitalId: number, id: number): Promise<CodeMappingRow | undefined> {
  const [row] = await conn(em).execute<CodeMappingRow[]>(`${mappingSelect} and m.id = ?`, [hospitalId, id]);
  return row;
}

export async function hisCodeMapped(em: EntityManager, hospitalId: number, hisCode: string): Promise<boolean> {
  const [dup] = await conn(em).execute<Array<{ id: number }>>('select id from charge_code_map where hospital_id = ? and his_code = ?', [hospitalId, hisCode]);
  return Boolean(dup);
}

/** Every HIS charge code of the hospital that has a mapping. */
export async function mappedHisCodes(em: EntityManager, hospitalId: number): Promise<Set<string>> {
  const rows: Array<{ his_code: string }> = await conn(em).execute('select his_code from charge_code_map where hospital_id = ?', [hospitalId]);
  return new Set(rows.map((m) => String(m.his_code)));
}

export async function addCodeMapping(em: EntityManager, m: { hospitalId: number; hisCode: string; hisName: string; fiscalItemId: number; actor: string }): Promise<number> {
  return inserted(await conn(em).execute(
    'insert into charge_code_map (hospital_id, his_code, his_name, fiscal_item_id, updated_by, updated_at) values (?, ?, ?, ?, ?, ?)',
    [m.hospitalId, m.hisCode, m.hisName, m.fiscalItemId, m.actor, now(em)],
    'run',
  ));
}

export async function changeCodeMapping(em: EntityManager, id: number, m: { hisName: string; fiscalItemId: number; actor: string }): Promise<void> {
  await conn(em).execute('update charge_code_map set his_name = ?, fiscal_item_id = ?, updated_by = ?, updated_at = ? where id = ?', [m.hisName, m.fiscalItemId, m.actor, now(em), id], 'run');
}

/** False when the hospital has no such mapping. */
export async function removeCodeMapping(em: EntityManager, hospitalId: number, id: number): Promise<boolean> {
  return affected(await conn(em).execute('delete from charge_code_map where id = ? and hospital_id = ?', [id, hospitalId], 'run')) === 1;
}

/** The latest 5000 issuance requests of the hospital refused for an unmapped charge code (E0021). */
export async function refusedForUnmappedCode(em: EntityManager, hospitalId: number): Promise<Array<{ bus_no: string; payload: string; updated_at: unknown }>> {
  const rows = await conn(em).execute<Array<{ bus_no: string; payload: string; updated_at: unknown }>>(
    `select r.bus_no, r.payload, r.updated_at from issue_request r join his_app a on a.appid = r.appid
      where r.status = 'rejected' and r.error_code = 'E0021' and a.hospital_id = ? order by r.id desc limit 5000`,
    [hospitalId],
  );
  for (const r of rows) openFields(em, r, ['payload']); // sealed at rest (orm/sealed.ts)
  return rows;
}

// ---- 业务类别: busType -> bill kind ----

export interface BusinessCategoryRow {
  id: number;
  bus_type: string;
  name: string;
  kind_code: string;
  kind_name: string;
  kind_active: number | boolean;
}

const catSelect = `select c.id, c.bus_type, c.name, k.code as kind_code, k.name as kind_name, k.active as kind_active
    from business_category c join bill_kind k on k.id = c.bill_kind_id where c.hospital_id = ?`;

export const businessCategories = (em: EntityManager, hospitalId: number) => conn(em).execute<BusinessCategoryRow[]>(`${catSelect} order by c.bus_type`, [hospitalId]);

export async function businessCategory(em: EntityManager, hospitalId: number, id: number): Promise<BusinessCategoryRow | undefined> {
  const [c] = await conn(em).execute<BusinessCategoryRow[]>(`${catSelect} and c.id = ?`, [hospitalId, id]);
  return c;
}

export async function busTypeTaken(em: EntityManager, hospitalId: number, busType: string): Promise<boolean> {
  const [dup] = await conn(em).execute<Array<{ id: number }>>('select id from business_category where hospital_id = ? and bus_type = ?', [hospitalId, busType]);
  return Boolean(dup);
}

export async function addBusinessCategory(em: EntityManager, c: { hospitalId: number; busType: string; name: string; billKindId: number }): Promise<number> {
  return inserted(await conn(em).execute('insert into business_category (hospital_id, bus_type, name, bill_kind_id) values (?, ?, ?, ?)', [c.hospitalId, c.busType, c.name, c.billKindId], 'run'));
}

export async function changeBusinessCategory(em: EntityManager, id: number, c: { name: string; billKindId: number }): Promise<void> {
  await conn(em).execute('update business_category set name = ?, bill_kind_id = ? where id = ?', [c.name, c.billKindId, id], 'run');
}

export async function removeBusinessCategory(em: EntityManager, hospitalId: number, id: number): Promise<boolean> {
  return affected(await conn(em).execute('delete from business_category where id = ? and hospital_id = ?', [id, hospitalId], 'run')) === 1;
}

// ---- 项目分组 ----

export interface ItemGroupRow {
  id: number;
  hospital_id: number;
  name: string;
  his_codes: string;
  remark: string | null;
  updated_by: string;
  created_at: unknown;
  updated_at: unknown;
}

export const itemGroups = (em: EntityManager, hospitalId: number) => conn(em).execute<ItemGroupRow[]>('select * from item_group where hospital_id = ? order by name', [hospitalId]);

export async function itemGroup(em: EntityManager, id: number): Promise<ItemGroupRow | undefined> {
  const [g] = await conn(em).execute<ItemGroupRow[]>('select * from item_group where id = ?', [id]);
  return g;
}

/** True when another group of the hospital (not `exceptId`) has this name. */
export async function itemGroupNameTaken(em: EntityManager, hospitalId: number, name: string, exceptId?: number): Promise<boolean> {
  const [dup] = exceptId === undefined
    ? await conn(em).execute<Array<{ id: number }>>('select id from item_group where hospital_id = ? and name = ?', [hospitalId, name])
    : await conn(em).execute<Array<{ id: number }>>('select id from item_group where hospital_id = ? and name = ? and id <> ?', [hospitalId, name, exceptId]);
  return Boolean(dup);
}

export interface ItemGroupInput {
  name: string;
  hisCodes: string;
  remark?: string;
}

export async function addItemGroup(em: EntityManager, hospitalId: number, g: ItemGroupInput, actor: string): Promise<number> {
  return inserted(await conn(em).execute(
    'insert into item_group (hospital_id, name, his_codes, remark, updated_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
    [hospitalId, g.name, g.hisCodes, g.remark ?? null, actor, now(em), now(em)],
    'run',
  ));
}

/** False when the hospital has no such group. */
export async function changeItemGroup(em: EntityManager, hospitalId: number, id: number, g: ItemGroupInput, actor: string): Promise<boolean> {
  return affected(await conn(em).execute(
    'update item_group set name = ?, his_codes = ?, remark = ?, updated_by = ?, updated_at = ? where id = ? and hospital_id = ?',
    [g.name, g.hisCodes, g.remark ?? null, actor, now(em), id, hospitalId],
    'run',
  )) === 1;
}

export async function removeItemGroup(em: EntityManager, hospitalId: number, id: number): Promise<boolean> {
  return affected(await conn(em).execute('delete from item_group where id = ? and hospital_id = ?', [id, hospitalId], 'run')) === 1;
}
