/**
 * The fiscal upload (上传) and accounting (入账) of bills: which bills go next, the batch rows
 * (fiscal_upload_batch), each bill's result, the console's counts and requeue. Every change of a
 * bill is conditional on the state it was read in, so recording twice changes nothing.
 */
import { isUniqueViolation } from '../errors';
import type { Sql } from '../sql';
import { connectionNow, onConnection, type Db } from './db';

// Red bills whose original was rejected cannot go (the fiscal side wants the original first): skipped here.
const ELIGIBLE = `b.upload_state = 'pending' and (b.is_scarlet = 0 or o.upload_state in ('uploaded', 'pending'))`;

/** The hospital of the first bill that can be uploaded, if any. */
export async function nextUploadHospital(db: Db): Promise<number | undefined> {
  const [first] = await onConnection<Array<{ hospital_id: number }>>(db, `select b.hospital_id from bill b left join bill o on o.id = b.related_bill_id where ${ELIGIBLE} order by b.id limit 1`);
  return first ? first.hospital_id : undefined;
}

export interface UploadCandidateRow {
  id: number;
  is_scarlet: number | boolean;
  related_bill_id: number | null;
  related_upload_state: string | null;
  code: string;
}

/** A hospital's bills that can be uploaded, in upload order (with the hospital's code). */
export function uploadCandidatesOf(db: Db, hospitalId: number, limit: number): Promise<UploadCandidateRow[]> {
  return onConnection<UploadCandidateRow[]>(
    db,
    `select b.id, b.is_scarlet, b.related_bill_id, o.upload_state as related_upload_state, h.code
       from bill b left join bill o on o.id = b.related_bill_id join hospital h on h.id = b.hospital_id
      where b.hospital_id = ? and ${ELIGIBLE} order by b.id limit ?`,
    [hospitalId, limit],
  );
}

/** Notes an attempt of a batch (a new `sending` row the first time) and of each of its still pending bills. */
export async function noteUploadAttempt(sql: Sql, a: { batchNo: string; hospitalId: number; billIds: number[]; workflowId?: string }): Promise<void> {
  const now = sql.getPlatform().processDateProperty(new Date());
  const upd = await sql.execute<{ affectedRows: number }>(
    `update fiscal_upload_batch set attempts = attempts + 1, updated_at = ?, workflow_id = coalesce(?, workflow_id) where batch_no = ?`,
    [now, a.workflowId ?? null, a.batchNo],
    'run',
  );
  if (upd.affectedRows === 0) {
    try {
      await sql.execute(
        `insert into fiscal_upload_batch (batch_no, hospital_id, bill_count, first_bill_id, last_bill_id, state, attempts, accepted_count, rejected_count, workflow_id, created_at, updated_at)
         values (?, ?, ?, ?, ?, 'sending', 1, 0, 0, ?, ?, ?)`,
        [a.batchNo, a.hospitalId, a.billIds.length, Math.min(...a.billIds), Math.max(...a.billIds), a.workflowId ?? null, now, now],
        'run',
      );
    } catch (e) {
      if (!isUniqueViolation(e)) throw e; // a concurrent try of the same batch
    }
  }
  const marks = a.billIds.map(() => '?').join(',');
  await sql.execute(`update bill set upload_attempts = upload_attempts + 1 where id in (${marks}) and upload_state = 'pending'`, a.billIds, 'run');
}

/** The last error of a batch still sending (the console shows an outage while it lasts). */
export async function noteUploadError(db: Db, batchNo: string, message: string): Promise<void> {
  await onConnection(db, `update fiscal_upload_batch set last_error = ?, updated_at = ? where batch_no = ? and state = 'sending'`, [message.slice(0, 2000), connectionNow(db), batchNo], 'run');
}

/**
 * A bill's upload result, if it is still pending with the state that was sent (false otherwise:
 * reversed meanwhile, or recorded already).
 */
export async function recordBillUpload(
  sql: Sql,
  r: { billId: number; sentState: string; batchNo: string; at: Date } & ({ accepted: true } | { accepted: false; reason: string }),
): Promise<boolean> {
  const now = sql.getPlatform().processDateProperty(r.at);
  const res = await sql.execute<{ affectedRows: number }>(
    r.accepted
      ? `update bill set upload_state = 'uploaded', uploaded_at = ?, upload_batch_no = ?, upload_reason = null where id = ? and upload_state = 'pending' and state = ?`
      : `update bill set upload_state = 'rejected', upload_batch_no = ?, upload_reason = ? where id = ? and upload_state = 'pending' and state = ?`,
    r.accepted ? [now, r.batchNo, r.billId, r.sentState] : [r.batchNo, r.reason.slice(0, 2000), r.billId, r.sentState],
    'run',
  );
  return res.affectedRows === 1;
}

/** Closes a batch row; the counts add up over re-recordings (the second time nothing was recorded). */
export async function closeUploadBatch(sql: Sql, b: { batchNo: string; state: 'done' | 'rejected'; accepted: number; rejected: number; lastError: string | null; at: Date }): Promise<void> {
  const now = sql.getPlatform().processDateProperty(b.at);
  await sql.execute(
    `update fiscal_upload_batch set state = ?, accepted_count = accepted_count + ?, rejected_count = rejected_count + ?, last_error = ?, updated_at = ?, finished_at = coalesce(finished_at, ?) where batch_no = ?`,
    [b.state, b.accepted, b.rejected, b.lastError, now, now, b.batchNo],
    'run',
  );
}

/** 重新上传: a rejected bill back to pending, with who and when (false if it is not rejected). */
export async function requeueRejectedBill(sql: Sql, billId: number, by: string, at: Date): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>(
    `update bill set upload_state = 'pending', upload_requeued_by = ?, upload_requeued_at = ? where id = ? and upload_state = 'rejected'`,
    [by.slice(0, 64), sql.getPlatform().processDateProperty(at), billId],
    'run',
  );
  return r.affectedRows === 1;
}

export interface UploadSummaryCounts {
  /** Bills per upload state (pending, uploaded, rejected, ...). */
  states: Record<string, number>;
  /** Pending red bills whose original was not accepted: they cannot go yet. */
  held: number;
  /** Uploaded bills, and how many of them are accounted. */
  uploaded: number;
  accounted: number;
}

export async function uploadSummaryCounts(db: Db): Promise<UploadSummaryCounts> {
  const states = await onConnection<Array<{ upload_state: string; n: number | string }>>(db, 'select upload_state, count(*) as n from bill group by upload_state');
  const [held] = await onConnection<Array<{ n: number | string }>>(
    db,
    `select count(*) as n from bill b join bill o on o.id = b.related_bill_id where b.upload_state = 'pending' and b.is_scarlet = 1 and o.upload_state not in ('uploaded', 'pending')`,
  );
  const [acc] = await onConnection<Array<{ accounted: number | string | null; n: number | string }>>(
    db,
    `select sum(case when accounted = 1 then 1 else 0 end) as accounted, count(*) as n from bill where upload_state = 'uploaded'`,
  );
  return {
    states: Object.fromEntries(states.map((r) => [r.upload_state, Number(r.n)])),
    held: Number(held?.n ?? 0),
    uploaded: Number(acc?.n ?? 0),
    accounted: Number(acc?.accounted ?? 0),
  };
}

export interface AccountCandidateRow {
  id: number;
  hospital_id: number;
  code: string;
  bill_batch_code: string;
  bill_no: string;
}

/** Uploaded bills not yet accounted, by id after a cursor (with the hospital's code). */
export function uploadedNotAccounted(db: Db, afterId: number, limit: number): Promise<AccountCandidateRow[]> {
  return onConnection<AccountCandidateRow[]>(
    db,
    `select b.id, b.hospital_id, h.code, b.bill_batch_code, b.bill_no from bill b join hospital h on h.id = b.hospital_id
      where b.upload_state = 'uploaded' and b.accounted = 0 and b.id > ? order by b.id limit ?`,
    [afterId, limit],
  );
}

/** A bill accounted (入账) at the fiscal side's time; false if it was already. */
export async function markAccounted(sql: Sql, billId: number, accountedAt: Date, checkedAt: Date): Promise<boolean> {
  const p = sql.getPlatform();
  const r = await sql.execute<{ affectedRows: number }>('update bill set accounted = 1, accounted_at = ?, account_checked_at = ? where id = ? and accounted = 0', [p.processDateProperty(accountedAt), p.processDateProperty(checkedAt), billId], 'run');
  return r.affectedRows === 1;
}

/** When the not yet accounted ones of these bills were last asked about. */
export async function markAccountChecked(sql: Sql, billIds: number[], at: Date): Promise<void> {
  await sql.execute(`update bill set account_checked_at = ? where id in (${billIds.map(() => '?').join(',')}) and accounted = 0`, [sql.getPlatform().processDateProperty(at), ...billIds], 'run');
}
