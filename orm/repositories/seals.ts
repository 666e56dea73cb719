/** The hospital's seals (seal) and the seal a bill's layout printed (bill.seal_id). */
import { connectionNow, onConnection, type Db } from './db';

export interface SealRow {
  id: number;
  hospital_id: number;
  kind: string;
  name: string;
  code: string;
  key_id: string;
  image_base64: string;
  image_sha256: string;
  valid_from: unknown;
  valid_to: unknown;
  created_by: string;
  created_at: unknown;
  updated_by: string;
  updated_at: unknown;
}

export interface SealFields {
  kind: string;
  name: string;
  code: string;
  keyId: string;
  imageBase64: string;
  imageSha256: string;
  validFrom: Date;
  validTo: Date | null;
}

const COLUMNS = 'id, hospital_id, kind, name, code, key_id, image_base64, image_sha256, valid_from, valid_to, created_by, created_at, updated_by, updated_at';
const num = (r: SealRow | undefined) => (r ? { ...r, id: Number(r.id), hospital_id: Number(r.hospital_id) } : undefined);

export async function sealsOf(db: Db, hospitalId: number): Promise<SealRow[]> {
  const rows = await onConnection<SealRow[]>(db, `select ${COLUMNS} from seal where hospital_id = ? order by kind, valid_from desc, id desc`, [hospitalId]);
  return rows.map((r) => num(r)!);
}

export async function sealById(db: Db, id: number): Promise<SealRow | undefined> {
  const [r] = await onConnection<SealRow[]>(db, `select ${COLUMNS} from seal where id = ?`, [id]);
  return num(r);
}

/** The seal of `kind` valid at `at` (valid_from <= at < valid_to), the latest begun if several. */
export async function sealValidAt(db: Db, hospitalId: number, kind: string, at: Date): Promise<SealRow | undefined> {
  const t = connectionNow(db, at);
  const [r] = await onConnection<SealRow[]>(
    db,
    `select ${COLUMNS} from seal where hospital_id = ? and kind = ? and valid_from <= ? and (valid_to is null or valid_to > ?) order by valid_from desc, id desc limit 1`,
    [hospitalId, kind, t, t],
  );
  return num(r);
}

/** Seals of `kind` whose validity meets [from, to) (to null: open), other than `exceptId`. */
export async function overlappingSeals(db: Db, hospitalId: number, kind: string, from: Date, to: Date | null, exceptId = 0): Promise<Array<{ id: number; code: string }>> {
  const params: unknown[] = [hospitalId, kind, exceptId, connectionNow(db, from)];
  let q = 'select id, code from seal where hospital_id = ? and kind = ? and id <> ? and (valid_to is null or valid_to > ?)';
  if (to) {
    q += ' and valid_from < ?';
    params.push(connectionNow(db, to));
  }
  return (await onConnection<Array<{ id: number; code: string }>>(db, q, params)).map((r) => ({ id: Number(r.id), code: r.code }));
}

export async function insertSeal(db: Db, hospitalId: number, s: SealFields, actor: string, at: Date): Promise<number> {
  const now = connectionNow(db, at);
  const res = await onConnection<{ insertId?: number; lastInsertRowid?: number } & Array<unknown>>(
    db,
    `insert into seal (hospital_id, kind, name, code, key_id, image_base64, image_sha256, valid_from, valid_to, created_by, created_at, updated_by, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [hospitalId, s.kind, s.name, s.code, s.keyId, s.imageBase64, s.imageSha256, connectionNow(db, s.validFrom), s.validTo ? connectionNow(db, s.validTo) : null, actor, now, actor, now],
    'run',
  );
  const id = Number(res.insertId ?? res.lastInsertRowid);
  if (id) return id;
  const [row] = await onConnection<Array<{ id: number }>>(db, 'select id from seal where hospital_id = ? and code = ?', [hospitalId, s.code]);
  return Number(row.id);
}

export async function updateSeal(db: Db, id: number, s: SealFields, actor: string, at: Date): Promise<void> {
  await onConnection(
    db,
    `update seal set kind = ?, name = ?, code = ?, key_id = ?, image_base64 = ?, image_sha256 = ?, valid_from = ?, valid_to = ?, updated_by = ?, updated_at = ? where id = ?`,
    [s.kind, s.name, s.code, s.keyId, s.imageBase64, s.imageSha256, connectionNow(db, s.validFrom), s.validTo ? connectionNow(db, s.validTo) : null, actor, connectionNow(db, at), id],
    'run',
  );
}

/** Records the seal a bill's layout file printed. */
export async function recordBillSeal(db: Db, billId: number, sealId: number | null): Promise<void> {
  await onConnection(db, 'update bill set seal_id = ? where id = ?', [sealId, billId], 'run');
}

/** How many bills printed the seal. */
export async function billsWithSeal(db: Db, sealId: number): Promise<number> {
  const [r] = await onConnection<Array<{ n: number | string }>>(db, 'select count(*) as n from bill where seal_id = ?', [sealId]);
  return Number(r.n);
}
