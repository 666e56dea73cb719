/**
 * The to-do items a person must work (todo): one per (kind, bill), opened, reminded and closed by
 * the bill's processes inside their transactions.
 */
import { dbNow, type Sql } from '../sql';

export interface TodoFields {
  placeCode: string;
  workflowId: string;
  title: string;
  detail: string | null;
  createdAt: Date;
  remindAt: Date | null;
}

/** The bill's to-do of that kind (any state), if it ever had one. */
export async function todoOfBill(sql: Sql, kind: string, billId: number): Promise<{ id: number; state: string } | undefined> {
  const [row] = await sql.execute<Array<{ id: number; state: string }>>('select id, state from todo where kind = ? and bill_id = ?', [kind, billId]);
  return row;
}

/** Opens a closed to-do again, as new (reminders start over). */
export async function reopenTodo(sql: Sql, id: number, t: TodoFields): Promise<void> {
  await sql.execute(
    `update todo set state = 'open', place_code = ?, workflow_id = ?, title = ?, detail = ?, created_at = ?, remind_at = ?, remind_count = 0,
            last_reminded_at = null, closed_by = null, closed_at = null where id = ?`,
    [t.placeCode, t.workflowId, t.title, t.detail, dbNow(sql, t.createdAt), t.remindAt ? dbNow(sql, t.remindAt) : null, id],
    'run',
  );
}

/** Opens the bill's first to-do of that kind (a unique violation if a concurrent attempt did). */
export async function insertTodo(sql: Sql, kind: string, billId: number, t: TodoFields): Promise<void> {
  await sql.execute(
    `insert into todo (kind, bill_id, place_code, workflow_id, state, title, detail, created_at, remind_at, remind_count) values (?, ?, ?, ?, 'open', ?, ?, ?, ?, 0)`,
    [kind, billId, t.placeCode, t.workflowId, t.title, t.detail, dbNow(sql, t.createdAt), t.remindAt ? dbNow(sql, t.remindAt) : null],
    'run',
  );
}

/** Closes the bill's to-do of that kind if it is open; true if it was. */
export async function closeOpenTodo(sql: Sql, kind: string, billId: number, c: { state: 'done' | 'cancelled'; closedBy: string; at: Date }): Promise<boolean> {
  const r = await sql.execute<{ affectedRows: number }>(
    `update todo set state = ?, closed_by = ?, closed_at = ? where kind = ? and bill_id = ? and state = 'open'`,
    [c.state, c.closedBy.slice(0, 64), dbNow(sql, c.at), kind, billId],
    'run',
  );
  return r.affectedRows === 1;
}

/**
 * Counts the `count`-th reminder of the bill's open paper-recovery to-do, only if it had count-1
 * (so a retried reminder counts once); true if it did.
 */
export async function countPaperReminder(sql: Sql, billId: number, r: { count: number; at: Date; nextRemindAt: Date }): Promise<boolean> {
  const res = await sql.execute<{ affectedRows: number }>(
    `update todo set remind_count = ?, last_reminded_at = ?, remind_at = ? where kind = 'paper_recovery' and bill_id = ? and state = 'open' and remind_count = ?`,
    [r.count, dbNow(sql, r.at), dbNow(sql, r.nextRemindAt), billId, r.count - 1],
    'run',
  );
  return res.affectedRows === 1;
}
