/**
 * The reversal process's steps beyond the red bill itself (its activities: activities/lifecycle.ts): the paper-form check, the
 * to-do items a person must work (recover a paper form, unblock a reissue), reminders, and the plan
 * of a partial-refund reissue. Each is one transaction and idempotent, because Temporal may run an
 * activity again after a crash: a to-do is opened once per (kind, bill), a reminder counted once.
 */
import type { Sql } from '../orm/sql';
import { DomainError } from '../common/errors';
import { formatYuan } from '../common/money';
import { isUniqueViolation } from '../orm/errors';
import { payloadHash } from '../domain/bill/issue-request';
import { parseIssueDraft } from '../domain/bill/issue-request';
import { type BillEventType } from '../domain/bill/events';
import type { Deps } from './deps';
import { computeReissue, type RefundSpec } from '../domain/bill/reissue-plan';
import { recordBillEvent } from '../orm/repositories/bill-events';
import { closeOpenTodo, countPaperReminder, insertTodo, reopenTodo, todoOfBill } from '../orm/repositories/todos';
import { billPaperForm, billPaperHold, insertReissueRequest, issueRequestByBusNo, issueRequestOfBill, reissueSourceBill, replanReissueRequest } from '../orm/repositories/lifecycle';

export type TodoKind = 'paper_recovery' | 'reissue_blocked';

export interface PaperHold {
  exchanged: boolean;
  paperBillBatchCode?: string;
  paperBillNo?: string;
  placeCode: string;
  billBatchCode: string;
  billNo: string;
}

export interface OpenTodoInput {
  kind: TodoKind;
  billId: number;
  placeCode: string;
  workflowId: string;
  title: string;
  detail?: string;
  /** ISO time of the first reminder. */
  remindAt?: string;
  actor: string;
  event: BillEventType;
}

export interface CloseTodoInput {
  kind: TodoKind;
  billId: number;
  actor: string;
  state: 'done' | 'cancelled';
  event?: BillEventType;
  detail?: string;
  workflowId?: string;
}

export interface PlanReissueInput {
  billId: number;
  refund: RefundSpec;
  operator: string;
  reason: string;
  /** ISO time the refund was asked for: the reissue's busDateTime (fixed, so a retry plans the same bill). */
  requestedAt: string;
  workflowId: string;
}

export interface ReissuePlan {
  appid: string;
  busNo: string;
  placeCode: string;
  busType: string;
  patientNo: string;
  /** yuan text */
  totalAmt: string;
  refundAmt: string;
}

/** One transaction on a fresh fork. */
const tx = <T>(deps: Deps, fn: (sql: Sql) => Promise<T>) => deps.orm.em.fork().transactional(fn);

/** Whether the bill is exchanged for a paper form right now (a reversal must wait for its recovery). */
export async function paperHold(deps: Deps, billId: number): Promise<PaperHold> {
  const b = await billPaperHold(deps.orm.em, billId);
  if (!b) throw new DomainError('E0030', `billNo: 票据 ${billId} 不存在`, 'billNo');
  return {
    exchanged: b.paper_state === 'exchanged',
    paperBillBatchCode: b.paper_bill_batch_code ?? undefined,
    paperBillNo: b.paper_bill_no ?? undefined,
    placeCode: b.place_code,
    billBatchCode: b.bill_batch_code,
    billNo: b.bill_no,
  };
}

/** Opens (or reopens) the to-do; the timeline gets `event` only when it was not open already. */
export async function openTodo(deps: Deps, i: OpenTodoInput): Promise<void> {
  await tx(deps, async (sql) => {
    const now = new Date();
    const row = await todoOfBill(sql, i.kind, i.billId);
    if (row?.state === 'open') return;
    const fields = { placeCode: i.placeCode, workflowId: i.workflowId, title: i.title, detail: i.detail ?? null, createdAt: now, remindAt: i.remindAt ? new Date(i.remindAt) : null };
    if (row) {
      await reopenTodo(sql, row.id, fields);
    } else {
      try {
        await insertTodo(sql, i.kind, i.billId, fields);
      } catch (e) {
        if (isUniqueViolation(e)) return; // a concurrent attempt opened it
        throw e;
      }
    }
    await recordBillEvent(sql, { billId: i.billId, type: i.event, actor: i.actor, detail: i.detail ?? i.title, workflowId: i.workflowId, at: now });
  });
}

/** Closes the to-do if it is open; records `event` when it did. */
export async function closeTodo(deps: Deps, i: CloseTodoInput): Promise<boolean> {
  return tx(deps, async (sql) => {
    const closed = await closeOpenTodo(sql, i.kind, i.billId, { state: i.state, closedBy: i.actor, at: new Date() });
    if (closed && i.event) await recordBillEvent(sql, { billId: i.billId, type: i.event, actor: i.actor, detail: i.detail, workflowId: i.workflowId });
    return closed;
  });
}

/** The `count`-th reminder for a paper form still out; counted once however often it is retried. */
export async function remindPaperRecovery(deps: Deps, i: { billId: number; count: number; nextRemindAt: string; workflowId: string }): Promise<void> {
  await tx(deps, async (sql) => {
    if (!(await countPaperReminder(sql, i.billId, { count: i.count, at: new Date(), nextRemindAt: new Date(i.nextRemindAt) }))) return;
    const b = await billPaperForm(sql, i.billId);
    await recordBillEvent(sql, {
      billId: i.billId,
      type: 'paper_reminder',
      actor: 'system',
      detail: `第 ${i.count} 次催收：纸质票据 ${b?.paper_bill_batch_code ?? ''}-${b?.paper_bill_no ?? ''} 尚未收回作废，冲红等待中`,
      workflowId: i.workflowId,
    });
  });
}

/**
 * Plans the reissue of a partial refund BEFORE anything is reversed: checks the refund against
 * the bill, computes the new bill's request and stores it (under the derived busNo, linked to
 * the original) so that the issuance later runs exactly as a HIS issuance would.
 */
export async function planReissue(deps: Deps, i: PlanReissueInput): Promise<ReissuePlan> {
  try {
    const b = await reissueSourceBill(deps.orm.em, i.billId);
    if (!b) throw new DomainError('E0030', `billNo: 票据 ${i.billId} 不存在`, 'billNo');
    if (Number(b.is_scarlet)) throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} 是红票，不能退费`, 'billNo');
    const req = await issueRequestOfBill(deps.orm.em, b.id);
    if (!req) throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} 没有保存的开票请求，无法重开`, 'billNo');
    const original = JSON.parse(req.payload) as Record<string, unknown>;
    const { payload, refundAmt, totalAmt } = computeReissue(original, { billBatchCode: b.bill_batch_code, billNo: b.bill_no }, i.refund, i.operator, new Date(i.requestedAt));
    const draft = parseIssueDraft(req.method, payload, deps.cfg.his); // the reissue must be a valid issuance, checked before the reversal
    const plan: ReissuePlan = {
      appid: b.appid,
      busNo: draft.busNo,
      placeCode: draft.placeCode,
      busType: draft.busType,
      patientNo: draft.patientNo,
      totalAmt: formatYuan(totalAmt),
      refundAmt: formatYuan(refundAmt),
    };
    const hash = payloadHash(payload);
    await tx(deps, async (sql) => {
      const existing = await issueRequestByBusNo(sql, b.appid, draft.busNo);
      if (existing?.payload_hash === hash && existing.origin_bill_id === b.id) return; // planned already (a retry)
      if (existing?.origin_bill_id === b.id) {
        // The same refund asked again later (its busDateTime is the first request's): answer with that plan.
        const first = JSON.parse(existing.payload) as Record<string, unknown>;
        if (payloadHash({ ...payload, busDateTime: first.busDateTime }) === existing.payload_hash) return;
      }
      if (existing?.bill_id) throw new DomainError('E0012', `busNo: 重开流水号 ${draft.busNo} 已有票据`, 'busNo');
      if (b.state !== 'normal') throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} 已冲红，部分退费须针对现行票据`, 'billNo');
      const planned = { method: req.method, payloadHash: hash, payload: JSON.stringify(payload), originBillId: b.id, at: new Date() };
      if (existing) {
        // A previous refund attempt that never reversed the bill: this request replaces it.
        await replanReissueRequest(sql, existing.id, planned);
      } else {
        await insertReissueRequest(sql, b.appid, draft.busNo, planned);
      }
      await recordBillEvent(sql, {
        billId: b.id,
        type: 'reissue_requested',
        actor: i.operator,
        detail: `退费 ${plan.refundAmt} 元，重开 ${plan.totalAmt} 元（业务流水号 ${plan.busNo}）；原因：${i.reason}`,
        workflowId: i.workflowId,
      });
    });
    return plan;
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw e;
  }
}
