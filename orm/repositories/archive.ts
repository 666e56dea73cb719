/**
 * The e-bill archive's rows (票据档案): packages and their checksums, the runs of the 四性 checks
 * and their failures, the destruction register. Raw SQL, portable (SQLite, MariaDB).
 */
import { isUniqueViolation } from '../errors';
import { dbDate } from '../sql-values';
import { dbNow, type Sql } from '../sql';
import { connectionNow, onConnection, type Db } from './db';
import { openFields } from '../sealed';

/** A bill due for archiving, with what its package holds and how it is classified. */
export interface DueBillRow {
  id: number;
  hospital_id: number;
  hospital_code: string;
  hospital_name: string;
  public_key: string;
  bill_batch_code: string;
  bill_no: string;
  bus_no: string;
  issued_at: Date;
  state: string;
  is_scarlet: boolean;
  total_amt: string;
  signed_data: string;
  signature: string;
  layout_path: string;
  accounted: boolean;
  accounted_at: Date | null;
  kind_code: string;
  kind_name: string;
  place_code: string;
  place_name: string;
  /** The version of the bill's latest package; null when it has none. */
  archived_version: number | null;
}

/**
 * Bills with a layout file that are accounted (入账) or issued before `cutoff` and have no package
 * yet, or whose latest package holds another state than the bill has now (reversed since), by id
 * after a cursor; `archived_version` is the latest package's version (null: none).
 */
export async function billsDueForArchive(db: Db, f: { afterId: number; limit: number; issuedBefore: Date }): Promise<DueBillRow[]> {
  const rows = await onConnection<Array<Record<string, unknown>>>(
    db,
    `select b.id, b.hospital_id, h.code as hospital_code, h.name as hospital_name, h.public_key, b.bill_batch_code, b.bill_no, b.bus_no, b.issued_at,
            b.state, b.is_scarlet, b.total_amt, b.signed_data, b.signature, b.layout_path, b.accounted, b.accounted_at,
            k.code as kind_code, k.name as kind_name, p.code as place_code, p.name as place_name,
            (select max(v.version) from archive_package v where v.bill_id = b.id) as archived_version
       from bill b join hospital h on h.id = b.hospital_id join bill_kind k on k.id = b.bill_kind_id join billing_point p on p.id = b.place_id
      where b.id > ? and b.layout_path is not null and (b.accounted = 1 or b.issued_at <= ?)
        and not exists (select 1 from archive_package a where a.bill_id = b.id and coalesce(a.bill_state, b.state) = b.state
                          and not exists (select 1 from archive_package n where n.bill_id = a.bill_id and n.version > a.version))
      order by b.id limit ?`,
    [f.afterId, connectionNow(db, f.issuedBefore), Math.max(1, Math.floor(f.limit))],
  );
  // signed_data is sealed at rest: the package holds the text that was signed.
  return rows.map((r) => openFields(db, r, ['signed_data'])).map((r) => ({
    ...(r as unknown as DueBillRow),
    id: Number(r.id),
    hospital_id: Number(r.hospital_id),
    issued_at: dbDate(r.issued_at as string),
    accounted_at: r.accounted_at == null ? null : dbDate(r.accounted_at as string),
    accounted: Number(r.accounted) === 1 || r.accounted === true,
    is_scarlet: Number(r.is_scarlet) === 1 || r.is_scarlet === true,
    total_amt: String(r.total_amt),
    archived_version: r.archived_version == null ? null : Number(r.archived_version),
  }));
}

export interface BillEventRow {
  type: string;
  actor: string;
  detail: string | null;
  workflowId: string | null;
  at: string;
}

/** A bill's timeline (bill_event), in order. */
export async function billTimeline(db: Db, billId: number): Promise<BillEventRow[]> {
  const rows = await onConnection<Array<{ type: string; actor: string; detail: string | null; workflow_id: string | null; created_at: string }>>(
    db,
    'select type, actor, detail, workflow_id, created_at from bill_event where bill_id = ? order by id',
    [billId],
  );
  return rows.map((r) => ({ type: r.type, actor: r.actor, detail: r.detail, workflowId: r.workflow_id, at: dbDate(r.created_at).toISOString() }));
}

export interface PackageRow {
  id: number;
  billId: number;
  hospitalId: number;
  billBatchCode: string;
  billNo: string;
  year: number;
  kindCode: string;
  kindName: string;
  placeCode: string;
  placeName: string;
  reason: string;
  /** 1 for the bill's first package; the next when the bill's state changed after it. */
  version: number;
  /** The bill's state the package holds (null: made before versions were kept). */
  billState: string | null;
  storeKey: string;
  manifestSm3: string;
  partsJson: string;
  totalBytes: number;
  archivedAt: Date;
  retainUntil: Date;
  state: string;
  lastCheckAt: Date | null;
  lastCheckOk: boolean | null;
  lastCheckJson: string | null;
  destroyedAt: Date | null;
}

const PACKAGE_COLUMNS = `id, bill_id, hospital_id, bill_batch_code, bill_no, bill_year, kind_code, kind_name, place_code, place_name, reason, version, bill_state, store_key, manifest_sm3,
  parts_json, total_bytes, archived_at, retain_until, state, last_check_at, last_check_ok, last_check_json, destroyed_at`;

const toPackage = (r: Record<string, any>): PackageRow => ({
  id: Number(r.id),
  billId: Number(r.bill_id),
  hospitalId: Number(r.hospital_id),
  billBatchCode: r.bill_batch_code,
  billNo: r.bill_no,
  year: Number(r.bill_year),
  kindCode: r.kind_code,
  kindName: r.kind_name,
  placeCode: r.place_code,
  placeName: r.place_name,
  reason: r.reason,
  version: Number(r.version ?? 1),
  billState: r.bill_state ?? null,
  storeKey: r.store_key,
  manifestSm3: r.manifest_sm3,
  partsJson: r.parts_json,
  totalBytes: Number(r.total_bytes),
  archivedAt: dbDate(r.archived_at),
  retainUntil: dbDate(r.retain_until),
  state: r.state,
  lastCheckAt: r.last_check_at == null ? null : dbDate(r.last_check_at),
  lastCheckOk: r.last_check_ok == null ? null : Number(r.last_check_ok) === 1 || r.last_check_ok === true,
  lastCheckJson: r.last_check_json ?? null,
  destroyedAt: r.destroyed_at == null ? null : dbDate(r.destroyed_at),
});

export type NewPackage = Omit<PackageRow, 'id' | 'state' | 'lastCheckAt' | 'lastCheckOk' | 'lastCheckJson' | 'destroyedAt'>;

/** Records a package; undefined when the bill already has one of that version (another run archived it first). */
export async function insertPackage(db: Db, p: NewPackage): Promise<number | undefined> {
  try {
    const r = await onConnection<{ insertId: number }>(
      db,
      `insert into archive_package (bill_id, hospital_id, bill_batch_code, bill_no, bill_year, kind_code, kind_name, place_code, place_name, reason, version, bill_state, store_key,
         manifest_sm3, parts_json, total_bytes, archived_at, retain_until, state) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'archived')`,
      [p.billId, p.hospitalId, p.billBatchCode, p.billNo, p.year, p.kindCode, p.kindName.slice(0, 64), p.placeCode, p.placeName.slice(0, 128), p.reason, p.version, p.billState, p.storeKey,
        p.manifestSm3, p.partsJson, p.totalBytes, connectionNow(db, p.archivedAt), connectionNow(db, p.retainUntil)],
      'run',
    );
    return Number(r.insertId);
  } catch (e) {
    if (isUniqueViolation(e)) return undefined;
    throw e;
  }
}

export async function packageById(db: Db, id: number): Promise<PackageRow | undefined> {
  const [r] = await onConnection<Array<Record<string, any>>>(db, `select ${PACKAGE_COLUMNS} from archive_package where id = ?`, [id]);
  return r && toPackage(r);
}

/** Packages still kept (not destroyed), by id after a cursor. */
export async function keptPackagesAfter(db: Db, afterId: number, limit: number): Promise<PackageRow[]> {
  const rows = await onConnection<Array<Record<string, any>>>(db, `select ${PACKAGE_COLUMNS} from archive_package where state = 'archived' and id > ? order by id limit ?`, [afterId, Math.max(1, Math.floor(limit))]);
  return rows.map(toPackage);
}

export async function recordPackageCheck(db: Db, id: number, c: { at: Date; ok: boolean; json: string }): Promise<void> {
  await onConnection(db, 'update archive_package set last_check_at = ?, last_check_ok = ?, last_check_json = ? where id = ?', [connectionNow(db, c.at), c.ok ? 1 : 0, c.json, id], 'run');
}

export interface PackageFilter {
  year?: number;
  kindCode?: string;
  placeCode?: string;
  state?: string;
  /** ok | failed | unchecked */
  check?: string;
  billNo?: string;
}

function where(f: PackageFilter): { w: string; params: unknown[] } {
  const c: string[] = [];
  const params: unknown[] = [];
  if (f.year !== undefined) (c.push('bill_year = ?'), params.push(f.year));
  if (f.kindCode) (c.push('kind_code = ?'), params.push(f.kindCode));
  if (f.placeCode) (c.push('place_code = ?'), params.push(f.placeCode));
  if (f.state) (c.push('state = ?'), params.push(f.state));
  if (f.billNo) (c.push('bill_no = ?'), params.push(f.billNo));
  if (f.check === 'ok') c.push('last_check_ok = 1');
  if (f.check === 'failed') c.push('last_check_ok = 0');
  if (f.check === 'unchecked') c.push('last_check_ok is null');
  return { w: c.length ? ` where ${c.join(' and ')}` : '', params };
}

export async function searchPackages(db: Db, f: PackageFilter, page: { offset: number; limit: number }): Promise<{ total: number; rows: PackageRow[] }> {
  const { w, params } = where(f);
  const [n] = await onConnection<Array<{ n: number | string }>>(db, `select count(*) as n from archive_package${w}`, params);
  const limit = Math.max(1, Math.min(Math.floor(page.limit), 500));
  const offset = Math.max(0, Math.floor(page.offset));
  const rows = await onConnection<Array<Record<string, any>>>(db, `select ${PACKAGE_COLUMNS} from archive_package${w} order by id desc limit ${limit} offset ${offset}`, params);
  return { total: Number(n?.n ?? 0), rows: rows.map(toPackage) };
}

export interface ClassCount {
  year: number;
  kindCode: string;
  kindName: string;
  placeCode: string;
  placeName: string;
  archived: number;
  destroyed: number;
  failed: number;
  bytes: number;
}

/** Packages counted by class (year, bill kind, billing point). */
export async function packageCounts(db: Db): Promise<ClassCount[]> {
  const rows = await onConnection<Array<Record<string, any>>>(
    db,
    `select bill_year, kind_code, max(kind_name) as kind_name, place_code, max(place_name) as place_name,
            sum(case when state = 'archived' then 1 else 0 end) as archived, sum(case when state = 'destroyed' then 1 else 0 end) as destroyed,
            sum(case when state = 'archived' and last_check_ok = 0 then 1 else 0 end) as failed, sum(total_bytes) as bytes
       from archive_package group by bill_year, kind_code, place_code order by bill_year desc, kind_code, place_code`,
  );
  return rows.map((r) => ({
    year: Number(r.bill_year), kindCode: r.kind_code, kindName: r.kind_name, placeCode: r.place_code, placeName: r.place_name,
    archived: Number(r.archived ?? 0), destroyed: Number(r.destroyed ?? 0), failed: Number(r.failed ?? 0), bytes: Number(r.bytes ?? 0),
  }));
}

// ---------------------------------------------------------------------------------------------
// Check runs

export interface CheckRunRow {
  id: number;
  trigger: string;
  actor: string;
  workflowId: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  checked: number;
  passed: number;
  failed: number;
}

const toRun = (r: Record<string, any>): CheckRunRow => ({
  id: Number(r.id), trigger: r.run_trigger, actor: r.actor, workflowId: r.workflow_id ?? null, startedAt: dbDate(r.started_at),
  finishedAt: r.finished_at == null ? null : dbDate(r.finished_at), checked: Number(r.checked), passed: Number(r.passed), failed: Number(r.failed),
});
const RUN_COLUMNS = 'id, run_trigger, actor, workflow_id, started_at, finished_at, checked, passed, failed';

export async function insertCheckRun(db: Db, r: { trigger: string; actor: string; workflowId?: string | null; at: Date }): Promise<number> {
  const res = await onConnection<{ insertId: number }>(
    db,
    'insert into archive_check_run (run_trigger, actor, workflow_id, started_at, checked, passed, failed) values (?, ?, ?, ?, 0, 0, 0)',
    [r.trigger, r.actor.slice(0, 64), r.workflowId ?? null, connectionNow(db, r.at)],
    'run',
  );
  return Number(res.insertId);
}

export async function addCheckCounts(db: Db, runId: number, n: { checked: number; passed: number; failed: number }): Promise<void> {
  await onConnection(db, 'update archive_check_run set checked = checked + ?, passed = passed + ?, failed = failed + ? where id = ?', [n.checked, n.passed, n.failed, runId], 'run');
}

export async function finishCheckRun(db: Db, runId: number, at: Date): Promise<void> {
  await onConnection(db, 'update archive_check_run set finished_at = ? where id = ?', [connectionNow(db, at), runId], 'run');
}

export async function insertCheckFailure(db: Db, f: { runId: number; packageId: number; checks: string; detail: string }): Promise<void> {
  await onConnection(db, 'insert into archive_check_failure (run_id, package_id, checks, detail) values (?, ?, ?, ?)', [f.runId, f.packageId, f.checks.slice(0, 64), f.detail], 'run');
}

export async function checkRunById(db: Db, id: number): Promise<CheckRunRow | undefined> {
  const [r] = await onConnection<Array<Record<string, any>>>(db, `select ${RUN_COLUMNS} from archive_check_run where id = ?`, [id]);
  return r && toRun(r);
}

export async function latestCheckRuns(db: Db, limit: number): Promise<CheckRunRow[]> {
  const rows = await onConnection<Array<Record<string, any>>>(db, `select ${RUN_COLUMNS} from archive_check_run order by id desc limit ${Math.max(1, Math.min(Math.floor(limit), 100))}`);
  return rows.map(toRun);
}

export interface CheckFailureRow {
  packageId: number;
  billBatchCode: string;
  billNo: string;
  checks: string;
  detail: string;
}

export async function failuresOfRun(db: Db, runId: number, limit = 500): Promise<CheckFailureRow[]> {
  const rows = await onConnection<Array<Record<string, any>>>(
    db,
    `select f.package_id, p.bill_batch_code, p.bill_no, f.checks, f.detail from archive_check_failure f join archive_package p on p.id = f.package_id
      where f.run_id = ? order by f.id limit ${Math.max(1, Math.min(Math.floor(limit), 5000))}`,
    [runId],
  );
  return rows.map((r) => ({ packageId: Number(r.package_id), billBatchCode: r.bill_batch_code, billNo: r.bill_no, checks: r.checks, detail: r.detail }));
}

// ---------------------------------------------------------------------------------------------
// The destruction register

export interface DestructionRow {
  id: number;
  packageId: number;
  billBatchCode: string;
  billNo: string;
  manifestSm3: string;
  retainUntil: Date;
  state: string;
  reason: string;
  proposedBy: string;
  proposedByName: string | null;
  proposedAt: Date;
  approvedBy: string | null;
  approvedByName: string | null;
  approvedAt: Date | null;
}

const DESTRUCTION_COLUMNS = 'id, package_id, bill_batch_code, bill_no, manifest_sm3, retain_until, state, reason, proposed_by, proposed_by_name, proposed_at, approved_by, approved_by_name, approved_at';
const toDestruction = (r: Record<string, any>): DestructionRow => ({
  id: Number(r.id), packageId: Number(r.package_id), billBatchCode: r.bill_batch_code, billNo: r.bill_no, manifestSm3: r.manifest_sm3, retainUntil: dbDate(r.retain_until),
  state: r.state, reason: r.reason, proposedBy: r.proposed_by, proposedByName: r.proposed_by_name ?? null, proposedAt: dbDate(r.proposed_at),
  approvedBy: r.approved_by ?? null, approvedByName: r.approved_by_name ?? null, approvedAt: r.approved_at == null ? null : dbDate(r.approved_at),
});

export async function insertDestruction(db: Db, d: { packageId: number; billBatchCode: string; billNo: string; manifestSm3: string; retainUntil: Date; reason: string; proposedBy: string; proposedByName: string | null; at: Date }): Promise<number> {
  const r = await onConnection<{ insertId: number }>(
    db,
    `insert into archive_destruction (package_id, bill_batch_code, bill_no, manifest_sm3, retain_until, state, reason, proposed_by, proposed_by_name, proposed_at)
     values (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?)`,
    [d.packageId, d.billBatchCode, d.billNo, d.manifestSm3, connectionNow(db, d.retainUntil), d.reason, d.proposedBy.slice(0, 64), d.proposedByName?.slice(0, 64) ?? null, connectionNow(db, d.at)],
    'run',
  );
  return Number(r.insertId);
}

export async function destructionById(db: Db, id: number): Promise<DestructionRow | undefined> {
  const [r] = await onConnection<Array<Record<string, any>>>(db, `select ${DESTRUCTION_COLUMNS} from archive_destruction where id = ?`, [id]);
  return r && toDestruction(r);
}

export async function openDestructionOf(db: Db, packageId: number): Promise<DestructionRow | undefined> {
  const [r] = await onConnection<Array<Record<string, any>>>(db, `select ${DESTRUCTION_COLUMNS} from archive_destruction where package_id = ? and state = 'proposed' order by id limit 1`, [packageId]);
  return r && toDestruction(r);
}

/**
 * Approves a proposed destruction and marks its package destroyed, in the caller's transaction. The
 * update of the register row is the compare-and-swap (still proposed, by someone else): false when
 * it was not, and nothing changed.
 */
export async function approveDestructionRow(sql: Sql, id: number, a: { by: string; byName: string | null; at: Date }): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>(
    `update archive_destruction set state = 'approved', approved_by = ?, approved_by_name = ?, approved_at = ? where id = ? and state = 'proposed' and proposed_by <> ?`,
    [a.by.slice(0, 64), a.byName?.slice(0, 64) ?? null, dbNow(sql, a.at), id, a.by.slice(0, 64)],
    'run',
  );
  if (r.affectedRows !== 1) return false;
  await sql.execute(
    `update archive_package set state = 'destroyed', destroyed_at = ? where id = (select package_id from archive_destruction where id = ?) and state = 'archived'`,
    [dbNow(sql, a.at), id],
    'run',
  );
  return true;
}

/** Rejects (or withdraws) a proposed destruction: false when it was not proposed any more. The row stays. */
export async function rejectDestructionRow(db: Db, id: number, a: { by: string; byName: string | null; at: Date }): Promise<boolean> {
  const r = await onConnection<{ affectedRows: number }>(
    db,
    `update archive_destruction set state = 'rejected', approved_by = ?, approved_by_name = ?, approved_at = ? where id = ? and state = 'proposed'`,
    [a.by.slice(0, 64), a.byName?.slice(0, 64) ?? null, connectionNow(db, a.at), id],
    'run',
  );
  return r.affectedRows === 1;
}

export async function listDestructions(db: Db, f: { state?: string; limit: number }): Promise<DestructionRow[]> {
  const rows = await onConnection<Array<Record<string, any>>>(
    db,
    `select ${DESTRUCTION_COLUMNS} from archive_destruction${f.state ? ' where state = ?' : ''} order by id desc limit ${Math.max(1, Math.min(Math.floor(f.limit), 500))}`,
    f.state ? [f.state] : [],
  );
  return rows.map(toDestruction);
}
