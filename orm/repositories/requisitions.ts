/**
 * Bill-stock requisitions (票据申领): the requisition row, its lines, its timeline
 * (requisition_event) and the segments the fiscal platform issued for it (stock_receipt). State
 * changes are compare-and-swaps on the state (and revision) just read: each returns whether it won.
 */
import type { Connection, EntityManager } from '@mikro-orm/core';
import { fieldError } from '../../common/errors';
import { dbNow, insertRow, type Sql } from '../sql';
import type { SqlRunner } from './bill-events';
import { kindIdOfCode } from './stock';

type Execute = Pick<Connection, 'execute'>;
const changedOne = (res: unknown) => Number((res as { affectedRows: number }).affectedRows) === 1;

export async function recordRequisitionEvent(sql: SqlRunner, requisitionId: number, type: string, actor: string, revision: number, detail?: string): Promise<void> {
  await sql.execute(
    'insert into requisition_event (requisition_id, type, actor, revision, detail, created_at) values (?, ?, ?, ?, ?, ?)',
    [requisitionId, type, actor.slice(0, 64), revision, detail ?? null, sql.getPlatform().processDateProperty(new Date())],
    'run',
  );
}

/** Replaces a requisition's lines (the field at fault named when a kind is unknown). */
export async function replaceRequisitionLines(sql: Sql, requisitionId: number, lines: Array<{ billKindCode: string; quantity: number }>): Promise<void> {
  await sql.execute('delete from requisition_line where requisition_id = ?', [requisitionId], 'run');
  for (const [i, l] of lines.entries()) {
    const kindId = await kindIdOfCode(sql, l.billKindCode);
    if (kindId === undefined) throw fieldError(`lines[${i}].billKindCode`, `未知的票据种类 ${l.billKindCode}`);
    await insertRow(sql, 'requisition_line', { requisition_id: requisitionId, bill_kind_id: kindId, quantity: l.quantity });
  }
}

/** A new draft under a temporary number; returns its id. */
export async function insertDraftRequisition(sql: Sql, d: { hospitalId: number; tmpNo: string; remark: string | null; createdBy: string }): Promise<number> {
  const now = dbNow(sql);
  return insertRow(sql, 'requisition', { hospital_id: d.hospitalId, requisition_no: d.tmpNo, state: 'draft', revision: 1, remark: d.remark, created_by: d.createdBy.slice(0, 64), created_at: now, updated_at: now });
}

export async function setRequisitionNumber(sql: Sql, id: number, requisitionNo: string, workflowId: string): Promise<void> {
  await sql.execute('update requisition set requisition_no = ?, workflow_id = ? where id = ?', [requisitionNo, workflowId, id], 'run');
}

export async function requisitionState(sql: Sql, id: number): Promise<{ state: string; revision: number } | undefined> {
  const [r] = await sql.execute<Array<{ state: string; revision: number }>>('select state, revision from requisition where id = ?', [id]);
  return r;
}

/** Sets the remark while the requisition is still in `state`; false when it moved meanwhile. */
export async function updateRemarkInState(sql: Sql, id: number, state: string, remark: string | null): Promise<boolean> {
  return changedOne(await sql.execute('update requisition set remark = ?, updated_at = ? where id = ? and state = ?', [remark, dbNow(sql), id, state], 'run'));
}

export interface RequisitionRow {
  id: number;
  hospital_id: number;
  requisition_no: string;
  state: string;
  revision: number;
  remark: string | null;
  created_by: string;
  hospital_code: string;
  lines: Array<{ billKindCode: string; quantity: number }>;
}

/** A requisition with its hospital's code and its lines (in a transaction or on the connection). */
export async function findRequisition(runner: Sql | Connection, id: number): Promise<RequisitionRow | undefined> {
  const sql = runner as Sql;
  const [r] = await sql.execute<Array<Omit<RequisitionRow, 'lines'>>>(
    'select r.id, r.hospital_id, r.requisition_no, r.state, r.revision, r.remark, r.created_by, h.code as hospital_code from requisition r join hospital h on h.id = r.hospital_id where r.id = ?',
    [id],
  );
  if (!r) return undefined;
  const lines = await sql.execute<Array<{ code: string; quantity: number }>>(
    'select k.code, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id',
    [id],
  );
  return { ...r, revision: Number(r.revision), lines: lines.map((l) => ({ billKindCode: l.code, quantity: Number(l.quantity) })) };
}

/** The same, read on the ORM's connection (outside any transaction). */
export const findRequisitionOnConnection = (em: EntityManager, id: number) => findRequisition(em.getConnection(), id);

/** draft/returned (at `expected`) -> submitted at `revision`; false when it changed meanwhile. */
export async function markRequisitionSubmitted(sql: Sql, id: number, revision: number, expected: { state: string; revision: number }): Promise<boolean> {
  return changedOne(await sql.execute(
    `update requisition set state = 'submitted', revision = ?, submitted_at = ?, updated_at = ?, reviewer = null, review_comment = null, reviewed_at = null where id = ? and state = ? and revision = ?`,
    [revision, dbNow(sql), dbNow(sql), id, expected.state, expected.revision],
    'run',
  ));
}

export async function setFiscalRequisitionNo(sql: Sql, id: number, fiscalRequisitionNo: string): Promise<void> {
  await sql.execute('update requisition set fiscal_requisition_no = ?, updated_at = ? where id = ?', [fiscalRequisitionNo, dbNow(sql), id], 'run');
}

export async function hasRequisitionEvent(sql: Sql, id: number, type: string, revision: number): Promise<boolean> {
  const [done] = await sql.execute<Array<{ id: number }>>('select id from requisition_event where requisition_id = ? and type = ? and revision = ?', [id, type, revision]);
  return Boolean(done);
}

/** submitted (at `revision`) -> received; false when an earlier attempt stored it. */
export async function markRequisitionReceived(sql: Sql, id: number, revision: number, reviewer: string, reviewedAt: Date): Promise<boolean> {
  return changedOne(await sql.execute(
    `update requisition set state = 'received', reviewer = ?, reviewed_at = ?, updated_at = ? where id = ? and state = 'submitted' and revision = ?`,
    [reviewer.slice(0, 64), dbNow(sql, reviewedAt), dbNow(sql), id, revision],
    'run',
  ));
}

/** submitted (at `revision`) -> returned with the reviewer's comment; false when it moved meanwhile. */
export async function markRequisitionReturned(sql: Sql, id: number, revision: number, reviewer: string, comment: string, reviewedAt: Date): Promise<boolean> {
  return changedOne(await sql.execute(
    `update requisition set state = 'returned', reviewer = ?, review_comment = ?, reviewed_at = ?, updated_at = ? where id = ? and state = 'submitted' and revision = ?`,
    [reviewer.slice(0, 64), comment, dbNow(sql, reviewedAt), dbNow(sql), id, revision],
    'run',
  ));
}

/** received -> stocked; false when a concurrent stock-in won. */
export async function markRequisitionStocked(sql: Sql, id: number, actor: string): Promise<boolean> {
  return changedOne(await sql.execute(
    `update requisition set state = 'stocked', stocked_by = ?, stocked_at = ?, updated_at = ? where id = ? and state = 'received'`,
    [actor.slice(0, 64), dbNow(sql), dbNow(sql), id],
    'run',
  ));
}

/** A segment the fiscal platform issued (received, awaiting stock-in). */
export async function addStockReceipt(sql: Sql, r: { hospitalId: number; requisitionId: number; billKindId: number; billBatchCode: string; startNo: number; endNo: number }): Promise<void> {
  await insertRow(sql, 'stock_receipt', {
    hospital_id: r.hospitalId, requisition_id: r.requisitionId, bill_kind_id: r.billKindId, bill_batch_code: r.billBatchCode,
    start_no: r.startNo, end_no: r.endNo, state: 'received', received_at: dbNow(sql),
  });
}

export interface ReceiptRow {
  id: number;
  bill_kind_id: number;
  bill_batch_code: string;
  start_no: number | string;
  end_no: number | string;
}

export async function receivedReceipts(sql: Sql, requisitionId: number): Promise<ReceiptRow[]> {
  return sql.execute<ReceiptRow[]>(`select id, bill_kind_id, bill_batch_code, start_no, end_no from stock_receipt where requisition_id = ? and state = 'received' order by id`, [requisitionId]);
}

export async function markReceiptStocked(sql: Sql, receiptId: number, actor: string): Promise<void> {
  await sql.execute(`update stock_receipt set state = 'stocked', stocked_by = ?, stocked_at = ? where id = ?`, [actor.slice(0, 64), dbNow(sql), receiptId], 'run');
}

// ---- the console's reads ----

/** The requisition row as stored (every column), or undefined. */
export async function requisitionRecord(conn: Execute, id: number): Promise<Record<string, unknown> | undefined> {
  const [r] = await conn.execute<Array<Record<string, unknown>>>('select * from requisition where id = ?', [id]);
  return r;
}

export async function requisitionLinesNamed(conn: Execute, id: number): Promise<Array<{ code: string; name: string; quantity: number }>> {
  return conn.execute<Array<{ code: string; name: string; quantity: number }>>(
    'select k.code, k.name, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id',
    [id],
  );
}

/** Ids of the latest 200 requisitions (of one state, or all). */
export async function latestRequisitionIds(conn: Execute, state?: string): Promise<number[]> {
  const rows: Array<{ id: number }> = await conn.execute<Array<{ id: number }>>(`select id from requisition ${state ? 'where state = ?' : ''} order by id desc limit 200`, state ? [state] : []);
  return rows.map((r) => Number(r.id ?? 0));
}

export async function requisitionEvents(conn: Execute, id: number): Promise<Array<{ type: string; actor: string; revision: number; detail: string | null; created_at: string }>> {
  return conn.execute('select type, actor, revision, detail, created_at from requisition_event where requisition_id = ? order by id', [id]);
}

export interface RequisitionReceiptView {
  code: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  state: string;
  received_at: string;
  stocked_by: string | null;
  stocked_at: string | null;
}

export async function requisitionReceipts(conn: Execute, id: number): Promise<RequisitionReceiptView[]> {
  return conn.execute<RequisitionReceiptView[]>(
    'select k.code, s.bill_batch_code, s.start_no, s.end_no, s.state, s.received_at, s.stocked_by, s.stocked_at from stock_receipt s join bill_kind k on k.id = s.bill_kind_id where s.requisition_id = ? order by s.id',
    [id],
  );
}
