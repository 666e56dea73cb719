/**
 * The state of a business object as the operation log keeps it before and after a console change
 * (issue 14 point 4): the columns a change moves (state, stage, amounts, numbers, who and when),
 * never the patient's name, ID number, phone or the items (those stay in the object's own record).
 */
import { onConnection, type Db } from './db';

export type SnapshotRow = Record<string, unknown>;

async function one(db: Db, q: string, id: number): Promise<SnapshotRow | undefined> {
  const [row] = await onConnection<SnapshotRow[]>(db, q, [id]);
  return row;
}

export const billSnapshotRow = (db: Db, id: number) =>
  one(db, `select b.id, b.bill_batch_code, b.bill_no, b.bus_no, b.total_amt, b.state, b.is_scarlet, b.scarlet_bill_id, b.write_off_reason,
                  b.write_off_operator, b.reversed_at, b.paper_state, b.paper_bill_batch_code, b.paper_bill_no, b.upload_state,
                  b.upload_requeued_by, (select count(*) from notification n where n.bill_id = b.id) as notices
             from bill b where b.id = ?`, id);

export const refundSnapshotRow = (db: Db, id: number) =>
  one(db, `select id, refund_no, bill_id, amount, state, step_index, step_assignee, step_overdue, version, money_state, voucher_no,
                  bill_state, red_bill_id, reissued_bill_id, reject_reason
             from refund where id = ?`, id);

export const requisitionSnapshotRow = (db: Db, id: number) =>
  one(db, `select r.id, r.requisition_no, r.state, r.revision, r.remark, r.fiscal_requisition_no, r.reviewer, r.submitted_at, r.stocked_by,
                  r.stocked_at, (select count(*) from requisition_line l where l.requisition_id = r.id) as line_count
             from requisition r where r.id = ?`, id);

export const todoSnapshotRow = (db: Db, id: number) =>
  one(db, 'select id, kind, bill_id, state, remind_count, closed_by, closed_at from todo where id = ?', id);
