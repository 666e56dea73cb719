/**
 * Patient data sealed at rest, the data layer's side (the envelope is common/sealed.ts).
 *
 * Sealed columns (SEALED_COLUMNS): the bill's ID number, phone and e-mail (each with an HMAC-SM3
 * blind index `*_bidx` for exact search), its signed text (which holds the ID number) and its
 * extra fields (which hold the noticeList's phone and e-mail); the stored HIS request
 * (issue_request.payload, the whole JSON); every notice target (notification.target: SMS phone,
 * e-mail address, WeChat openid); the refund's phone (refund.tel); a user's TOTP secret
 * (user_totp.secret).
 *
 * Repositories seal on write and open on read, so services see plain values and the database
 * never does: raw statements through sealIn / openIn / blindIndex below, entities through
 * SealedType (orm/entities.ts). The Sealer of an ORM is registered once by openOrm (orm/db.ts)
 * and found again from any of its entity managers, transactions and connections (they share one
 * Platform object).
 *
 * Rows written by an older version (plaintext) keep working: reads pass a value that is not in
 * the envelope through as it is, and sealPlaintextRows (run at every start, after the migrations)
 * seals them. resealAll re-seals every value not under the current key id (npm run rotate-keys).
 */
import type { Platform } from '@mikro-orm/core';
import { Type } from '@mikro-orm/core';
import { Sealer, type IndexKind } from '../common/sealed';
import { MasterKeyProvider, masterKey, type KeySettings } from '../common/keys';
import { isUniqueViolation } from './errors';

type HasPlatform = { getPlatform(): Platform } | { getConnection(): { getPlatform(): Platform } };

const sealers = new WeakMap<Platform, Sealer>();

/** The Sealer of these settings: data keys derived from the master key (common/keys.ts MasterKeyProvider). */
export function sealerFromConfig(cfg: KeySettings & { keys: { dataKeyId: string } }): Sealer {
  return new Sealer(new MasterKeyProvider(masterKey(cfg)), cfg.keys.dataKeyId);
}

export function registerSealer(orm: { em: { getPlatform(): Platform } }, sealer: Sealer): void {
  sealers.set(orm.em.getPlatform(), sealer);
}

const platformOf = (x: HasPlatform | Platform): Platform =>
  'getConnection' in x ? x.getConnection().getPlatform() : 'getPlatform' in x ? x.getPlatform() : (x as Platform);

/** The Sealer of the ORM behind an entity manager, transaction, connection or platform. */
export function sealerOf(x: HasPlatform | Platform): Sealer {
  const s = sealers.get(platformOf(x));
  if (!s) throw new Error('no Sealer registered for this ORM: open it with openOrm(url, { sealer })');
  return s;
}

/** Seals a value for a statement's parameter (null stays null). */
export const sealIn = <T extends string | null | undefined>(db: HasPlatform, v: T): T => sealerOf(db).seal(v);
/** Opens a value read by a statement (a plain value from an older version passes through). */
export const openIn = <T extends string | null | undefined>(db: HasPlatform, v: T): T => sealerOf(db).open(v);
/** The blind index of a value, for a `*_bidx` column or an exact search (null for none). */
export const blindIndex = (db: HasPlatform, kind: IndexKind, v: string | null | undefined): string | null => sealerOf(db).blindIndex(kind, v);

/** Opens the named fields of a row in place (the row as the driver returned it); returns it. */
export function openFields<T extends object | undefined>(db: HasPlatform, row: T, fields: readonly string[]): T {
  if (!row) return row;
  const s = sealerOf(db);
  const r = row as Record<string, unknown>;
  for (const f of fields) if (typeof r[f] === 'string') r[f] = s.open(r[f] as string);
  return row;
}

/**
 * An entity property stored sealed. The entity holds the plain value; the column the envelope.
 * Compared by plain value: a loaded entity is not rewritten because its random IV would differ.
 */
export class SealedType extends Type<string | null | undefined, string | null | undefined> {
  override convertToDatabaseValue(value: string | null | undefined, platform: Platform): string | null | undefined {
    return value === null || value === undefined ? value : sealerOf(platform).seal(value);
  }

  override convertToJSValue(value: string | null | undefined, platform: Platform): string | null | undefined {
    return value === null || value === undefined ? value : sealerOf(platform).open(value);
  }

  override compareAsType(): string {
    return 'string';
  }

  /** The snapshot holds sealed values with random IVs: compare what they open to. */
  override compareValues(a: string | null | undefined, b: string | null | undefined): boolean {
    if (a === b) return true;
    if (a === null || a === undefined || b === null || b === undefined || !this.platform) return false;
    const s = sealerOf(this.platform);
    return s.open(a) === s.open(b);
  }

  override ensureComparable(): boolean {
    return false;
  }

  override getColumnType(): string {
    return 'text';
  }
}

/** A sealed column, with its blind index if the console searches by it. */
export interface SealedColumn {
  table: string;
  column: string;
  bidx?: { column: string; kind: IndexKind };
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'bill', column: 'id_card_no', bidx: { column: 'id_card_bidx', kind: 'idcard' } },
  { table: 'bill', column: 'tel', bidx: { column: 'tel_bidx', kind: 'phone' } },
  { table: 'bill', column: 'email', bidx: { column: 'email_bidx', kind: 'email' } },
  { table: 'bill', column: 'signed_data' },
  { table: 'bill', column: 'extra' },
  { table: 'issue_request', column: 'payload' },
  { table: 'notification', column: 'target' },
  { table: 'refund', column: 'tel', bidx: { column: 'tel_bidx', kind: 'phone' } },
  { table: 'user_totp', column: 'secret' },
];

/** The clinic card number in a bill's extra fields (the JSON text as stored before sealing), if any. */
export function cardNoOfExtra(extra: string | null | undefined): string | undefined {
  if (!extra) return undefined;
  try {
    const v = (JSON.parse(extra) as { cardNo?: unknown } | null)?.cardNo;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bill's sealed contact columns with their blind indexes, for an INSERT or UPDATE; the clinic
 * card's index comes from the extra fields ('' when there is no card: indexed, nothing to find).
 */
export function sealedBillContacts(db: HasPlatform, c: { idCardNo?: string | null; tel?: string | null; email?: string | null; extra?: string | null }): Array<[string, string | null]> {
  const s = sealerOf(db);
  return [
    ['id_card_no', s.seal(c.idCardNo ?? null)],
    ['id_card_bidx', s.blindIndex('idcard', c.idCardNo)],
    ['tel', s.seal(c.tel ?? null)],
    ['tel_bidx', s.blindIndex('phone', c.tel)],
    ['email', s.seal(c.email ?? null)],
    ['email_bidx', s.blindIndex('email', c.email)],
    ['card_no_bidx', s.blindIndex('card', cardNoOfExtra(c.extra)) ?? ''],
  ];
}

/**
 * The console's exact search of a bill by a contact value: its blind index as a phone, an ID
 * number, an e-mail address and a clinic card number (as MikroORM filters on Bill; any of them may match).
 */
export function billContactFilters(db: HasPlatform, v: string): Array<Record<string, string>> {
  const s = sealerOf(db);
  const out: Array<Record<string, string>> = [];
  const tel = s.blindIndex('phone', v);
  const id = s.blindIndex('idcard', v);
  const email = s.blindIndex('email', v);
  const card = s.blindIndex('card', v);
  if (tel) out.push({ telBidx: tel });
  if (id) out.push({ idCardBidx: id });
  if (email) out.push({ emailBidx: email });
  if (card) out.push({ cardNoBidx: card });
  return out;
}

/**
 * The startup step after the migrations: the clinic card index of the bills issued before
 * card_no_bidx existed (their card number is inside the sealed extra fields), in batches by id;
 * '' for a bill without a card, so each row is looked at once. Idempotent and resumable.
 */
export async function indexBillCards(db: Runner, batch = 500): Promise<number> {
  const conn = db.getConnection();
  const s = sealerOf(db);
  let indexed = 0;
  for (let lastId = 0; ; ) {
    const rows = (await conn.execute(
      `select id, extra from bill where id > ? and card_no_bidx is null order by id limit ${Math.trunc(batch)}`,
      [lastId],
    )) as Array<{ id: number; extra: string | null }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      const bidx = s.blindIndex('card', cardNoOfExtra(s.open(r.extra))) ?? '';
      const res = (await conn.execute('update bill set card_no_bidx = ? where id = ? and card_no_bidx is null', [bidx, r.id], 'run')) as { affectedRows: number };
      indexed += res.affectedRows;
    }
    lastId = Number(rows[rows.length - 1].id);
  }
  return indexed;
}

type Runner = { getConnection(): { getPlatform(): Platform; execute(q: string, params?: unknown[], method?: 'all' | 'get' | 'run'): Promise<unknown> } };

export interface ResealProgress {
  table: string;
  column: string;
  /** values re-sealed (or sealed for the first time) */
  sealed: number;
  /** values still not under the target key when the pass ended (changed concurrently: run again) */
  remaining: number;
}

/**
 * Seals every value of one column that is not yet under `toKeyId` (plaintext, or another key id),
 * in batches ordered by id; `onlyPlain` leaves values of other key ids alone. Each row is written
 * with a compare-and-swap on its old value, so a concurrent write wins and a pass can be stopped
 * and run again at any point (resumable, idempotent). The blind index is written with it.
 */
export async function resealColumn(db: Runner, col: SealedColumn, opts: { toKeyId: string; batch: number; onlyPlain?: boolean }): Promise<ResealProgress> {
  const conn = db.getConnection();
  const s = sealerOf(db);
  if (s.currentKeyId !== opts.toKeyId) throw new Error(`this process writes under key ${s.currentKeyId}, not ${opts.toKeyId}`);
  const notTarget = opts.onlyPlain ? `${col.column} not like 'v1:%'` : `${col.column} not like ?`;
  const likeParams = opts.onlyPlain ? [] : [`v1:${opts.toKeyId}:%`];
  let sealed = 0;
  for (let lastId = 0; ; ) {
    const rows = (await conn.execute(
      `select id, ${col.column} as v from ${col.table} where id > ? and ${col.column} is not null and ${notTarget} order by id limit ${Math.trunc(opts.batch)}`,
      [lastId, ...likeParams],
    )) as Array<{ id: number; v: string }>;
    if (rows.length === 0) break;
    for (const r of rows) {
      const plain = s.open(r.v);
      const sets = [`${col.column} = ?`];
      const params: unknown[] = [s.seal(plain)];
      if (col.bidx) {
        sets.push(`${col.bidx.column} = ?`);
        params.push(s.blindIndex(col.bidx.kind, plain));
      }
      const res = (await conn.execute(`update ${col.table} set ${sets.join(', ')} where id = ? and ${col.column} = ?`, [...params, r.id, r.v], 'run')) as { affectedRows: number };
      sealed += res.affectedRows;
    }
    lastId = Number(rows[rows.length - 1].id);
  }
  const [left] = (await conn.execute(`select count(*) as n from ${col.table} where ${col.column} is not null and ${notTarget}`, likeParams)) as Array<{ n: number | string }>;
  return { table: col.table, column: col.column, sealed, remaining: Number(left.n) };
}

/** Every sealed column re-sealed under `toKeyId` (npm run rotate-keys). */
export async function resealAll(db: Runner, opts: { toKeyId: string; batch: number; onlyPlain?: boolean; onProgress?: (p: ResealProgress) => void }): Promise<ResealProgress[]> {
  const out: ResealProgress[] = [];
  for (const col of SEALED_COLUMNS) {
    const p = await resealColumn(db, col, opts);
    opts.onProgress?.(p);
    out.push(p);
  }
  return out;
}

/** The startup step: seals the plaintext values an older version wrote (values of other key ids stay). */
export async function sealPlaintextRows(db: Runner, batch = 500): Promise<ResealProgress[]> {
  return resealAll(db, { toKeyId: sealerOf(db).currentKeyId, batch, onlyPlain: true });
}

/** How many values of each key id (and plaintext, `plain`) every sealed column holds. */
export async function sealedKeyCensus(db: Runner): Promise<Record<string, number>> {
  const conn = db.getConnection();
  const out: Record<string, number> = {};
  for (const col of SEALED_COLUMNS) {
    const rows = (await conn.execute(
      `select case when ${col.column} like 'v1:%' then substr(${col.column}, 4, instr(substr(${col.column}, 4), ':') - 1) else 'plain' end as k, count(*) as n
         from ${col.table} where ${col.column} is not null group by k`,
    )) as Array<{ k: string; n: number | string }>;
    for (const r of rows) out[r.k] = (out[r.k] ?? 0) + Number(r.n);
  }
  return out;
}

/** Records a data key id's state in sealing_key (`current` when a rotation to it starts, `retired` when no value is under it any more). */
export async function recordKeyState(db: Runner, keyId: string, state: 'current' | 'retiring' | 'retired'): Promise<void> {
  const conn = db.getConnection();
  const now = conn.getPlatform().processDateProperty(new Date());
  const res = (await conn.execute('update sealing_key set state = ?, updated_at = ? where key_id = ?', [state, now, keyId], 'run')) as { affectedRows: number };
  if (res.affectedRows > 0) return;
  try {
    await conn.execute('insert into sealing_key (key_id, state, created_at, updated_at) values (?, ?, ?, ?)', [keyId, state, now, now], 'run');
  } catch (e) {
    if (!isUniqueViolation(e)) throw e; // another process of the platform recorded it first
  }
}

export async function keyStates(db: Runner): Promise<Array<{ key_id: string; state: string }>> {
  return (await db.getConnection().execute('select key_id, state from sealing_key order by id')) as Array<{ key_id: string; state: string }>;
}

/**
 * At start: the data key id this process writes under is recorded as current (an id new to the
 * table turns the other current ones into `retiring`, which rotate-keys re-seals); an id that
 * rotate-keys retired is refused, so a process started with an old MEDBILL_DATA_KEY_ID cannot
 * write under it again.
 */
export async function noteKeyInUse(db: Runner, keyId: string): Promise<void> {
  const states = await keyStates(db);
  const mine = states.find((k) => k.key_id === keyId);
  if (mine?.state === 'retired') throw new Error(`MEDBILL_DATA_KEY_ID: data key "${keyId}" was retired by rotate-keys; set the current key id (${states.filter((k) => k.state === 'current').map((k) => k.key_id).join(', ') || 'none'})`);
  if (mine) return;
  for (const k of states) if (k.state === 'current') await recordKeyState(db, k.key_id, 'retiring');
  await recordKeyState(db, keyId, 'current');
}

export interface RotationReport {
  toKeyId: string;
  columns: ResealProgress[];
  /** values per key id (and `plain`) after the pass */
  census: Record<string, number>;
  /** key ids marked retired by this pass (no value under them any more) */
  retired: string[];
  /** true when every sealed value is under `toKeyId` */
  done: boolean;
}

/**
 * A key rotation (npm run rotate-keys): `toKeyId` recorded as current (the others retiring), every
 * sealed value not under it re-sealed in batches (plaintext included), then each other key id
 * under which no value is left marked retired. The db's Sealer must write under `toKeyId`; values
 * under the old ids are read with them until the pass is through. Stopped halfway, the next run
 * goes on where it stopped; run again after it is done, it changes nothing.
 */
export async function rotateKeys(db: Runner, opts: { toKeyId: string; batch: number; onProgress?: (p: ResealProgress) => void }): Promise<RotationReport> {
  if (sealerOf(db).currentKeyId !== opts.toKeyId) throw new Error(`the Sealer writes under ${sealerOf(db).currentKeyId}, not ${opts.toKeyId}`);
  const before = await keyStates(db);
  for (const k of before) if (k.key_id !== opts.toKeyId && k.state === 'current') await recordKeyState(db, k.key_id, 'retiring');
  await recordKeyState(db, opts.toKeyId, 'current');
  const columns = await resealAll(db, { toKeyId: opts.toKeyId, batch: opts.batch, onProgress: opts.onProgress });
  const census = await sealedKeyCensus(db);
  const retired: string[] = [];
  for (const k of await keyStates(db)) {
    if (k.key_id === opts.toKeyId || k.state === 'retired' || census[k.key_id]) continue;
    await recordKeyState(db, k.key_id, 'retired');
    retired.push(k.key_id);
  }
  const done = Object.keys(census).every((k) => k === opts.toKeyId);
  return { toKeyId: opts.toKeyId, columns, census, retired, done };
}
