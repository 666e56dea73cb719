/**
 * Console sessions, sign-in guards and password history (services/sign-in.ts decides; this file
 * only reads and writes the rows). The session id stored is the HMAC of the cookie's token.
 */
import { dbNow, forUpdate, retryTransaction, type Sql } from '../sql';
import { dbDate } from '../sql-values';
import { openIn, sealIn } from '../sealed';

export interface SessionRow {
  id: string;
  userId: number;
  address: string;
  createdAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
  /** Set for a session opened by single sign-on: the identity platform's issuer. */
  ssoIssuer: string | null;
}

type DbTime = string | number | Date;
const dateOrNull = (v: DbTime | null | undefined): Date | null => (v === null || v === undefined ? null : dbDate(v));

type Raw = { id: string; user_id: number; address: string; created_at: DbTime; last_seen_at: DbTime; revoked_at: DbTime | null; sso_issuer: string | null };
const toRow = (r: Raw): SessionRow => ({
  id: r.id,
  userId: Number(r.user_id),
  address: r.address,
  createdAt: dbDate(r.created_at),
  lastSeenAt: dbDate(r.last_seen_at),
  revokedAt: dateOrNull(r.revoked_at),
  ssoIssuer: r.sso_issuer ?? null,
});

export async function insertSession(sql: Sql, s: { id: string; userId: number; address: string; userAgent: string; at: Date; sso?: { issuer: string; idToken: string } }): Promise<void> {
  await sql.execute(
    'insert into console_session (id, user_id, address, user_agent, created_at, last_seen_at, sso_issuer, sso_id_token) values (?, ?, ?, ?, ?, ?, ?, ?)',
    [s.id, s.userId, s.address.slice(0, 64), s.userAgent.slice(0, 200), dbNow(sql, s.at), dbNow(sql, s.at), s.sso?.issuer ?? null, s.sso ? sealIn(sql, s.sso.idToken) : null],
    'run',
  );
}

/**
 * The ID token a single sign-on session was opened with (for the identity platform's logout), if
 * any. Stored sealed (it names the person and is a bearer of their sign-in at the IdP): a session
 * lives hours, so it is left out of the rotation pass (SEALED_COLUMNS); an old key id still opens.
 */
export async function ssoIdTokenOf(sql: Sql, id: string): Promise<string | undefined> {
  const [r] = await sql.execute<Array<{ sso_id_token: string | null }>>('select sso_id_token from console_session where id = ?', [id]);
  return r?.sso_id_token ? openIn(sql, r.sso_id_token) : undefined;
}

/** Records an authorization request in flight (single sign-on): its state's hash, PKCE verifier and nonce. */
export async function insertOidcLogin(sql: Sql, r: { stateHash: string; verifier: string; nonce: string; at: Date }): Promise<void> {
  await sql.execute('insert into oidc_login (state_hash, verifier, nonce, created_at) values (?, ?, ?, ?)', [r.stateHash, r.verifier, r.nonce, dbNow(sql, r.at)], 'run');
}

/**
 * Takes an authorization request in flight: reads and deletes its row; only the caller whose delete
 * removed it gets it (a state is used once, even by parallel callbacks). Undefined when unknown,
 * used or begun before `notBefore`.
 */
export async function takeOidcLogin(sql: Sql, stateHash: string, notBefore: Date): Promise<{ verifier: string; nonce: string } | undefined> {
  const [r] = await sql.execute<Array<{ verifier: string; nonce: string; created_at: DbTime }>>('select verifier, nonce, created_at from oidc_login where state_hash = ?', [stateHash]);
  if (!r) return undefined;
  const d = await sql.execute<{ affectedRows: number }>('delete from oidc_login where state_hash = ?', [stateHash], 'run');
  if (d.affectedRows !== 1 || dbDate(r.created_at) < notBefore) return undefined;
  return { verifier: r.verifier, nonce: r.nonce };
}

/** Deletes authorization requests begun before `before` (never finished). */
export async function pruneOidcLogins(sql: Sql, before: Date): Promise<number> {
  const r = await sql.execute<{ affectedRows: number }>('delete from oidc_login where created_at < ?', [dbNow(sql, before)], 'run');
  return r.affectedRows;
}

export async function sessionById(sql: Sql, id: string): Promise<SessionRow | undefined> {
  const [r] = await sql.execute<Raw[]>('select id, user_id, address, created_at, last_seen_at, revoked_at, sso_issuer from console_session where id = ?', [id]);
  return r && toRow(r);
}

/** The sessions of a user that are not revoked (newest first); the service filters out the ended ones. */
export async function openSessionsOf(sql: Sql, userId: number): Promise<SessionRow[]> {
  const rows = await sql.execute<Raw[]>('select id, user_id, address, created_at, last_seen_at, revoked_at, sso_issuer from console_session where user_id = ? and revoked_at is null order by created_at desc', [userId]);
  return rows.map(toRow);
}

export async function touchSession(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.execute('update console_session set last_seen_at = ? where id = ? and revoked_at is null', [dbNow(sql, at), id], 'run');
}

export async function revokeSession(sql: Sql, id: string, reason: string, at: Date): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>('update console_session set revoked_at = ?, revoked_reason = ? where id = ? and revoked_at is null', [dbNow(sql, at), reason.slice(0, 32), id], 'run');
  return r.affectedRows === 1;
}

/** Revokes every open session of a user but `keep` (the one that changed the password); returns how many. */
export async function revokeSessionsOf(sql: Sql, userId: number, reason: string, at: Date, keep?: string): Promise<number> {
  const r = await sql.execute<{ affectedRows: number }>(
    `update console_session set revoked_at = ?, revoked_reason = ? where user_id = ? and revoked_at is null${keep ? ' and id <> ?' : ''}`,
    [dbNow(sql, at), reason.slice(0, 32), userId, ...(keep ? [keep] : [])],
    'run',
  );
  return r.affectedRows;
}

/** Deletes sessions that began before `before` (past the absolute lifetime, so ended whatever their state). */
export async function pruneSessions(sql: Sql, before: Date): Promise<number> {
  const r = await sql.execute<{ affectedRows: number }>('delete from console_session where created_at < ?', [dbNow(sql, before)], 'run');
  return r.affectedRows;
}

export interface GuardRow {
  failures: number;
  lockedUntil: Date | null;
}

async function readGuard(sql: Sql, username: string, lock: string): Promise<GuardRow | undefined> {
  const [r] = await sql.execute<Array<{ failures: number; locked_until: DbTime | null }>>(`select failures, locked_until from login_guard where username = ?${lock}`, [username]);
  return r && { failures: Number(r.failures), lockedUntil: dateOrNull(r.locked_until) };
}

export const loginGuardOf = (sql: Sql, username: string) => readGuard(sql, username, '');

/**
 * Reads and rewrites a user name's guard in one transaction (the row locked on MySQL), so that
 * parallel wrong passwords each count: `next` computes the new state from the stored one.
 */
export async function updateLoginGuard(sql: Sql, username: string, next: (g: GuardRow | undefined) => GuardRow, at: Date): Promise<GuardRow> {
  return retryTransaction(() =>
    sql.transactional(async (tx) => {
      const before = await readGuard(tx, username, forUpdate(tx));
      const g = next(before);
      const params = [g.failures, g.lockedUntil ? dbNow(tx, g.lockedUntil) : null, dbNow(tx, at), username];
      if (before) await tx.execute('update login_guard set failures = ?, locked_until = ?, updated_at = ? where username = ?', params, 'run');
      // A parallel first failure may win the insert: retryTransaction runs this again, which then updates.
      else await tx.execute('insert into login_guard (failures, locked_until, updated_at, username) values (?, ?, ?, ?)', params, 'run');
      return g;
    }),
  );
}

export async function clearLoginGuard(sql: Sql, username: string): Promise<void> {
  await sql.execute('delete from login_guard where username = ?', [username], 'run');
}

/** Deletes guards not touched since `before` whose lock (if any) has run out. */
export async function pruneLoginGuards(sql: Sql, before: Date): Promise<number> {
  const r = await sql.execute<{ affectedRows: number }>('delete from login_guard where updated_at < ? and (locked_until is null or locked_until < ?)', [dbNow(sql, before), dbNow(sql, before)], 'run');
  return r.affectedRows;
}

/** The user's previous password hashes, newest first. */
export async function passwordHistoryOf(sql: Sql, userId: number, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const rows = await sql.execute<Array<{ password_hash: string }>>('select password_hash from password_history where user_id = ? order by id desc', [userId]);
  return rows.slice(0, n).map((r) => r.password_hash);
}

export async function addPasswordHistory(sql: Sql, userId: number, hash: string, at: Date): Promise<void> {
  await sql.execute('insert into password_history (user_id, password_hash, created_at) values (?, ?, ?)', [userId, hash, dbNow(sql, at)], 'run');
}
