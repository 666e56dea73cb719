/**
 * Bill-stock requisition (票据申领): the steps of workflow `requisition-{id}` (its activities:
 * activities/requisition.ts) and the draft editing the console does directly. States (requisition.state):
 *
 *   draft --submit--> submitted --(fiscal review)--> received --stock-in--> stocked
 *                        ^             `--> returned (comment) --edit, resubmit (revision + 1)--'
 *
 * Every step is one transaction that also writes a `requisition_event` (who, when, what), so the
 * console's timeline shows exactly what happened. Each activity is idempotent by
 * (requisition, revision): the fiscal platform dedupes a submission by (requisitionNo, revision),
 * received segments are stored once (unique code + start), a repeated stock-in changes nothing.
 */
import { DomainError, fieldError } from '../../common/errors';
import { FiscalRejectedError, type RequisitionReview } from '../../adapters/fiscal/platform';
import type { Deps } from '../deps';
import type { SqlEm } from '../../orm/sql';
import { addToPool, logMovement, rangeText, type Sql } from '../../orm/repositories/stock-ranges';
import { kindIdOfCode } from '../../orm/repositories/stock';
import {
  addStockReceipt, findRequisition, findRequisitionOnConnection, hasRequisitionEvent, insertDraftRequisition, markReceiptStocked, markRequisitionReceived, markRequisitionReturned, markRequisitionStocked,
  markRequisitionSubmitted, receivedReceipts, recordRequisitionEvent as recordEvent, replaceRequisitionLines, requisitionState, setFiscalRequisitionNo, setRequisitionNumber,
  updateRemarkInState, type RequisitionRow,
} from '../../orm/repositories/requisitions';
import { requisitionWorkflowId } from '../../temporal/ids';
import { type SqlRunner } from '../../orm/repositories/bill-events';


export const REQUISITION_STATES: Record<string, string> = {
  draft: '草稿',
  submitted: '已提交（待财政审核）',
  returned: '已退回',
  received: '已下发（待入库）',
  stocked: '已入库',
};

export const REQUISITION_EVENTS: Record<string, string> = {
  created: '创建申领单',
  edited: '修改申领单',
  submitted: '提交申领',
  resubmitted: '重新提交',
  sent: '已报送财政',
  fiscal_unavailable: '财政平台暂不可用，稍后重试',
  approved: '财政审核通过',
  returned: '财政退回',
  rejected: '财政拒收',
  received: '号段已下发',
  stocked: '确认入库',
};

export interface RequisitionLineInput {
  billKindCode: string;
  quantity: number;
}

type Conn = SqlRunner;

export async function recordRequisitionEvent(sql: Conn, requisitionId: number, type: keyof typeof REQUISITION_EVENTS, actor: string, revision: number, detail?: string): Promise<void> {
  await recordEvent(sql, requisitionId, type, actor, revision, detail);
}


export function parseLines(v: unknown): RequisitionLineInput[] {
  if (!Array.isArray(v) || v.length === 0) throw fieldError('lines', '请至少填写一行（票据种类与数量）');
  if (v.length > 20) throw fieldError('lines', '最多 20 行');
  const seen = new Set<string>();
  return v.map((l, i) => {
    const o = (l ?? {}) as Record<string, unknown>;
    if (typeof o.billKindCode !== 'string' || !/^\d{4}$/.test(o.billKindCode)) throw fieldError(`lines[${i}].billKindCode`, '请选择票据种类（4 位代码）');
    if (seen.has(o.billKindCode)) throw fieldError(`lines[${i}].billKindCode`, `票据种类 ${o.billKindCode} 重复`);
    seen.add(o.billKindCode);
    const q = typeof o.quantity === 'string' && /^\d+$/.test(o.quantity) ? Number(o.quantity) : o.quantity;
    if (typeof q !== 'number' || !Number.isSafeInteger(q) || q < 1 || q > 10_000_000) throw fieldError(`lines[${i}].quantity`, '数量须为 1–10000000 的整数');
    return { billKindCode: o.billKindCode, quantity: q };
  });
}

const writeLines = (sql: Sql, requisitionId: number, lines: RequisitionLineInput[]) => replaceRequisitionLines(sql, requisitionId, lines);

const linesText = (lines: RequisitionLineInput[]) => lines.map((l) => `${l.billKindCode} × ${l.quantity}`).join('，');

export async function createRequisition(em: SqlEm, hospitalId: number, lines: RequisitionLineInput[], remark: string | undefined, actor: string): Promise<number> {
  return em.fork().transactional(async (sql) => {
    const tmp = `T${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const id = await insertDraftRequisition(sql, { hospitalId, tmpNo: tmp, remark: remark ?? null, createdBy: actor });
    const d = new Date();
    const no = `SL${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}${String(id).padStart(6, '0')}`;
    await setRequisitionNumber(sql, id, no, requisitionWorkflowId(id));
    await writeLines(sql, id, lines);
    await recordRequisitionEvent(sql, id, 'created', actor, 1, `${no}：${linesText(lines)}${remark ? `（${remark}）` : ''}`);
    return id;
  });
}

/** Edits a draft, or a returned requisition before it is resubmitted. */
export async function editRequisition(em: SqlEm, id: number, lines: RequisitionLineInput[], remark: string | undefined, actor: string): Promise<void> {
  await em.fork().transactional(async (sql) => {
    const r = await requisitionState(sql, id);
    if (!r) throw new DomainError('E0030', `申领单 ${id} 不存在`);
    if (r.state !== 'draft' && r.state !== 'returned') throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，不能修改（只有草稿或被退回的申领单可以修改）`, 'state');
    if (!(await updateRemarkInState(sql, id, r.state, remark ?? null))) throw new DomainError('E0065', 'state: 申领单刚被提交，不能修改', 'state');
    await writeLines(sql, id, lines);
    await recordRequisitionEvent(sql, id, 'edited', actor, Number(r.revision) + (r.state === 'returned' ? 1 : 0), linesText(lines));
  });
}

function required(r: RequisitionRow | undefined, id: number): RequisitionRow {
  if (!r) throw new DomainError('E0030', `申领单 ${id} 不存在`);
  return r;
}
/** A requisition and its lines, inside the caller's transaction. */
const loadRequisition = async (sql: Sql, id: number) => required(await findRequisition(sql, id), id);
/** The same, read outside any transaction. */
const readRequisition = async (em: SqlEm, id: number) => required(await findRequisitionOnConnection(em, id), id);

export interface SubmitInput {
  requisitionId: number;
  /** 1 for the first submission, previous + 1 after a return. */
  revision: number;
  actor: string;
}

/** The submit step (the `submit` update's transaction): draft/returned -> submitted. */
export async function submitRequisition(deps: Deps, input: SubmitInput): Promise<{ state: string; revision: number; requisitionNo: string }> {
  return deps.orm.em.fork().transactional(async (sql) => {
    const r = await loadRequisition(sql, input.requisitionId);
    if (r.state === 'submitted' && r.revision === input.revision) return { state: r.state, revision: r.revision, requisitionNo: r.requisition_no };
    const expected = input.revision === 1 ? { state: 'draft', revision: 1 } : { state: 'returned', revision: input.revision - 1 };
    if (r.state !== expected.state || r.revision !== expected.revision) {
      throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，不能提交`, 'state');
    }
    if (r.lines.length === 0) throw fieldError('lines', '申领单没有明细行，请先填写票据种类与数量');
    if (!(await markRequisitionSubmitted(sql, r.id, input.revision, expected))) throw new DomainError('E0065', 'state: 申领单刚被修改，请刷新后重试', 'state');
    await recordRequisitionEvent(sql, r.id, input.revision === 1 ? 'submitted' : 'resubmitted', input.actor, input.revision, `第 ${input.revision} 次提交：${linesText(r.lines)}`);
    return { state: 'submitted', revision: input.revision, requisitionNo: r.requisition_no };
  });
}

/**
 * Sends the submission to the fiscal platform (idempotent there by requisitionNo + revision).
 * An outage is thrown (FiscalUnavailableError: retried); a refusal comes back as `rejected` for
 * the workflow to turn into a return the finance user can act on.
 */
export async function sendRequisition(deps: Deps, input: { requisitionId: number; revision: number }): Promise<{ state: 'sent' | 'rejected'; reason?: string }> {
  const r = await readRequisition(deps.orm.em.fork(), input.requisitionId);
  let fiscalRequisitionNo: string;
  try {
    ({ fiscalRequisitionNo } = await deps.fiscal.submitRequisition({
      requisitionNo: r.requisition_no,
      revision: input.revision,
      hospitalCode: r.hospital_code,
      lines: r.lines,
      applicant: r.created_by,
      remark: r.remark ?? undefined,
    }));
  } catch (e) {
    if (e instanceof FiscalRejectedError) return { state: 'rejected', reason: `${e.code}: ${e.message}` };
    throw e;
  }
  await deps.orm.em.fork().transactional(async (sql) => {
    await setFiscalRequisitionNo(sql, r.id, fiscalRequisitionNo);
    if (!(await hasRequisitionEvent(sql, r.id, 'sent', input.revision))) await recordRequisitionEvent(sql, r.id, 'sent', 'system', input.revision, `财政受理号 ${fiscalRequisitionNo}`);
  });
  return { state: 'sent' };
}

/**
 * One poll of the review. Approved: the segments are stored (received, awaiting stock-in);
 * returned: the comment. The fiscal side down or refusing the query is thrown as it is
 * (FiscalUnavailableError, FiscalRejectedError).
 */
export async function pollRequisition(deps: Deps, input: { requisitionId: number; revision: number }): Promise<{ state: 'submitted' | 'received' | 'returned'; comment?: string }> {
  const r = await readRequisition(deps.orm.em.fork(), input.requisitionId);
  if (r.revision !== input.revision) return { state: r.state as 'received' };
  if (r.state === 'received' || r.state === 'stocked') return { state: 'received' };
  if (r.state === 'returned') return { state: 'returned' };
  const review: RequisitionReview = await deps.fiscal.requisitionStatus(r.hospital_code, r.requisition_no, input.revision);
  if (review.state === 'submitted') return { state: 'submitted' };
  if (review.state === 'returned') {
    await recordReturn(deps, r.id, input.revision, review.reviewer, review.comment, review.reviewedAt, 'returned');
    return { state: 'returned', comment: review.comment };
  }
  await deps.orm.em.fork().transactional(async (sql) => {
    if (!(await markRequisitionReceived(sql, r.id, input.revision, review.reviewer, new Date(review.reviewedAt)))) return; // stored by an earlier attempt
    await recordRequisitionEvent(sql, r.id, 'approved', review.reviewer, input.revision, `审核人 ${review.reviewer}`);
    const texts: string[] = [];
    for (const s of review.segments) {
      const kindId = await kindIdOfCode(sql, s.billKindCode);
      if (kindId === undefined) throw new Error(`fiscal platform issued a segment of unknown bill kind ${s.billKindCode}`);
      await addStockReceipt(sql, { hospitalId: r.hospital_id, requisitionId: r.id, billKindId: kindId, billBatchCode: s.billBatchCode, startNo: s.startNo, endNo: s.endNo });
      texts.push(rangeText({ billBatchCode: s.billBatchCode, startNo: s.startNo, endNo: s.endNo }));
    }
    await recordRequisitionEvent(sql, r.id, 'received', 'system', input.revision, texts.join('；'));
  });
  return { state: 'received' };
}

/** A refusal of the submission itself, recorded as a return (finance edits and resubmits). */
export async function recordRequisitionRejected(deps: Deps, input: { requisitionId: number; revision: number; reason: string }): Promise<void> {
  await recordReturn(deps, input.requisitionId, input.revision, '财政平台', input.reason, new Date().toISOString(), 'rejected');
}

/** 确认入库: the received segments enter the hospital pool. */
export async function confirmRequisitionStockIn(deps: Deps, input: { requisitionId: number; actor: string }): Promise<{ state: string; quantity: number }> {
  return deps.orm.em.fork().transactional(async (sql) => {
    const r = await loadRequisition(sql, input.requisitionId);
    if (r.state === 'stocked') return { state: 'stocked', quantity: 0 };
    if (r.state !== 'received') throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，财政下发号段后才能入库`, 'state');
    if (!(await markRequisitionStocked(sql, r.id, input.actor))) throw new DomainError('E0065', 'state: 申领单刚被入库', 'state');
    const receipts = await receivedReceipts(sql, r.id);
    let quantity = 0;
    const texts: string[] = [];
    for (const s of receipts) {
      const range = { billKindId: Number(s.bill_kind_id), billBatchCode: s.bill_batch_code, startNo: Number(s.start_no), endNo: Number(s.end_no) };
      await markReceiptStocked(sql, s.id, input.actor);
      await addToPool(sql, r.hospital_id, range);
      await logMovement(sql, { ...range, hospitalId: r.hospital_id, type: 'stock_in', requisitionId: r.id, actor: input.actor });
      quantity += range.endNo - range.startNo + 1;
      texts.push(rangeText(range));
    }
    await recordRequisitionEvent(sql, r.id, 'stocked', input.actor, r.revision, `入库 ${quantity} 张：${texts.join('；')}`);
    return { state: 'stocked', quantity };
  });
}

async function recordReturn(deps: Deps, id: number, revision: number, reviewer: string, comment: string, reviewedAt: string, type: 'returned' | 'rejected'): Promise<void> {
  await deps.orm.em.fork().transactional(async (sql) => {
    if (await markRequisitionReturned(sql, id, revision, reviewer, comment, new Date(reviewedAt))) await recordRequisitionEvent(sql, id, type, reviewer, revision, comment);
  });
}
