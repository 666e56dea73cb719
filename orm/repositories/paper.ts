/**
 * Paper bills (纸质票据) in the database: the paper stock of billing points (paper_segment), the
 * numbers used or voided (paper_number), the print jobs (print_job) and a bill's paper state.
 *
 * Functions taking `sql` run inside the caller's transaction (a SqlEntityManager) or, where the
 * type says SqlRunner, on any executor; functions taking `em` read (or write one statement) on the
 * ORM's connection, outside any transaction, as the routes and the print activity do.
 *
 * Paper numbers are taken like e-bill numbers: a conditional UPDATE of the segment's `next_no`
 * inside the transaction, so two exchanges never share a number and a failed transaction gives it
 * back. `next_no` never points at a voided blank form: whatever advances it also skips the
 * blank-voided numbers right after it.
 */
import type { EntityManager } from '@mikro-orm/core';
import { fieldError } from '../../common/errors';
import { dbNow, forUpdate, type Sql } from '../sql';
import type { SqlRunner } from './bill-events';

type Em = Pick<EntityManager, 'getConnection'>;
const conn = (em: Em) => em.getConnection();
const affected = (res: unknown) => (res as { affectedRows: number }).affectedRows;

/** A paper number as printed on the form: 10 digits. */
export const paperNo = (n: number) => String(n).padStart(10, '0');

export interface SegmentRow {
  id: number;
  p_bill_batch_code: string;
  bill_kind_id: number;
  start_no: number | string;
  end_no: number | string;
  next_no: number | string;
}

/**
 * The point's paper segment the next exchange takes from: the given code (or any), for the e-bill
 * kind (or any), with numbers left; first by code and start number.
 */
async function nextSegment(sql: SqlRunner, placeId: number, opts: { pBillBatchCode?: string; billKindId?: number; forUpdate?: string }): Promise<SegmentRow | undefined> {
  const rows = (await sql.execute(
    `select id, p_bill_batch_code, bill_kind_id, start_no, end_no, next_no from paper_segment
      where place_id = ? and status = 'active' and next_no <= end_no ${opts.pBillBatchCode ? 'and p_bill_batch_code = ?' : ''}
      order by p_bill_batch_code, start_no${opts.forUpdate ?? ''}`,
    opts.pBillBatchCode ? [placeId, opts.pBillBatchCode] : [placeId],
  )) as SegmentRow[];
  return rows.find((r) => opts.billKindId === undefined || Number(r.bill_kind_id) === opts.billKindId);
}

/** The point's next unused paper form (a peek on the ORM's connection: nothing is taken). */
export const nextPaperForm = (em: Em, placeId: number, opts: { pBillBatchCode?: string; billKindId?: number }) => nextSegment(conn(em), placeId, opts);

/** How many numbers of the segment are left from `next_no` on (voided blanks above it excluded). */
export async function paperFormsLeft(em: Em, seg: { id: number; next_no: number | string; end_no: number | string }): Promise<number> {
  const [{ n }] = (await conn(em).execute('select count(*) as n from paper_number where segment_id = ? and p_no >= ?', [seg.id, seg.next_no])) as Array<{ n: number | string }>;
  return Math.max(0, Number(seg.end_no) - Number(seg.next_no) + 1 - Number(n));
}

/** Moves `next_no` past blank-voided numbers that follow it (only blank voids lie above next_no). */
export async function skipVoidedBlanks(sql: Sql, segmentId: number, from: number): Promise<void> {
  const rows = await sql.execute<Array<{ p_no: number | string }>>(`select p_no from paper_number where segment_id = ? and p_no >= ? order by p_no limit 1000${forUpdate(sql)}`, [segmentId, from]);
  let n = from;
  for (const r of rows) {
    if (Number(r.p_no) !== n) break;
    n++;
  }
  if (n > from) await sql.execute('update paper_segment set next_no = ? where id = ? and next_no = ?', [n, segmentId, from], 'run');
}

/**
 * Takes the point's next unused paper number inside the caller's transaction. With `expected`, only
 * that number is taken, and only if it is the next one: else E0034 naming the next one.
 */
export async function takePaperNumber(
  sql: Sql,
  place: { id: number; code: string },
  opts: { pBillBatchCode?: string; billKindId: number; expected?: string },
): Promise<{ segmentId: number; pBillBatchCode: string; number: number }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const seg = await nextSegment(sql, place.id, { ...opts, forUpdate: forUpdate(sql) });
    if (!seg) {
      const other = await nextSegment(sql, place.id, { pBillBatchCode: opts.pBillBatchCode });
      if (other) {
        throw fieldError(opts.pBillBatchCode ? 'pBillBatchCode' : 'placeCode', `开票点 ${place.code} 的纸质票据 ${other.p_bill_batch_code} 与本电子票据的票据种类不同`, 'E0034');
      }
      const what = opts.pBillBatchCode ? `代码为 ${opts.pBillBatchCode} 的纸质票据` : '纸质票据';
      throw fieldError(opts.pBillBatchCode ? 'pBillBatchCode' : 'placeCode', `开票点 ${place.code} 没有剩余的${what}（纸质票据库存不足）`, 'E0023');
    }
    const next = Number(seg.next_no);
    if (opts.expected !== undefined && Number(opts.expected) !== next) {
      throw fieldError('pBillNo', `${opts.expected} 不是开票点 ${place.code} 的下一张未使用纸质票据，下一张为 ${seg.p_bill_batch_code}-${paperNo(next)}`, 'E0034');
    }
    const res = await sql.execute<{ affectedRows: number }>(
      'update paper_segment set next_no = next_no + 1 where id = ? and next_no = ? and next_no <= end_no',
      [seg.id, next],
      'run',
    );
    if (res.affectedRows !== 1) continue; // a concurrent transaction took it: read again
    await skipVoidedBlanks(sql, seg.id, next + 1);
    return { segmentId: Number(seg.id), pBillBatchCode: seg.p_bill_batch_code, number: next };
  }
  throw new Error(`could not take a paper number at ${place.code} after 100 attempts`);
}

// ---- one bill's paper form -------------------------------------------------------------------

export interface BillPaperState {
  id: number;
  hospital_id: number;
  bill_batch_code: string;
  bill_no: string;
  bill_kind_id: number;
  state: string;
  is_scarlet: number | boolean;
  paper_state: string;
  paper_bill_batch_code: string | null;
  paper_bill_no: string | null;
}

/** The bill's state and paper form, read in the caller's transaction. */
export const billPaperState = async (sql: SqlRunner, id: number): Promise<BillPaperState | undefined> =>
  ((await sql.execute(
    'select id, hospital_id, bill_batch_code, bill_no, bill_kind_id, state, is_scarlet, paper_state, paper_bill_batch_code, paper_bill_no from bill where id = ?',
    [id],
  )) as BillPaperState[])[0];

/** The same, on the ORM's connection (before the transaction). */
export const billPaperStateNow = (em: Em, id: number) => billPaperState(conn(em), id);

/** Locks the bill's row (a no-op update), taken before the paper segment's: one lock order, as the reversal. */
export async function lockBillForPaper(sql: Sql, billId: number): Promise<void> {
  await sql.execute('update bill set paper_state = paper_state where id = ?', [billId], 'run');
}

/** Marks the bill exchanged for the form, if it is still on no paper and in force; false if not. */
export async function markBillExchanged(sql: Sql, billId: number, form: { code: string; no: string }): Promise<boolean> {
  const res = await sql.execute(`update bill set paper_state = 'exchanged', paper_bill_batch_code = ?, paper_bill_no = ? where id = ? and paper_state = 'none' and state = 'normal'`, [form.code, form.no, billId], 'run');
  return affected(res) === 1;
}

/** Moves the bill from its current form `from` to `to`, if `from` is still its form; false if not. */
export async function moveBillToForm(sql: Sql, billId: number, from: { code: string; no: string }, to: { code: string; no: string }): Promise<boolean> {
  const res = await sql.execute(
    `update bill set paper_bill_batch_code = ?, paper_bill_no = ? where id = ? and paper_state = 'exchanged' and paper_bill_batch_code = ? and paper_bill_no = ?`,
    [to.code, to.no, billId, from.code, from.no],
    'run',
  );
  return affected(res) === 1;
}

/** Puts the bill back on no paper, if `form` is still its form; false if not. */
export async function clearBillForm(sql: Sql, billId: number, form: { code: string; no: string }): Promise<boolean> {
  const res = await sql.execute(
    `update bill set paper_state = 'none', paper_bill_batch_code = null, paper_bill_no = null where id = ? and paper_state = 'exchanged' and paper_bill_batch_code = ? and paper_bill_no = ?`,
    [billId, form.code, form.no],
    'run',
  );
  return affected(res) === 1;
}

/** Stores the printed paper number taken for the bill. */
export async function recordPrintedForm(sql: Sql, f: { segmentId: number; code: string; no: string; number: number; billId: number; operator: string; at: Date }): Promise<void> {
  await sql.execute(
    `insert into paper_number (segment_id, p_bill_batch_code, p_bill_no, p_no, state, bill_id, operator, printed_at, created_at) values (?, ?, ?, ?, 'printed', ?, ?, ?, ?)`,
    [f.segmentId, f.code, f.no, f.number, f.billId, f.operator.slice(0, 64), dbNow(sql, f.at), dbNow(sql, f.at)],
    'run',
  );
}

/** Voids the bill's printed form, if it is printed and the bill's; false if not. */
export async function voidPrintedForm(sql: Sql, f: { code: string; no: string; billId: number; reason: string; operator: string; at: Date }): Promise<boolean> {
  const res = await sql.execute(
    `update paper_number set state = 'voided', void_reason = ?, voided_by = ?, voided_at = ? where p_bill_batch_code = ? and p_bill_no = ? and state = 'printed' and bill_id = ?`,
    [f.reason, f.operator.slice(0, 64), dbNow(sql, f.at), f.code, f.no, f.billId],
    'run',
  );
  return affected(res) === 1;
}

/** A paper number's state and bill (any state: printed, voided, blank_voided). */
export async function paperFormOf(sql: Sql, code: string, no: string): Promise<{ state: string; bill_id: number | null } | undefined> {
  const [row] = await sql.execute<Array<{ state: string; bill_id: number | null }>>('select state, bill_id from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [code, no]);
  return row;
}

// ---- print jobs ------------------------------------------------------------------------------

export async function queuePrintJob(
  sql: Sql,
  j: { jobId: string; billId: number; kind: 'paper_form' | 'layout'; printer: string; form?: { code: string; no: string }; operator: string; at: Date },
): Promise<void> {
  await sql.execute(
    `insert into print_job (job_id, bill_id, kind, printer, p_bill_batch_code, p_bill_no, state, attempts, operator, created_at) values (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
    [j.jobId, j.billId, j.kind, j.printer, j.form?.code ?? null, j.form?.no ?? null, j.operator.slice(0, 64), dbNow(sql, j.at)],
    'run',
  );
}

/** How many A4 layout prints the bill had queued. */
export async function layoutPrintCount(sql: Sql, billId: number): Promise<number> {
  const [{ n }] = await sql.execute<Array<{ n: number | string }>>(`select count(*) as n from print_job where bill_id = ? and kind = 'layout'`, [billId]);
  return Number(n);
}

/** A job not printed yet is not printed any more (its form was voided). */
export async function cancelQueuedPrintJob(sql: SqlRunner, jobId: string): Promise<void> {
  await sql.execute(`update print_job set state = 'cancelled' where job_id = ? and state = 'queued'`, [jobId], 'run');
}

export interface PrintJobRow {
  job_id: string;
  bill_id: number;
  kind: string;
  printer: string;
  p_bill_batch_code: string | null;
  p_bill_no: string | null;
  state: string;
  operator: string;
}

export async function printJobById(em: Em, jobId: string): Promise<PrintJobRow | undefined> {
  const [job] = (await conn(em).execute('select job_id, bill_id, kind, printer, p_bill_batch_code, p_bill_no, state, operator from print_job where job_id = ?', [jobId])) as PrintJobRow[];
  return job;
}

/** The state of a paper number, on the ORM's connection. */
export async function paperFormStateNow(em: Em, code: string | null, no: string | null): Promise<string | undefined> {
  const [num] = (await conn(em).execute('select state from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [code, no])) as Array<{ state: string }>;
  return num?.state;
}

export const cancelQueuedPrintJobNow = (em: Em, jobId: string) => cancelQueuedPrintJob(conn(em), jobId);

/** The bill's form voided last before the form `code-no` (what a reprint replaces). */
export async function formReplacedBy(em: Em, billId: number, code: string | null, no: string | null): Promise<{ p_bill_batch_code: string; p_bill_no: string } | undefined> {
  const [prev] = (await conn(em).execute(
    `select p_bill_batch_code, p_bill_no from paper_number where bill_id = ? and state = 'voided' and id < (select id from paper_number where p_bill_batch_code = ? and p_bill_no = ?) order by id desc limit 1`,
    [billId, code, no],
  )) as Array<{ p_bill_batch_code: string; p_bill_no: string }>;
  return prev;
}

export interface PrintBillRow {
  bill_batch_code: string;
  bill_no: string;
  random: string;
  issued_at: number | string | Date;
  payer: string;
  patient_no: string;
  bus_no: string;
  bus_type: string;
  payee: string;
  total_amt: number | string;
  layout_path: string | null;
  hospital_name: string;
  kind_name: string;
}

/** What a print of the bill shows (with its hospital's and kind's names). */
export async function printBill(em: Em, billId: number): Promise<PrintBillRow | undefined> {
  const [row] = (await conn(em).execute(
    `select b.bill_batch_code, b.bill_no, b.random, b.issued_at, b.payer, b.patient_no, b.bus_no, b.bus_type, b.payee, b.total_amt, b.layout_path,
            h.name as hospital_name, k.name as kind_name
       from bill b join hospital h on h.id = b.hospital_id join bill_kind k on k.id = b.bill_kind_id where b.id = ?`,
    [billId],
  )) as PrintBillRow[];
  return row;
}

/** The bill's items and payments, as printed on its paper form. */
export async function printBillLines(em: Em, billId: number) {
  const c = conn(em);
  const [items, payments] = await Promise.all([
    c.execute('select name, number, amt from bill_item where bill_id = ? order by sort_no, id', [billId]) as Promise<Array<{ name: string; number: string | null; amt: number | string }>>,
    c.execute('select channel_code, amount from bill_payment where bill_id = ? order by id', [billId]) as Promise<Array<{ channel_code: string; amount: number | string }>>,
  ]);
  return { items, payments };
}

export async function printJobFailed(em: Em, jobId: string, error: string): Promise<void> {
  await conn(em).execute('update print_job set attempts = attempts + 1, last_error = ? where job_id = ?', [error, jobId], 'run');
}

export async function printJobPrinted(em: Em & Pick<EntityManager, 'getPlatform'>, jobId: string, at: Date): Promise<void> {
  await conn(em).execute(
    `update print_job set state = 'printed', attempts = attempts + 1, last_error = null, printed_at = ? where job_id = ? and state = 'queued'`,
    [em.getPlatform().processDateProperty(at), jobId],
    'run',
  );
}

// ---- voiding blank forms ---------------------------------------------------------------------

/** The point's segment of code `code` holding number `no`, locked (for update on MySQL). */
export async function paperSegmentHolding(sql: Sql, placeId: number, code: string, no: number): Promise<SegmentRow | undefined> {
  const [seg] = await sql.execute<SegmentRow[]>(
    `select id, p_bill_batch_code, bill_kind_id, start_no, end_no, next_no from paper_segment where place_id = ? and p_bill_batch_code = ? and start_no <= ? and end_no >= ?${forUpdate(sql)}`,
    [placeId, code, no, no],
  );
  return seg;
}

/** The used or voided numbers of the segment in start..end, by number. */
export async function usedPaperNumbers(sql: Sql, segmentId: number, start: number, end: number) {
  return sql.execute<Array<{ p_no: number | string; state: string; void_reason: string | null }>>(
    'select p_no, state, void_reason from paper_number where segment_id = ? and p_no between ? and ? order by p_no',
    [segmentId, start, end],
  );
}

/** Stores start..end of the segment as blank-voided forms (100 numbers a statement). */
export async function insertBlankVoids(sql: Sql, v: { segmentId: number; code: string; start: number; end: number; reason: string; author: string; at: Date }): Promise<void> {
  const at = dbNow(sql, v.at);
  for (let n = v.start; n <= v.end; n += 100) {
    const chunk = Array.from({ length: Math.min(100, v.end - n + 1) }, (_, i) => n + i);
    await sql.execute(
      `insert into paper_number (segment_id, p_bill_batch_code, p_bill_no, p_no, state, void_reason, voided_by, voided_at, created_at) values ${chunk.map(() => "(?, ?, ?, ?, 'blank_voided', ?, ?, ?, ?)").join(', ')}`,
      chunk.flatMap((k) => [v.segmentId, v.code, paperNo(k), k, v.reason, v.author.slice(0, 64), at, at]),
      'run',
    );
  }
}

export async function segmentNextNo(sql: Sql, segmentId: number): Promise<number> {
  const [after] = await sql.execute<Array<{ next_no: number | string }>>('select next_no from paper_segment where id = ?', [segmentId]);
  return Number(after.next_no);
}

// ---- reads of the HIS and console routes (ORM connection) ------------------------------------

/** A bill of the hospital by its code and number. */
export async function hospitalBill(em: Em, hospitalId: number, billBatchCode: string, billNo: string) {
  const [b] = (await conn(em).execute('select id, bus_no, bus_type, patient_no from bill where bill_batch_code = ? and bill_no = ? and hospital_id = ?', [billBatchCode, billNo, hospitalId])) as Array<{
    id: number;
    bus_no: string;
    bus_type: string;
    patient_no: string;
  }>;
  return b;
}

/** A paper number of the hospital, with its segment's billing point. */
export async function hospitalPaperForm(em: Em, hospitalId: number, pBillBatchCode: string, pBillNo: string) {
  const [row] = (await conn(em).execute(
    `select n.bill_id, s.place_id, n.state, p.code as place_code from paper_number n join paper_segment s on s.id = n.segment_id join billing_point p on p.id = s.place_id
      where n.p_bill_batch_code = ? and n.p_bill_no = ? and s.hospital_id = ?`,
    [pBillBatchCode, pBillNo, hospitalId],
  )) as Array<{ bill_id: number | null; place_id: number; state: string; place_code: string }>;
  return row;
}

/** The code and number of a bill. */
export async function billCodeAndNo(em: Em, billId: number) {
  const [b] = (await conn(em).execute('select bill_batch_code, bill_no from bill where id = ?', [billId])) as Array<{ bill_batch_code: string; bill_no: string }>;
  return b;
}

export interface PaperSegRow { id: number; p_bill_batch_code: string; name: string; start_no: number | string; end_no: number | string; next_no: number | string; kind_code: string; kind_name: string }
export interface EBillSegRow { bill_batch_code: string; start_no: number | string; end_no: number | string; next_no: number | string; kind_code: string; kind_name: string }

/** The point's paper segments with numbers left, of the bill kind (code) or all. */
export async function pointPaperSegments(em: Em, placeId: number, kindCode?: string): Promise<PaperSegRow[]> {
  return (await conn(em).execute(
    `select s.id, s.p_bill_batch_code, s.name, s.start_no, s.end_no, s.next_no, k.code as kind_code, k.name as kind_name
       from paper_segment s join bill_kind k on k.id = s.bill_kind_id
      where s.place_id = ? and s.status = 'active' and s.next_no <= s.end_no ${kindCode ? 'and k.code = ?' : ''} order by s.p_bill_batch_code, s.start_no`,
    kindCode ? [placeId, kindCode] : [placeId],
  )) as PaperSegRow[];
}

/** The point's e-bill segments with numbers left, of the bill kind (code) or all. */
export async function pointEBillSegments(em: Em, placeId: number, kindCode?: string): Promise<EBillSegRow[]> {
  return (await conn(em).execute(
    `select s.bill_batch_code, s.start_no, s.end_no, s.next_no, k.code as kind_code, k.name as kind_name
       from stock_segment s join bill_kind k on k.id = s.bill_kind_id
      where s.place_id = ? and s.status = 'active' and s.next_no <= s.end_no ${kindCode ? 'and k.code = ?' : ''} order by s.bill_batch_code, s.start_no`,
    kindCode ? [placeId, kindCode] : [placeId],
  )) as EBillSegRow[];
}

export interface ConsolePaperBill {
  id: number;
  hospital_id: number;
  bill_batch_code: string;
  bill_no: string;
  bill_kind_id: number;
  place_id: number;
  place_code: string;
  paper_state: string;
  paper_bill_batch_code: string | null;
  paper_bill_no: string | null;
}

/** A bill with its billing point's code and its paper state. */
export async function billWithPaper(em: Em, id: number): Promise<ConsolePaperBill | undefined> {
  const [b] = (await conn(em).execute(
    `select b.id, b.hospital_id, b.bill_batch_code, b.bill_no, b.bill_kind_id, b.place_id, p.code as place_code, b.paper_state, b.paper_bill_batch_code, b.paper_bill_no
       from bill b join billing_point p on p.id = b.place_id where b.id = ?`,
    [id],
  )) as ConsolePaperBill[];
  return b;
}

export interface FormRow { p_bill_batch_code: string; p_bill_no: string; state: string; operator: string | null; printed_at: unknown; void_reason: string | null; voided_by: string | null; voided_at: unknown }
export interface JobRow { job_id: string; kind: string; printer: string; state: string; attempts: number; last_error: string | null; created_at: unknown; printed_at: unknown }
export interface UsedRow { p_bill_no: string; p_no: number | string; state: string; bill_id: number | null; bill_batch_code: string | null; bill_no: string | null; operator: string | null; printed_at: unknown; void_reason: string | null; voided_by: string | null; voided_at: unknown }
export interface StockSegmentRow { id: number; p_bill_batch_code: string; name: string; start_no: number | string; end_no: number | string; next_no: number | string; status: string; place_code: string; place_name: string; kind_code: string; kind_name: string }

/** Every paper form the bill was exchanged for, in order. */
export async function formsOfBill(em: Em, billId: number): Promise<FormRow[]> {
  return (await conn(em).execute('select p_bill_batch_code, p_bill_no, state, operator, printed_at, void_reason, voided_by, voided_at from paper_number where bill_id = ? order by id', [billId])) as FormRow[];
}

/** Every print job of the bill, in order. */
export async function printJobsOfBill(em: Em, billId: number): Promise<JobRow[]> {
  return (await conn(em).execute('select job_id, kind, printer, state, attempts, last_error, created_at, printed_at from print_job where bill_id = ? order by id', [billId])) as JobRow[];
}

/** The paper segments of a point (by code) or of all points. */
export async function paperStock(em: Em, placeCode?: string): Promise<StockSegmentRow[]> {
  return (await conn(em).execute(
    `select s.id, s.p_bill_batch_code, s.name, s.start_no, s.end_no, s.next_no, s.status, p.code as place_code, p.name as place_name, k.code as kind_code, k.name as kind_name
       from paper_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
      ${placeCode ? 'where p.code = ?' : ''} order by p.code, s.p_bill_batch_code, s.start_no`,
    placeCode ? [placeCode] : [],
  )) as StockSegmentRow[];
}

/** The used or voided numbers of a segment, with the bills they were printed for. */
export async function usedNumbersOfSegment(em: Em, segmentId: number): Promise<UsedRow[]> {
  return (await conn(em).execute(
    `select n.p_bill_no, n.p_no, n.state, n.bill_id, b.bill_batch_code, b.bill_no, n.operator, n.printed_at, n.void_reason, n.voided_by, n.voided_at
           from paper_number n left join bill b on b.id = n.bill_id where n.segment_id = ? order by n.p_no`,
    [segmentId],
  )) as UsedRow[];
}

/** The hospital of a billing point, by the point's code. */
export async function hospitalOfPoint(em: Em, placeCode: string): Promise<number | undefined> {
  const [place] = (await conn(em).execute('select hospital_id from billing_point where code = ?', [placeCode])) as Array<{ hospital_id: number }>;
  return place ? Number(place.hospital_id) : undefined;
}
