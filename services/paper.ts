/**
 * Paper bills (纸质票据): the paper stock of billing points and the operations on one bill's paper
 * form. Each operation is ONE database transaction, run as the local activity of the bill's paper
 * workflow (`paper-{billBatchCode}-{billNo}`): change the bill, take or void paper numbers, queue
 * the print job and write the timeline event together. Printing follows in the background
 * (`printJob`), by a job id stored in that transaction, so a retried print never prints twice.
 *
 * Paper numbers are taken like e-bill numbers (see takeNextNumber): a conditional UPDATE of the
 * segment's `next_no` inside the transaction, so two exchanges never share a number and a failed
 * transaction gives it back. `next_no` never points at a voided blank form: whatever advances it
 * also skips the blank-voided numbers right after it.
 */
import * as fs from 'node:fs/promises';
import { dbDate } from '../orm/sql-values';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { DomainError, fieldError } from '../common/errors';
import { isUniqueViolation } from '../orm/errors';
import { formatYuan, yuanInChinese } from '../common/money';
import type { Deps } from './deps';
import { PAY_CHANNELS } from './delivery';
import { BUS_TYPES } from '../domain/bill/issue-request';
import { PrinterPermanentError } from '../adapters/printer/printer';
import { renderPaperFormPdf } from '../adapters/printer/paper-form-pdf';
import { paperWorkflowId } from '../temporal/ids';
import { recordBillEvent, type SqlRunner } from '../orm/repositories/bill-events';

export type PaperOpKind = 'exchange' | 'reexchange' | 'void' | 'printLayout';

export interface PaperOp {
  op: PaperOpKind;
  billId: number;
  /** The billing point whose paper stock (exchange) or printer (all) is used. */
  placeCode: string;
  /** Who did it (the HIS's `operator` / `author`, or the console user's name): stored with the paper number. */
  operator: string;
  /** The timeline actor: `HIS:{appid}` or the console user's name (default: operator). */
  actor?: string;
  pBillBatchCode?: string;
  pBillNo?: string;
  reason?: string;
  copies?: number;
}

export interface PaperResult {
  billId: number;
  billBatchCode: string;
  billNo: string;
  paperState: 'none' | 'exchanged';
  pBillBatchCode?: string;
  pBillNo?: string;
  /** The paper form voided by this operation (re-exchange, void). */
  voided?: { pBillBatchCode: string; pBillNo: string };
  /** The print job this operation queued (or queued earlier, for a repeated call). */
  printJobId?: string;
  /** True when this call queued the job (the workflow then prints it). */
  newPrintJob: boolean;
  /** True when the call repeated one already done (idempotent answer, nothing changed). */
  repeated: boolean;
}

export const paperNo = (n: number) => String(n).padStart(10, '0');
export const paperJobId = (code: string, no: string) => `paper-${code}-${no}`;
export const paperPrinter = (placeCode: string) => `${placeCode}-paper`;
export const a4Printer = (placeCode: string) => `${placeCode}-a4`;

const OP_EVENT = { exchange: 'exchanged', reexchange: 'paper_reprinted', void: 'paper_voided', printLayout: 'layout_printed' } as const;

type Sql = SqlEntityManager;
const now = (sql: SqlRunner, d: Date) => sql.getPlatform().processDateProperty(d);

interface SegmentRow {
  id: number;
  p_bill_batch_code: string;
  bill_kind_id: number;
  start_no: number | string;
  end_no: number | string;
  next_no: number | string;
}

/**
 * The point's paper segment the next exchange takes from: the given code (or any), for the e-bill
 * kind (or any), with numbers left; first by code and start number. Read-only.
 */
export async function nextPaperSegment(
  sql: SqlRunner,
  placeId: number,
  opts: { pBillBatchCode?: string; billKindId?: number; forUpdate?: string },
): Promise<SegmentRow | undefined> {
  const rows = (await sql.execute(
    `select id, p_bill_batch_code, bill_kind_id, start_no, end_no, next_no from paper_segment
      where place_id = ? and status = 'active' and next_no <= end_no ${opts.pBillBatchCode ? 'and p_bill_batch_code = ?' : ''}
      order by p_bill_batch_code, start_no${opts.forUpdate ?? ''}`,
    opts.pBillBatchCode ? [placeId, opts.pBillBatchCode] : [placeId],
  )) as SegmentRow[];
  return rows.find((r) => opts.billKindId === undefined || Number(r.bill_kind_id) === opts.billKindId);
}

/**
 * ` for update` on MySQL/MariaDB: inside a transaction a plain SELECT reads the snapshot taken at
 * the transaction's first read (REPEATABLE READ), which may be older than a concurrent commit; a
 * locking read sees the latest. SQLite has no such clause and needs none (one writer at a time).
 */
export function forUpdate(sql: Sql): string {
  const client = String((sql.getKnex().client as { config?: { client?: unknown } }).config?.client ?? '');
  return /mysql|maria/i.test(client) ? ' for update' : '';
}

/** Moves `next_no` past blank-voided numbers that follow it (only blank voids lie above next_no). */
async function skipVoidedBlanks(sql: Sql, segmentId: number, from: number): Promise<void> {
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
    const seg = await nextPaperSegment(sql, place.id, { ...opts, forUpdate: forUpdate(sql) });
    if (!seg) {
      const other = await nextPaperSegment(sql, place.id, { pBillBatchCode: opts.pBillBatchCode });
      if (other) {
        throw fieldError(opts.pBillBatchCode ? 'pBillBatchCode' : 'placeCode', `the paper forms ${other.p_bill_batch_code} at billing point "${place.code}" are for another bill kind than this e-bill`, 'E0034');
      }
      const what = opts.pBillBatchCode ? `paper forms with code ${opts.pBillBatchCode}` : 'paper forms';
      throw fieldError(opts.pBillBatchCode ? 'pBillBatchCode' : 'placeCode', `billing point "${place.code}" has no ${what} left (纸质票据库存不足)`, 'E0023');
    }
    const next = Number(seg.next_no);
    if (opts.expected !== undefined && Number(opts.expected) !== next) {
      throw fieldError('pBillNo', `${opts.expected} is not the next unused paper form of billing point "${place.code}": the next is ${seg.p_bill_batch_code}-${paperNo(next)}`, 'E0034');
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

interface BillState {
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

const readBill = async (sql: SqlRunner, id: number) =>
  ((await sql.execute(
    'select id, hospital_id, bill_batch_code, bill_no, bill_kind_id, state, is_scarlet, paper_state, paper_bill_batch_code, paper_bill_no from bill where id = ?',
    [id],
  )) as BillState[])[0];

class Conflict extends Error {}

export function paperActivities(deps: Deps) {
  async function operate(op: PaperOp): Promise<PaperResult> {
    const em = deps.orm.em.fork();
    const bill0 = await readBill(em.getConnection(), op.billId);
    if (!bill0) throw new DomainError('E0030', `billNo: bill ${op.billId} not found`, 'billNo');
    const label = `${bill0.bill_batch_code}-${bill0.bill_no}`;
    const place = await deps.master.lookup(bill0.hospital_id, (h) => h.places.get(op.placeCode));
    if (!place) throw fieldError('placeCode', `unknown billing point "${op.placeCode}"`, 'E0020');
    if (!place.active) throw fieldError('placeCode', `billing point "${op.placeCode}" is deactivated`, 'E0020');
    const workflowId = paperWorkflowId({ billBatchCode: bill0.bill_batch_code, billNo: bill0.bill_no });

    return em.transactional(async (tx) => {
      const sql = tx as unknown as Sql;
      const at = new Date();
      const base = { billId: bill0.id, billBatchCode: bill0.bill_batch_code, billNo: bill0.bill_no };
      const queueJob = async (jobId: string, kind: 'paper_form' | 'layout', printer: string, p?: { code: string; no: string }) =>
        sql.execute(
          `insert into print_job (job_id, bill_id, kind, printer, p_bill_batch_code, p_bill_no, state, attempts, operator, created_at) values (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
          [jobId, bill0.id, kind, printer, p?.code ?? null, p?.no ?? null, op.operator.slice(0, 64), now(sql, at)],
          'run',
        );
      const event = (detail: string) => recordBillEvent(sql, { billId: bill0.id, type: OP_EVENT[op.op], actor: op.actor ?? op.operator, detail: op.actor && op.actor !== op.operator ? `${detail}，操作员 ${op.operator}` : detail, workflowId, at });
      const printForm = async (seg: { pBillBatchCode: string; number: number; segmentId: number }) => {
        const no = paperNo(seg.number);
        await sql.execute(
          `insert into paper_number (segment_id, p_bill_batch_code, p_bill_no, p_no, state, bill_id, operator, printed_at, created_at) values (?, ?, ?, ?, 'printed', ?, ?, ?, ?)`,
          [seg.segmentId, seg.pBillBatchCode, no, seg.number, bill0.id, op.operator.slice(0, 64), now(sql, at), now(sql, at)],
          'run',
        );
        const jobId = paperJobId(seg.pBillBatchCode, no);
        await queueJob(jobId, 'paper_form', paperPrinter(op.placeCode), { code: seg.pBillBatchCode, no });
        return { no, jobId };
      };
      const voidForm = async (code: string, no: string, reason: string) => {
        const r = await sql.execute<{ affectedRows: number }>(
          `update paper_number set state = 'voided', void_reason = ?, voided_by = ?, voided_at = ? where p_bill_batch_code = ? and p_bill_no = ? and state = 'printed' and bill_id = ?`,
          [reason, op.operator.slice(0, 64), now(sql, at), code, no, bill0.id],
          'run',
        );
        if (r.affectedRows !== 1) throw new Conflict();
        // A form voided before its print job ran is not printed any more.
        await sql.execute(`update print_job set state = 'cancelled' where job_id = ? and state = 'queued'`, [paperJobId(code, no)], 'run');
      };

      if (op.op === 'printLayout') {
        const [{ n }] = await sql.execute<Array<{ n: number | string }>>(`select count(*) as n from print_job where bill_id = ? and kind = 'layout'`, [bill0.id]);
        const jobId = `layout-${bill0.id}-${Number(n) + 1}`;
        await queueJob(jobId, 'layout', a4Printer(op.placeCode));
        await event(`A4 补打（${op.placeCode}，打印任务 ${jobId}）`);
        const cur = await readBill(sql, bill0.id);
        return { ...base, paperState: cur.paper_state as PaperResult['paperState'], pBillBatchCode: cur.paper_bill_batch_code ?? undefined, pBillNo: cur.paper_bill_no ?? undefined, printJobId: jobId, newPrintJob: true, repeated: false };
      }

      // Lock the bill first (as the reversal does), then the paper segment: one lock order.
      await sql.execute('update bill set paper_state = paper_state where id = ?', [bill0.id], 'run');
      const bill = await readBill(sql, bill0.id);
      const current = bill.paper_state === 'exchanged' && bill.paper_bill_batch_code && bill.paper_bill_no ? { code: bill.paper_bill_batch_code, no: bill.paper_bill_no } : undefined;
      const same = (code?: string, no?: string) => !!current && (!code || code === current.code) && (!no || Number(no) === Number(current.no));
      const repeatAnswer = (): PaperResult => ({ ...base, paperState: 'exchanged', pBillBatchCode: current!.code, pBillNo: current!.no, printJobId: paperJobId(current!.code, current!.no), newPrintJob: false, repeated: true });

      if (op.op === 'exchange' || op.op === 'reexchange') {
        if (Number(bill.is_scarlet)) throw new DomainError('E0031', `billNo: ${label} is a red bill; a red bill cannot be exchanged for paper`, 'billNo');
        if (bill.state !== 'normal') throw new DomainError('E0031', `billNo: ${label} is reversed (已冲红); it cannot be exchanged for paper`, 'billNo');
      }
      if (op.op === 'exchange') {
        if (current) {
          if (same(op.pBillBatchCode, op.pBillNo)) return repeatAnswer();
          throw new DomainError('E0031', `billNo: ${label} is already exchanged for paper form ${current.code}-${current.no}; use reTurnPaper to re-exchange, or invalidPaper first`, 'billNo');
        }
        const seg = await takePaperNumber(sql, place, { pBillBatchCode: op.pBillBatchCode, billKindId: Number(bill.bill_kind_id), expected: op.pBillNo });
        const marked = await sql.execute<{ affectedRows: number }>(
          `update bill set paper_state = 'exchanged', paper_bill_batch_code = ?, paper_bill_no = ? where id = ? and paper_state = 'none' and state = 'normal'`,
          [seg.pBillBatchCode, paperNo(seg.number), bill.id],
          'run',
        );
        if (marked.affectedRows !== 1) throw new Conflict();
        const { no, jobId } = await printForm(seg);
        await event(`纸质票据 ${seg.pBillBatchCode}-${no}（${op.placeCode}）`);
        return { ...base, paperState: 'exchanged', pBillBatchCode: seg.pBillBatchCode, pBillNo: no, printJobId: jobId, newPrintJob: true, repeated: false };
      }

      if (op.op === 'reexchange') {
        if (!current) throw new DomainError('E0031', `billNo: ${label} is not exchanged for paper; use turnPaper`, 'billNo');
        if (op.pBillNo !== undefined && same(op.pBillBatchCode, op.pBillNo)) return repeatAnswer();
        const reason = op.reason || '纸质票据损坏或遗失，重新换开';
        await voidForm(current.code, current.no, reason);
        const seg = await takePaperNumber(sql, place, { pBillBatchCode: op.pBillBatchCode, billKindId: Number(bill.bill_kind_id), expected: op.pBillNo });
        const moved = await sql.execute<{ affectedRows: number }>(
          `update bill set paper_bill_batch_code = ?, paper_bill_no = ? where id = ? and paper_state = 'exchanged' and paper_bill_batch_code = ? and paper_bill_no = ?`,
          [seg.pBillBatchCode, paperNo(seg.number), bill.id, current.code, current.no],
          'run',
        );
        if (moved.affectedRows !== 1) throw new Conflict();
        const { no, jobId } = await printForm(seg);
        await event(`原纸质票据 ${current.code}-${current.no} 作废（${reason}），新纸质票据 ${seg.pBillBatchCode}-${no}`);
        return { ...base, paperState: 'exchanged', pBillBatchCode: seg.pBillBatchCode, pBillNo: no, voided: { pBillBatchCode: current.code, pBillNo: current.no }, printJobId: jobId, newPrintJob: true, repeated: false };
      }

      // op === 'void': the printed form pBillBatchCode-pBillNo of this bill.
      const code = op.pBillBatchCode!;
      const no = paperNo(Number(op.pBillNo));
      const [row] = await sql.execute<Array<{ state: string; bill_id: number | null }>>('select state, bill_id from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [code, no]);
      if (!row || Number(row.bill_id) !== bill.id) throw fieldError('pBillNo', `paper form ${code}-${no} was not exchanged for bill ${label}`, 'E0034');
      if (row.state === 'voided' && !(current && current.code === code && current.no === no)) {
        return { ...base, paperState: bill.paper_state as PaperResult['paperState'], pBillBatchCode: current?.code, pBillNo: current?.no, voided: { pBillBatchCode: code, pBillNo: no }, newPrintJob: false, repeated: true };
      }
      if (!current || current.code !== code || current.no !== no) throw fieldError('pBillNo', `paper form ${code}-${no} is not the current paper form of bill ${label}`, 'E0034');
      const reason = op.reason ?? '';
      await voidForm(code, no, reason);
      const cleared = await sql.execute<{ affectedRows: number }>(
        `update bill set paper_state = 'none', paper_bill_batch_code = null, paper_bill_no = null where id = ? and paper_state = 'exchanged' and paper_bill_batch_code = ? and paper_bill_no = ?`,
        [bill.id, code, no],
        'run',
      );
      if (cleared.affectedRows !== 1) throw new Conflict();
      await event(`纸质票据 ${code}-${no} 作废（${reason}）`);
      return { ...base, paperState: 'none', voided: { pBillBatchCode: code, pBillNo: no }, newPrintJob: false, repeated: false };
    });
  }

  return {
    /** One paper operation in one transaction (local activity of the paper workflow). */
    async paperOperation(op: PaperOp): Promise<PaperResult> {
      for (let attempt = 0; ; attempt++) {
        try {
          return await operate(op);
        } catch (e) {
          // A concurrent change of the same bill slipped between our reads: do it again on fresh data.
          if ((e instanceof Conflict || isUniqueViolation(e)) && attempt < 3) continue;
          if (e instanceof DomainError) throw e;
          throw e;
        }
      }
    },

    /**
     * Prints one queued job (background activity, retried while the printer is down). The job id is
     * the print service's idempotency key. A paper form voided before it printed is not printed.
     */
    async printJob(jobId: string): Promise<'printed' | 'cancelled'> {
      const conn = deps.orm.em.getConnection();
      const [job] = await conn.execute<Array<{ job_id: string; bill_id: number; kind: string; printer: string; p_bill_batch_code: string | null; p_bill_no: string | null; state: string; operator: string }>>(
        'select job_id, bill_id, kind, printer, p_bill_batch_code, p_bill_no, state, operator from print_job where job_id = ?',
        [jobId],
      );
      if (!job) throw ApplicationFailure.create({ message: `print job ${jobId} not found`, nonRetryable: true });
      if (job.state === 'printed' || job.state === 'cancelled') return job.state;
      const bill = await loadPrintBill(conn, job.bill_id);
      let pdf: Buffer;
      let title: string;
      if (job.kind === 'paper_form') {
        const [num] = await conn.execute<Array<{ state: string }>>('select state from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [job.p_bill_batch_code, job.p_bill_no]);
        if (!num || num.state !== 'printed') {
          await conn.execute(`update print_job set state = 'cancelled' where job_id = ? and state = 'queued'`, [jobId], 'run');
          return 'cancelled';
        }
        const [prev] = await conn.execute<Array<{ p_bill_batch_code: string; p_bill_no: string }>>(
          `select p_bill_batch_code, p_bill_no from paper_number where bill_id = ? and state = 'voided' and id < (select id from paper_number where p_bill_batch_code = ? and p_bill_no = ?) order by id desc limit 1`,
          [job.bill_id, job.p_bill_batch_code, job.p_bill_no],
        );
        const [items, payments] = await Promise.all([
          conn.execute<Array<{ name: string; number: string | null; amt: number | string }>>('select name, number, amt from bill_item where bill_id = ? order by sort_no, id', [job.bill_id]),
          conn.execute<Array<{ channel_code: string; amount: number | string }>>('select channel_code, amount from bill_payment where bill_id = ? order by id', [job.bill_id]),
        ]);
        pdf = await renderPaperFormPdf(
          {
            pBillBatchCode: job.p_bill_batch_code!,
            pBillNo: job.p_bill_no!,
            billBatchCode: bill.bill_batch_code,
            billNo: bill.bill_no,
            random: bill.random,
            hospitalName: bill.hospital_name,
            billKindName: bill.kind_name,
            payer: bill.payer,
            patientNo: bill.patient_no,
            busNo: bill.bus_no,
            busTypeName: BUS_TYPES[bill.bus_type] ?? bill.bus_type,
            issuedAt: dbDate(bill.issued_at),
            totalAmt: formatYuan(Number(bill.total_amt)),
            totalAmtChinese: yuanInChinese(Number(bill.total_amt)),
            items: items.map((i: { name: string; number: string | null; amt: number | string }) => ({ name: i.name, number: i.number ?? undefined, amt: formatYuan(Number(i.amt)) })),
            payments: payments.map((p: { channel_code: string; amount: number | string }) => ({ channelName: PAY_CHANNELS[p.channel_code] ?? p.channel_code, amount: formatYuan(Number(p.amount)) })),
            payee: bill.payee,
            operator: job.operator,
            printedAt: new Date(),
            reprint: prev ? { pBillBatchCode: prev.p_bill_batch_code, pBillNo: prev.p_bill_no } : undefined,
          },
          { fontPath: deps.cfg.fontPath },
        );
        title = `纸质票据 ${job.p_bill_batch_code}-${job.p_bill_no}（电子票据 ${bill.bill_batch_code}-${bill.bill_no}）`;
      } else {
        // The layout file is written by the bill's own process right after issue; wait for it (retry).
        if (!bill.layout_path) throw new Error(`layout file of bill ${bill.bill_batch_code}-${bill.bill_no} not rendered yet`);
        pdf = await fs.readFile(path.join(deps.cfg.dataDir, bill.layout_path));
        title = `电子票据 ${bill.bill_batch_code}-${bill.bill_no}（A4 补打）`;
      }
      try {
        await deps.printer.print({ jobId, printer: job.printer, media: job.kind === 'paper_form' ? 'paper-form' : 'a4', title, pdf });
      } catch (e) {
        await conn.execute('update print_job set attempts = attempts + 1, last_error = ? where job_id = ?', [String((e as Error).message ?? e).slice(0, 1000), jobId], 'run');
        if (e instanceof PrinterPermanentError) throw ApplicationFailure.create({ message: e.message, type: 'PrinterPermanentError', nonRetryable: true });
        throw e;
      }
      await conn.execute(
        `update print_job set state = 'printed', attempts = attempts + 1, last_error = null, printed_at = ? where job_id = ? and state = 'queued'`,
        [deps.orm.em.getPlatform().processDateProperty(new Date()), jobId],
        'run',
      );
      return 'printed';
    },
  };
}


interface PrintBillRow {
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

async function loadPrintBill(conn: { execute: SqlRunner['execute'] }, billId: number): Promise<PrintBillRow> {
  const [row] = (await conn.execute(
    `select b.bill_batch_code, b.bill_no, b.random, b.issued_at, b.payer, b.patient_no, b.bus_no, b.bus_type, b.payee, b.total_amt, b.layout_path,
            h.name as hospital_name, k.name as kind_name
       from bill b join hospital h on h.id = b.hospital_id join bill_kind k on k.id = b.bill_kind_id where b.id = ?`,
    [billId],
  )) as PrintBillRow[];
  if (!row) throw ApplicationFailure.create({ message: `bill ${billId} not found`, nonRetryable: true });
  return row;
}

export interface BlankVoidInput {
  hospitalId: number;
  placeCode: string;
  pBillBatchCode: string;
  start: number;
  end: number;
  author: string;
  reason: string;
}

/**
 * Voids a range of never-used blank forms (invalidBlankBillNo), all or nothing, in one transaction:
 * every number must be an unused number of one of the point's segments. The same range voided
 * again answers the same (idempotent).
 */
export async function voidBlankRange(deps: Deps, input: BlankVoidInput): Promise<{ count: number; repeated: boolean; nextPBillNo?: string }> {
  if (input.end < input.start) throw fieldError('pBillNoEnd', 'must not be below pBillNoStart');
  if (input.end - input.start + 1 > 1000) throw fieldError('pBillNoEnd', 'at most 1000 numbers at a time');
  const place = await deps.master.lookup(input.hospitalId, (h) => h.places.get(input.placeCode));
  if (!place) throw fieldError('placeCode', `unknown billing point "${input.placeCode}"`, 'E0020');
  return deps.orm.em.fork().transactional(async (tx) => {
    const sql = tx as unknown as Sql;
    const [seg] = await sql.execute<SegmentRow[]>(
      `select id, p_bill_batch_code, bill_kind_id, start_no, end_no, next_no from paper_segment where place_id = ? and p_bill_batch_code = ? and start_no <= ? and end_no >= ?${forUpdate(sql)}`,
      [place.id, input.pBillBatchCode, input.start, input.start],
    );
    if (!seg) throw fieldError('pBillNoStart', `${paperNo(input.start)} is not a paper number of code ${input.pBillBatchCode} at billing point "${input.placeCode}"`, 'E0034');
    if (input.end > Number(seg.end_no)) throw fieldError('pBillNoEnd', `${paperNo(input.end)} is beyond the segment ${paperNo(Number(seg.start_no))}-${paperNo(Number(seg.end_no))}`, 'E0034');
    const next_no = seg.next_no; // read under the row lock (for update; SQLite: one writer)
    const taken = await sql.execute<Array<{ p_no: number | string; state: string; void_reason: string | null }>>(
      'select p_no, state, void_reason from paper_number where segment_id = ? and p_no between ? and ? order by p_no',
      [seg.id, input.start, input.end],
    );
    const size = input.end - input.start + 1;
    if (taken.length === size && taken.every((t) => t.state === 'blank_voided' && t.void_reason === input.reason)) {
      return { count: size, repeated: true, nextPBillNo: paperNo(Number(next_no)) };
    }
    if (taken.length > 0) {
      const first = taken[0];
      throw fieldError('pBillNoStart', `${paperNo(Number(first.p_no))} in ${paperNo(input.start)}-${paperNo(input.end)} is already ${first.state === 'printed' ? 'printed' : 'voided'}; only unused blank forms can be voided`, 'E0034');
    }
    if (input.start < Number(next_no)) {
      throw fieldError('pBillNoStart', `${paperNo(input.start)} is already used: the next unused paper form of "${input.placeCode}" is ${paperNo(Number(next_no))}`, 'E0034');
    }
    const at = now(sql, new Date());
    for (let n = input.start; n <= input.end; n += 100) {
      const chunk = Array.from({ length: Math.min(100, input.end - n + 1) }, (_, i) => n + i);
      await sql.execute(
        `insert into paper_number (segment_id, p_bill_batch_code, p_bill_no, p_no, state, void_reason, voided_by, voided_at, created_at) values ${chunk.map(() => "(?, ?, ?, ?, 'blank_voided', ?, ?, ?, ?)").join(', ')}`,
        chunk.flatMap((k) => [seg.id, input.pBillBatchCode, paperNo(k), k, input.reason, input.author.slice(0, 64), at, at]),
        'run',
      );
    }
    if (input.start === Number(next_no)) await skipVoidedBlanks(sql, Number(seg.id), input.start);
    const [after] = await sql.execute<Array<{ next_no: number | string }>>('select next_no from paper_segment where id = ?', [seg.id]);
    return { count: size, repeated: false, nextPBillNo: paperNo(Number(after.next_no)) };
  });
}
