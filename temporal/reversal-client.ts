/**
 * The bill reversal process `writeoff-{billBatchCode}-{billNo}` as its callers use it: the HIS
 * (writeOffEBill, partialRefundEBill), the console and a refund's activity all reverse (and
 * reissue) a bill through here, so concurrent or repeated calls for one bill make one red bill.
 * Answers with the bills themselves; each caller words its own answer.
 */
import { DomainError, fieldError } from '../common/errors';
import { Bill } from '../orm/entities';
import { refuseWhileRefundOpen } from '../services/refunds';
import type { RefundSpec } from '../domain/bill/reissue-plan';
import type { IssuedBill } from '../services/issuance';
import { partialRefundUpdate, refundSpecKey, writeOffUpdate, type PartialRefundResult } from './messages';
import { startOperation } from './workflow-types';
import type { ProcessContext } from './context';
import { writeOffWorkflowId } from './ids';
import { billStateAttribute } from './search-attributes';
import { updateWithStart } from './update-with-start';

export interface WriteOffRequest {
  hospitalId: number;
  billBatchCode: string;
  billNo: string;
  placeCode: string;
  reason: string;
  operator: string;
  /** Set by a refund's own reversal (after its money went back): that refund does not hold the bill. */
  forRefundId?: number;
}

/** How long a caller waits for the process's answer (default: MEDBILL_ISSUE_TIMEOUT_MS). */
export interface WaitOptions {
  timeoutMs?: number;
}

async function findOriginal(ctx: ProcessContext, req: WriteOffRequest): Promise<Bill> {
  const original = await ctx.deps.orm.em.fork().findOne(Bill, { billBatchCode: req.billBatchCode, billNo: req.billNo }, { populate: ['place'] });
  if (!original || original.hospital.id !== req.hospitalId) {
    throw new DomainError('E0030', `billNo: 本医院未开具票据 ${req.billBatchCode}-${req.billNo}`, 'billNo');
  }
  if (original.isScarlet) throw new DomainError('E0031', `billNo: ${req.billBatchCode}-${req.billNo} 是红票，红票不能冲红`, 'billNo');
  const place = await ctx.deps.master.lookup(req.hospitalId, (h) => h.places.get(req.placeCode));
  if (!place) throw fieldError('placeCode', `开票点 ${req.placeCode} 不存在`, 'E0020');
  // Money never leaves twice: no reversal or partial refund (console, HIS) while a refund of the bill is open.
  await refuseWhileRefundOpen(ctx.deps.orm.em.fork(), original.id, req.forRefundId);
  return original;
}

function startReversal(ctx: ProcessContext, original: Bill, req: WriteOffRequest, reissue?: RefundSpec) {
  return startOperation('writeOffWorkflow', {
    workflowId: writeOffWorkflowId(original),
    taskQueue: ctx.taskQueue,
    args: [
      {
        billId: original.id,
        placeCode: req.placeCode,
        reason: req.reason,
        operator: req.operator,
        reissue,
        requestedAt: new Date().toISOString(),
        paperRemindAfterMs: ctx.deps.cfg.bills.paperRemindAfterMs,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: {
      BusNo: [original.busNo],
      PlaceCode: [req.placeCode],
      BusType: [original.busType],
      PatientNo: [original.patientNo],
      ...billStateAttribute('reversing'),
    },
  });
}

/**
 * Partial refund: reverses the bill and reissues it minus the refund in one process. Answers once
 * the red bill exists and the reissue is issued or blocked (the process then waits for a person).
 */
export async function partialRefund(ctx: ProcessContext, req: WriteOffRequest, spec: RefundSpec, wait: WaitOptions = {}): Promise<PartialRefundResult> {
  const original = await findOriginal(ctx, req);
  return updateWithStart(
    ctx,
    partialRefundUpdate,
    startReversal(ctx, original, req, spec),
    { message: `billNo: 票据 ${req.billBatchCode}-${req.billNo} 的部分退费仍在处理中，请用相同内容再次调用取得结果`, field: 'billNo', timeoutMs: wait.timeoutMs },
    { specKey: refundSpecKey(spec) },
  );
}

/** Whole reversal: answers with the red bill. */
export async function writeOff(ctx: ProcessContext, req: WriteOffRequest, wait: WaitOptions = {}): Promise<IssuedBill> {
  const original = await findOriginal(ctx, req);
  return updateWithStart(ctx, writeOffUpdate, startReversal(ctx, original, req), {
    message: `billNo: 票据 ${req.billBatchCode}-${req.billNo} 仍在冲红中，请再次调用取得红票`,
    field: 'billNo',
    timeoutMs: wait.timeoutMs,
  });
}
