/**
 * Paper bills (纸质票据): the paper stock of billing points and the operations on one bill's paper
 * form. Each operation is ONE database transaction, run as the local activity of the bill's paper
 * workflow `paper-{billBatchCode}-{billNo}` (activities/paper.ts): change the bill, take or void
 * paper numbers, queue the print job and write the timeline event together. Printing follows in the background
 * (`printJob`), by a job id stored in that transaction, so a retried print never prints twice.
 *
 * Paper numbers are taken like e-bill numbers (see takeNextNumber), by takePaperNumber in
 * orm/repositories/paper.ts: a conditional UPDATE of the segment's `next_no` inside the
 * transaction, so two exchanges never share a number and a failed transaction gives it back.
 */
import * as fs from 'node:fs/promises';
import { dbDate } from '../orm/sql-values';
import * as path from 'node:path';
import { DomainError, fieldError } from '../common/errors';
import { isUniqueViolation } from '../orm/errors';
import { formatYuan, yuanInChinese } from '../common/money';
import type { Deps } from './deps';
import { PAY_CHANNELS } from './delivery';
import { BUS_TYPES } from '../domain/bill/issue-request';
import { renderPaperFormPdf } from '../adapters/printer/paper-form-pdf';
import { paperWorkflowId } from '../temporal/ids';
import { recordBillEvent } from '../orm/repositories/bill-events';
import {
  billPaperState,
  billPaperStateNow,
  cancelQueuedPrintJob,
  cancelQueuedPrintJobNow,
  clearBillForm,
  formReplacedBy,
  insertBlankVoids,
  layoutPrintCount,
  lockBillForPaper,
  markBillExchanged,
  moveBillToForm,
  paperFormOf,
  paperFormStateNow,
  paperNo,
  paperSegmentHolding,
  printBill,
  printBillLines,
  printJobById,
  printJobFailed,
  printJobPrinted,
  queuePrintJob,
  recordPrintedForm,
  segmentNextNo,
  skipVoidedBlanks,
  takePaperNumber,
  usedPaperNumbers,
  voidPrintedForm,
} from '../orm/repositories/paper';

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
  /** printLayout: the request's idempotency key (the HIS's printPaperBill): the same key again queues nothing more. */
  requestKey?: string;
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

export const paperJobId = (code: string, no: string) => `paper-${code}-${no}`;
export const paperPrinter = (placeCode: string) => `${placeCode}-paper`;
export const a4Printer = (placeCode: string) => `${placeCode}-a4`;

const OP_EVENT = { exchange: 'exchanged', reexchange: 'paper_reprinted', void: 'paper_voided', printLayout: 'layout_printed' } as const;

class Conflict extends Error {}

async function operate(deps: Deps, op: PaperOp): Promise<PaperResult> {
  const em = deps.orm.em.fork();
  const bill0 = await billPaperStateNow(em, op.billId);
  if (!bill0) throw new DomainError('E0030', `billNo: 票据 ${op.billId} 不存在`, 'billNo');
  const label = `${bill0.bill_batch_code}-${bill0.bill_no}`;
  const place = await deps.master.lookup(bill0.hospital_id, (h) => h.places.get(op.placeCode));
  if (!place) throw fieldError('placeCode', `开票点 ${op.placeCode} 不存在`, 'E0020');
  if (!place.active) throw fieldError('placeCode', `开票点 ${op.placeCode} 已停用`, 'E0020');
  const workflowId = paperWorkflowId({ billBatchCode: bill0.bill_batch_code, billNo: bill0.bill_no });

  return em.transactional(async (sql) => {
    const at = new Date();
    const base = { billId: bill0.id, billBatchCode: bill0.bill_batch_code, billNo: bill0.bill_no };
    const queueJob = async (jobId: string, kind: 'paper_form' | 'layout', printer: string, p?: { code: string; no: string }) =>
      queuePrintJob(sql, { jobId, billId: bill0.id, kind, printer, form: p, operator: op.operator, at });
    const event = (detail: string) => recordBillEvent(sql, { billId: bill0.id, type: OP_EVENT[op.op], actor: op.actor ?? op.operator, detail: op.actor && op.actor !== op.operator ? `${detail}，操作员 ${op.operator}` : detail, workflowId, at });
    const printForm = async (seg: { pBillBatchCode: string; number: number; segmentId: number }) => {
      const no = paperNo(seg.number);
      await recordPrintedForm(sql, { segmentId: seg.segmentId, code: seg.pBillBatchCode, no, number: seg.number, billId: bill0.id, operator: op.operator, at });
      const jobId = paperJobId(seg.pBillBatchCode, no);
      await queueJob(jobId, 'paper_form', paperPrinter(op.placeCode), { code: seg.pBillBatchCode, no });
      return { no, jobId };
    };
    const voidForm = async (code: string, no: string, reason: string) => {
      if (!(await voidPrintedForm(sql, { code, no, billId: bill0.id, reason, operator: op.operator, at }))) throw new Conflict();
      // A form voided before its print job ran is not printed any more.
      await cancelQueuedPrintJob(sql, paperJobId(code, no));
    };

    if (op.op === 'printLayout') {
      const current = async () => (await billPaperState(sql, bill0.id))!;
      if (op.requestKey) {
        const prior = await printJobById(sql, `layout-${bill0.id}-r${op.requestKey}`);
        if (prior) {
          const cur = await current();
          return { ...base, paperState: cur.paper_state as PaperResult['paperState'], pBillBatchCode: cur.paper_bill_batch_code ?? undefined, pBillNo: cur.paper_bill_no ?? undefined, printJobId: prior.job_id, newPrintJob: false, repeated: true };
        }
      }
      const n = await layoutPrintCount(sql, bill0.id);
      const jobId = op.requestKey ? `layout-${bill0.id}-r${op.requestKey}` : `layout-${bill0.id}-${n + 1}`;
      await queueJob(jobId, 'layout', a4Printer(op.placeCode));
      await event(`A4 补打（${op.placeCode}，打印任务 ${jobId}）`);
      const cur = (await billPaperState(sql, bill0.id))!;
      return { ...base, paperState: cur.paper_state as PaperResult['paperState'], pBillBatchCode: cur.paper_bill_batch_code ?? undefined, pBillNo: cur.paper_bill_no ?? undefined, printJobId: jobId, newPrintJob: true, repeated: false };
    }

    // Lock the bill first (as the reversal does), then the paper segment: one lock order.
    await lockBillForPaper(sql, bill0.id);
    const bill = (await billPaperState(sql, bill0.id))!;
    const current = bill.paper_state === 'exchanged' && bill.paper_bill_batch_code && bill.paper_bill_no ? { code: bill.paper_bill_batch_code, no: bill.paper_bill_no } : undefined;
    const same = (code?: string, no?: string) => !!current && (!code || code === current.code) && (!no || Number(no) === Number(current.no));
    const repeatAnswer = (): PaperResult => ({ ...base, paperState: 'exchanged', pBillBatchCode: current!.code, pBillNo: current!.no, printJobId: paperJobId(current!.code, current!.no), newPrintJob: false, repeated: true });

    if (op.op === 'exchange' || op.op === 'reexchange') {
      if (Number(bill.is_scarlet)) throw new DomainError('E0031', `billNo: ${label} 是红票，红票不能换开纸质票据`, 'billNo');
      if (bill.state !== 'normal') throw new DomainError('E0031', `billNo: ${label} 已冲红，不能换开纸质票据`, 'billNo');
    }
    if (op.op === 'exchange') {
      if (current) {
        if (same(op.pBillBatchCode, op.pBillNo)) return repeatAnswer();
        throw new DomainError('E0031', `billNo: ${label} 已换开纸质票据 ${current.code}-${current.no}，重新换开请用 reTurnPaper，或先 invalidPaper 作废`, 'billNo');
      }
      const seg = await takePaperNumber(sql, place, { pBillBatchCode: op.pBillBatchCode, billKindId: Number(bill.bill_kind_id), expected: op.pBillNo });
      if (!(await markBillExchanged(sql, bill.id, { code: seg.pBillBatchCode, no: paperNo(seg.number) }))) throw new Conflict();
      const { no, jobId } = await printForm(seg);
      await event(`纸质票据 ${seg.pBillBatchCode}-${no}（${op.placeCode}）`);
      return { ...base, paperState: 'exchanged', pBillBatchCode: seg.pBillBatchCode, pBillNo: no, printJobId: jobId, newPrintJob: true, repeated: false };
    }

    if (op.op === 'reexchange') {
      if (!current) throw new DomainError('E0031', `billNo: ${label} 未换开纸质票据，请用 turnPaper`, 'billNo');
      if (op.pBillNo !== undefined && same(op.pBillBatchCode, op.pBillNo)) return repeatAnswer();
      const reason = op.reason || '纸质票据损坏或遗失，重新换开';
      await voidForm(current.code, current.no, reason);
      const seg = await takePaperNumber(sql, place, { pBillBatchCode: op.pBillBatchCode, billKindId: Number(bill.bill_kind_id), expected: op.pBillNo });
      if (!(await moveBillToForm(sql, bill.id, current, { code: seg.pBillBatchCode, no: paperNo(seg.number) }))) throw new Conflict();
      const { no, jobId } = await printForm(seg);
      await event(`原纸质票据 ${current.code}-${current.no} 作废（${reason}），新纸质票据 ${seg.pBillBatchCode}-${no}`);
      return { ...base, paperState: 'exchanged', pBillBatchCode: seg.pBillBatchCode, pBillNo: no, voided: { pBillBatchCode: current.code, pBillNo: current.no }, printJobId: jobId, newPrintJob: true, repeated: false };
    }

    // op === 'void': the printed form pBillBatchCode-pBillNo of this bill.
    const code = op.pBillBatchCode!;
    const no = paperNo(Number(op.pBillNo));
    const row = await paperFormOf(sql, code, no);
    if (!row || Number(row.bill_id) !== bill.id) throw fieldError('pBillNo', `纸质票据 ${code}-${no} 不是票据 ${label} 换开的`, 'E0034');
    if (row.state === 'voided' && !(current && current.code === code && current.no === no)) {
      return { ...base, paperState: bill.paper_state as PaperResult['paperState'], pBillBatchCode: current?.code, pBillNo: current?.no, voided: { pBillBatchCode: code, pBillNo: no }, newPrintJob: false, repeated: true };
    }
    if (!current || current.code !== code || current.no !== no) throw fieldError('pBillNo', `纸质票据 ${code}-${no} 不是票据 ${label} 当前的纸质票据`, 'E0034');
    const reason = op.reason ?? '';
    await voidForm(code, no, reason);
    if (!(await clearBillForm(sql, bill.id, { code, no }))) throw new Conflict();
    await event(`纸质票据 ${code}-${no} 作废（${reason}）`);
    return { ...base, paperState: 'none', voided: { pBillBatchCode: code, pBillNo: no }, newPrintJob: false, repeated: false };
  });
}

/** One paper operation in one transaction (local activity of the paper workflow). */
export async function paperOperation(deps: Deps, op: PaperOp): Promise<PaperResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operate(deps, op);
    } catch (e) {
      // A concurrent change of the same bill slipped between our reads: do it again on fresh data.
      if ((e instanceof Conflict || isUniqueViolation(e)) && attempt < 3) continue;
      if (e instanceof DomainError) throw e;
      throw e;
    }
  }
}

/**
 * Prints one queued job (background activity, retried while the printer is down). The job id is
 * the print service's idempotency key. A paper form voided before it printed is not printed.
 */
export async function printJob(deps: Deps, jobId: string): Promise<'printed' | 'cancelled'> {
  const em = deps.orm.em;
  const job = await printJobById(em, jobId);
  if (!job) throw new DomainError('E0030', `jobId: 打印任务 ${jobId} 不存在`, 'jobId');
  if (job.state === 'printed' || job.state === 'cancelled') return job.state;
  const bill = await printBill(em, job.bill_id);
  if (!bill) throw new DomainError('E0030', `billNo: 打印任务 ${jobId} 的票据 ${job.bill_id} 不存在`, 'billNo');
  let pdf: Buffer;
  let title: string;
  if (job.kind === 'paper_form') {
    const state = await paperFormStateNow(em, job.p_bill_batch_code, job.p_bill_no);
    if (state !== 'printed') {
      await cancelQueuedPrintJobNow(em, jobId);
      return 'cancelled';
    }
    const prev = await formReplacedBy(em, job.bill_id, job.p_bill_batch_code, job.p_bill_no);
    const { items, payments } = await printBillLines(em, job.bill_id);
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
      { fontPath: deps.cfg.layout.fontPath },
    );
    title = `纸质票据 ${job.p_bill_batch_code}-${job.p_bill_no}（电子票据 ${bill.bill_batch_code}-${bill.bill_no}）`;
  } else {
    // The layout file is written by the bill's own process right after issue; wait for it (retry).
    if (!bill.layout_path) throw new Error(`layout file of bill ${bill.bill_batch_code}-${bill.bill_no} not rendered yet`);
    pdf = await fs.readFile(path.join(deps.cfg.server.dataDir, bill.layout_path));
    title = `电子票据 ${bill.bill_batch_code}-${bill.bill_no}（A4 补打）`;
  }
  try {
    await deps.printer.print({ jobId, printer: job.printer, media: job.kind === 'paper_form' ? 'paper-form' : 'a4', title, pdf, busNo: bill.bus_no, billNo: bill.bill_no });
  } catch (e) {
    await printJobFailed(em, jobId, String((e as Error).message ?? e).slice(0, 1000));
    throw e; // PrinterPermanentError: not retried (activities/paper.ts); anything else: retried
  }
  await printJobPrinted(em, jobId, new Date());
  return 'printed';
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
  if (input.end < input.start) throw fieldError('pBillNoEnd', '不能小于 pBillNoStart');
  if (input.end - input.start + 1 > 1000) throw fieldError('pBillNoEnd', '每次至多 1000 个号码');
  const place = await deps.master.lookup(input.hospitalId, (h) => h.places.get(input.placeCode));
  if (!place) throw fieldError('placeCode', `开票点 ${input.placeCode} 不存在`, 'E0020');
  return deps.orm.em.fork().transactional(async (sql) => {
    const seg = await paperSegmentHolding(sql, place.id, input.pBillBatchCode, input.start);
    if (!seg) throw fieldError('pBillNoStart', `${paperNo(input.start)} 不是开票点 ${input.placeCode} 代码为 ${input.pBillBatchCode} 的纸质票据号`, 'E0034');
    if (input.end > Number(seg.end_no)) throw fieldError('pBillNoEnd', `${paperNo(input.end)} 超出号段 ${paperNo(Number(seg.start_no))}-${paperNo(Number(seg.end_no))}`, 'E0034');
    const next_no = seg.next_no; // read under the row lock (for update; SQLite: one writer)
    const taken = await usedPaperNumbers(sql, seg.id, input.start, input.end);
    const size = input.end - input.start + 1;
    if (taken.length === size && taken.every((t) => t.state === 'blank_voided' && t.void_reason === input.reason)) {
      return { count: size, repeated: true, nextPBillNo: paperNo(Number(next_no)) };
    }
    if (taken.length > 0) {
      const first = taken[0];
      throw fieldError('pBillNoStart', `${paperNo(Number(first.p_no))} in ${paperNo(input.start)}-${paperNo(input.end)} 已${first.state === 'printed' ? '打印' : '作废'}，只能作废未使用的空白票据`, 'E0034');
    }
    if (input.start < Number(next_no)) {
      throw fieldError('pBillNoStart', `${paperNo(input.start)} 已使用，开票点 ${input.placeCode} 的下一张未使用纸质票据为 ${paperNo(Number(next_no))}`, 'E0034');
    }
    await insertBlankVoids(sql, { segmentId: seg.id, code: input.pBillBatchCode, start: input.start, end: input.end, reason: input.reason, author: input.author, at: new Date() });
    if (input.start === Number(next_no)) await skipVoidedBlanks(sql, Number(seg.id), input.start);
    return { count: size, repeated: false, nextPBillNo: paperNo(await segmentNextNo(sql, seg.id)) };
  });
}
