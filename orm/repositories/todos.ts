/**
 * The to-do items a person must work (todo): one per (kind, bill), opened, reminded and closed by
 * the bill's processes inside their transactions.
 */
import { dbNow, type Sql } from '../sql';
import { isUniqueViolation } from '../errors';
import { dbDate } from '../sql-values';
import { connectionNow, onConnection, type Db } from './db';

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

/**
 * Opens (or reopens) the to-do of an issuance that gave up on an unexpected error (issue_todo, one
 * per appid and busNo: there is no bill yet to hang a `todo` on).
 */
export async function openIssueTodo(db: Db, t: { appid: string; busNo: string; placeCode: string; workflowId: string; title: string; detail: string; at: Date }): Promise<void> {
  const now = connectionNow(db, t.at);
  try {
    await onConnection(
      db,
      `insert into issue_todo (appid, bus_no, place_code, workflow_id, state, title, detail, created_at) values (?, ?, ?, ?, 'open', ?, ?, ?)`,
      [t.appid, t.busNo, t.placeCode.slice(0, 32), t.workflowId, t.title.slice(0, 200), t.detail, now],
      'run',
    );
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    await onConnection(
      db,
      `update issue_todo set state = 'open', place_code = ?, title = ?, detail = ?, created_at = ?, closed_by = null, closed_at = null where appid = ? and bus_no = ?`,
      [t.placeCode.slice(0, 32), t.title.slice(0, 200), t.detail, now, t.appid, t.busNo],
      'run',
    );
  }
}

/** Closes the issuance to-do of a busNo if one is open (in the transaction that stores its bill). */
export async function closeIssueTodo(sql: Sql, appid: string, busNo: string, c: { closedBy: string; at: Date }): Promise<void> {
  await sql.execute(
    `update issue_todo set state = 'done', closed_by = ?, closed_at = ? where appid = ? and bus_no = ? and state = 'open'`,
    [c.closedBy.slice(0, 64), dbNow(sql, c.at), appid, busNo],
    'run',
  );
}

export interface IssueTodoRow {
  id: number;
  appid: string;
  busNo: string;
  placeCode: string;
  workflowId: string;
  state: string;
  title: string;
  detail: string | null;
  createdAt: Date;
}

/** Issuance to-dos for the console (open, closed or all; one billing point or all). */
export async function issueTodos(db: Db, q: { state: 'open' | 'closed' | 'all'; placeCode?: string; limit?: number }): Promise<IssueTodoRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.state === 'open') where.push(`state = 'open'`);
  if (q.state === 'closed') where.push(`state <> 'open'`);
  if (q.placeCode !== undefined) {
    where.push('place_code = ?');
    params.push(q.placeCode);
  }
  const rows = await onConnection<Array<{ id: number; appid: string; bus_no: string; place_code: string; workflow_id: string; state: string; title: string; detail: string | null; created_at: string | number | Date }>>(
    db,
    `select id, appid, bus_no, place_code, workflow_id, state, title, detail, created_at from issue_todo${where.length ? ` where ${where.join(' and ')}` : ''} order by id desc limit ${Math.min(q.limit ?? 500, 500)}`,
    params,
  );
  return rows.map((r) => ({ id: r.id, appid: r.appid, busNo: r.bus_no, placeCode: r.place_code, workflowId: r.workflow_id, state: r.state, title: r.title, detail: r.detail, createdAt: dbDate(r.created_at) }));
}
