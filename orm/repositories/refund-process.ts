/**
 * What a refund's process writes beside its trail (orm/repositories/refunds.ts writeRefundRecord):
 * the money's state at the channel and the bill's outcome, each in the caller's transaction.
 */
import { dbNow, insertRow, type Sql } from '../sql';
import { isUniqueViolation } from '../errors';
import { onConnection, type Db } from './db';
import { billPaymentLines, REFUND_SEALED, type RefundTableRow } from './refunds';
import { openFields } from '../sealed';

export async function refundById(db: Db, refundId: number): Promise<RefundTableRow | undefined> {
  const [r] = await onConnection<RefundTableRow[]>(db, 'select * from refund where id = ?', [refundId]);
  return openFields(db, r, REFUND_SEALED);
}

/** One system line of the refund's trail, once per key (a retried activity records once): false if it was there. */
export async function systemLine(sql: Sql, refundId: number, key: string, action: string, comment: string | null, detail?: Record<string, unknown>): Promise<boolean> {
  try {
    await insertRow(sql, 'refund_action', {
      refund_id: refundId, action_key: key, step_index: null, step_name: null, action, actor: 'system', actor_name: '系统',
      comment, detail: detail ? JSON.stringify(detail) : null, created_at: dbNow(sql),
    });
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false;
    throw e;
  }
}

/** What the channel said of refund `outRefundNo`; a success is never overwritten. */
export async function setMoneyOutcome(sql: Sql, refundId: number, outRefundNo: string, m: { state: string; channelRefundId?: string; successTime?: Date; failReason?: string }): Promise<void> {
  const now = dbNow(sql);
  await sql.execute(
    `update refund set money_state = ?, channel_refund_id = ?, money_at = ?, money_fail_reason = ?, updated_at = ? where id = ? and out_refund_no = ? and money_state <> 'success'`,
    [m.state, m.channelRefundId || null, m.state === 'success' ? (m.successTime ? dbNow(sql, m.successTime) : now) : null, m.failReason?.slice(0, 200) ?? null, now, refundId, outRefundNo],
    'run',
  );
}

/** The channel refused refund `outRefundNo` outright. */
export async function setMoneyRefused(sql: Sql, refundId: number, outRefundNo: string, reason: string): Promise<void> {
  await sql.execute(`update refund set money_state = 'failed', money_fail_reason = ?, updated_at = ? where id = ? and out_refund_no = ? and money_state <> 'success'`, [reason.slice(0, 200), dbNow(sql), refundId, outRefundNo], 'run');
}

/** The channel accepted the refund and is processing it. */
export async function setMoneyProcessing(sql: Sql, refundId: number, channelRefundId: string | undefined): Promise<void> {
  await sql.execute(`update refund set money_state = 'processing', channel_refund_id = ? where id = ? and money_state = 'none'`, [channelRefundId || null, refundId], 'run');
}

/** The refund's bill as its reversal needs it. */
export async function billOfRefund(db: Db, billId: number): Promise<{ bill_batch_code: string; bill_no: string; total_amt: number | string; state: string; place_code: string } | undefined> {
  const [b] = await onConnection<Array<{ bill_batch_code: string; bill_no: string; total_amt: number | string; state: string; place_code: string }>>(
    db,
    'select b.bill_batch_code, b.bill_no, b.total_amt, b.state, p.code as place_code from bill b join billing_point p on p.id = b.place_id where b.id = ?',
    [billId],
  );
  return b;
}

/** The HIS pay channel codes a bill was paid through. */
export const payChannelCodesOfBill = async (db: Db, billId: number): Promise<string[]> => (await billPaymentLines(db.getConnection(), billId)).map((x) => x.channel_code);

/** The bill's reversal waits (paper form out, or still running). */
export async function setBillWaiting(db: Db, refundId: number, reason: string): Promise<void> {
  await onConnection(db, `update refund set bill_state = 'waiting', bill_reason = ? where id = ?`, [reason, refundId]);
}

/** The bill's outcome: reversed, reissued or blocked, with the bills made. */
export async function setBillOutcome(sql: Sql, refundId: number, a: { state: string; redBillId?: number; reissuedBillId?: number; reason?: string }): Promise<void> {
  await sql.execute('update refund set bill_state = ?, red_bill_id = ?, reissued_bill_id = ?, bill_reason = ?, updated_at = ? where id = ?', [a.state, a.redBillId ?? null, a.reissuedBillId ?? null, a.reason ?? null, dbNow(sql), refundId], 'run');
}
