/**
 * The HIS replay guard (his_replay): a verified envelope is claimed before it is executed, and its
 * answer text kept, so that the same envelope again within the window gets the same bytes.
 */
import { isUniqueViolation } from '../errors';
import { dbDate } from '../sql-values';
import { connectionNow, onConnection, type Db } from './db';

export interface EnvelopeKey {
  appid: string;
  noise: string;
  sign: string;
}

export interface ReplayRow {
  id: number;
  state: 'pending' | 'done';
  answer: string | null;
  createdAt: Date;
}

/** Claims an envelope for execution: true if this delivery is the first (a pending row is stored), false if a row exists. */
export async function claimEnvelope(db: Db, k: EnvelopeKey, method: string, at = new Date()): Promise<boolean> {
  try {
    await onConnection(
      db,
      `insert into his_replay (appid, noise, sign, method, state, created_at) values (?, ?, ?, ?, 'pending', ?)`,
      [k.appid, k.noise, k.sign, method.slice(0, 64), connectionNow(db, at)],
      'run',
    );
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

/** The stored row of an envelope, if any. */
export async function replayOf(db: Db, k: EnvelopeKey): Promise<ReplayRow | undefined> {
  const [r] = await onConnection<Array<{ id: number; state: 'pending' | 'done'; answer: string | null; created_at: string | number | Date }>>(
    db,
    'select id, state, answer, created_at from his_replay where appid = ? and noise = ? and sign = ?',
    [k.appid, k.noise, k.sign],
  );
  return r && { id: r.id, state: r.state, answer: r.answer, createdAt: dbDate(r.created_at) };
}

/** Stores the first delivery's answer text. */
export async function finishEnvelope(db: Db, k: EnvelopeKey, answer: string, at = new Date()): Promise<void> {
  await onConnection(
    db,
    `update his_replay set state = 'done', answer = ?, answered_at = ? where appid = ? and noise = ? and sign = ? and state = 'pending'`,
    [answer, connectionNow(db, at), k.appid, k.noise, k.sign],
    'run',
  );
}

/** Forgets a pending claim (the answer was "in progress" or an internal error: the same envelope may run again). */
export async function releaseEnvelope(db: Db, k: EnvelopeKey): Promise<void> {
  await onConnection(db, `delete from his_replay where appid = ? and noise = ? and sign = ? and state = 'pending'`, [k.appid, k.noise, k.sign], 'run');
}

/** Drops one row if it is older than `before` (past the window, or a pending claim abandoned by a crashed process). */
export async function dropReplayBefore(db: Db, id: number, before: Date): Promise<boolean> {
  const r = await onConnection<{ affectedRows: number }>(db, 'delete from his_replay where id = ? and created_at < ?', [id, connectionNow(db, before)], 'run');
  return r.affectedRows === 1;
}

/** Deletes every row older than `before`; returns how many. */
export async function pruneReplays(db: Db, before: Date): Promise<number> {
  const r = await onConnection<{ affectedRows: number }>(db, 'delete from his_replay where created_at < ?', [connectionNow(db, before)], 'run');
  return r.affectedRows;
}
