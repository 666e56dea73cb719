/**
 * The TOTP rows of console users (services/mfa.ts decides; this file reads and writes them). The
 * secret is sealed on write and opened on read; recovery codes are stored as SHA-256 only. The
 * step and recovery-code updates are compare-and-swap, so two sign-ins racing with one code or one
 * recovery code cannot both succeed.
 */
import { dbNow, type Sql } from '../sql';
import { dbDate } from '../sql-values';
import { openIn, sealIn } from '../sealed';

export interface TotpRow {
  userId: number;
  /** The base32 secret (opened). */
  secret: string;
  confirmedAt: Date | null;
  lastStep: number | null;
  /** SHA-256 (hex) of the unused recovery codes. */
  recovery: string[];
}

type DbTime = string | number | Date;
type Raw = { user_id: number; secret: string; confirmed_at: DbTime | null; last_step: number | string | null; recovery_json: string | null };

const parseRecovery = (v: string | null): string[] => {
  if (!v) return [];
  try {
    const a = JSON.parse(v) as unknown;
    return Array.isArray(a) ? a.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

export async function totpOf(sql: Sql, userId: number): Promise<TotpRow | undefined> {
  const [r] = await sql.execute<Raw[]>('select user_id, secret, confirmed_at, last_step, recovery_json from user_totp where user_id = ?', [userId]);
  if (!r) return undefined;
  return {
    userId: Number(r.user_id),
    secret: openIn(sql, r.secret),
    confirmedAt: r.confirmed_at === null ? null : dbDate(r.confirmed_at),
    lastStep: r.last_step === null ? null : Number(r.last_step),
    recovery: parseRecovery(r.recovery_json),
  };
}

/** A new, unconfirmed secret for the user (replaces an unconfirmed one; a confirmed one is never replaced here). Returns false when one is confirmed. */
export async function putPendingTotp(sql: Sql, userId: number, secret: string, at: Date): Promise<boolean> {
  const sealed = sealIn(sql, secret);
  const up = await sql.execute<{ affectedRows: number }>('update user_totp set secret = ?, updated_at = ? where user_id = ? and confirmed_at is null', [sealed, dbNow(sql, at), userId], 'run');
  if (up.affectedRows === 1) return true;
  const [exists] = await sql.execute<Array<{ n: number }>>('select 1 as n from user_totp where user_id = ?', [userId]);
  if (exists) return false;
  await sql.execute('insert into user_totp (user_id, secret, confirmed_at, last_step, recovery_json, created_at, updated_at) values (?, ?, null, null, null, ?, ?)', [userId, sealed, dbNow(sql, at), dbNow(sql, at)], 'run');
  return true;
}

/** Confirms the pending secret with the step of the code that proved it, storing the recovery-code hashes. False when it was confirmed meanwhile. */
export async function confirmTotp(sql: Sql, userId: number, step: number, recoveryHashes: string[], at: Date): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>(
    'update user_totp set confirmed_at = ?, last_step = ?, recovery_json = ?, updated_at = ? where user_id = ? and confirmed_at is null',
    [dbNow(sql, at), step, JSON.stringify(recoveryHashes), dbNow(sql, at), userId],
    'run',
  );
  return r.affectedRows === 1;
}

/** Records an accepted step; false when a step as late or later was accepted meanwhile (a replayed code). */
export async function useTotpStep(sql: Sql, userId: number, step: number, at: Date): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>(
    'update user_totp set last_step = ?, updated_at = ? where user_id = ? and confirmed_at is not null and (last_step is null or last_step < ?)',
    [step, dbNow(sql, at), userId, step],
    'run',
  );
  return r.affectedRows === 1;
}

/** Spends one recovery code (by hash); false when it is not (or no longer) among the unused ones. */
export async function useRecoveryCode(sql: Sql, userId: number, hash: string, at: Date): Promise<boolean> {
  const [r] = await sql.execute<Array<{ recovery_json: string | null }>>('select recovery_json from user_totp where user_id = ? and confirmed_at is not null', [userId]);
  if (!r) return false;
  const left = parseRecovery(r.recovery_json);
  if (!left.includes(hash)) return false;
  const res = await sql.execute<{ affectedRows: number }>(
    'update user_totp set recovery_json = ?, updated_at = ? where user_id = ? and recovery_json = ?',
    [JSON.stringify(left.filter((h) => h !== hash)), dbNow(sql, at), userId, r.recovery_json],
    'run',
  );
  return res.affectedRows === 1;
}

/** Replaces the unused recovery codes (a new set shown once). */
export async function replaceRecoveryCodes(sql: Sql, userId: number, hashes: string[], at: Date): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>('update user_totp set recovery_json = ?, updated_at = ? where user_id = ? and confirmed_at is not null', [JSON.stringify(hashes), dbNow(sql, at), userId], 'run');
  return r.affectedRows === 1;
}

/** Removes the user's authenticator (the security administrator's reset); the user enrols again. */
export async function deleteTotp(sql: Sql, userId: number): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>('delete from user_totp where user_id = ?', [userId], 'run');
  return r.affectedRows === 1;
}
