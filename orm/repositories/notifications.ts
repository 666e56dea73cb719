/**
 * A bill's patient notices (notification): one row per bill, channel and purpose (the issuance
 * notice or one resend request), which remembers a sent notice so it is sent at most once. The
 * target (phone, e-mail, openid) is sealed at rest (orm/sealed.ts).
 */
import { isUniqueViolation } from '../errors';
import type { Sql } from '../sql';
import { connectionNow, onConnection, type Db } from './db';
import { openFields, sealIn } from '../sealed';

export interface NoticeRow {
  id: number;
  status: string;
  attempts: number;
  target: string;
}

export async function findNotice(db: Db, billId: number, channel: string, purpose: string): Promise<NoticeRow | undefined> {
  const [row] = await onConnection<NoticeRow[]>(db, 'select id, status, attempts, target from notification where bill_id = ? and channel = ? and purpose = ?', [billId, channel, purpose]);
  return openFields(db, row, ['target']);
}

/** A pending notice (nothing when a concurrent attempt opened it first). */
export async function openNotice(db: Db, n: { billId: number; channel: string; purpose: string; actor: string; target: string }): Promise<void> {
  try {
    await onConnection(
      db,
      `insert into notification (bill_id, channel, purpose, actor, target, status, attempts, created_at) values (?, ?, ?, ?, ?, 'pending', 0, ?)`,
      [n.billId, n.channel, n.purpose, n.actor.slice(0, 64), sealIn(db, n.target), connectionNow(db)],
      'run',
    );
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
}

export async function markNoticeSent(sql: Sql, noticeId: number, providerId: string): Promise<void> {
  await sql.execute(
    `update notification set status = 'sent', attempts = attempts + 1, provider_id = ?, sent_at = ?, last_error = null where id = ?`,
    [providerId.slice(0, 64), sql.getPlatform().processDateProperty(new Date()), noticeId],
    'run',
  );
}

/** An attempt failed: `failed` for good (a permanent refusal), else still `pending` (retried). */
export async function markNoticeAttemptFailed(sql: Sql, noticeId: number, permanent: boolean, message: string): Promise<void> {
  await sql.execute(`update notification set status = ?, attempts = attempts + 1, last_error = ? where id = ?`, [permanent ? 'failed' : 'pending', message, noticeId], 'run');
}
