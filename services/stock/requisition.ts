/**
 * Bill-stock requisition (票据申领), the activities of workflow `requisition-{id}` and the draft
 * editing the console does directly. States (requisition.state):
 *
 *   draft --submit--> submitted --(fiscal review)--> received --stock-in--> stocked
 *                        ^             `--> returned (comment) --edit, resubmit (revision + 1)--'
 *
 * Every step is one transaction that also writes a `requisition_event` (who, when, what), so the
 * console's timeline shows exactly what happened. Each activity is idempotent by
 * (requisition, revision): the fiscal platform dedupes a submission by (requisitionNo, revision),
 * received segments are stored once (unique code + start), a repeated stock-in changes nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Connection, EntityManager } from '@mikro-orm/core';
import { DomainError, fieldError } from '../../common/errors';
import { FiscalRejectedError, FiscalUnavailableError, type RequisitionReview } from '../../adapters/fiscal/platform';
import type { Deps } from '../deps';
import { addToPool, dbNow, insertRow, logMovement, rangeText, type Sql } from '../../orm/repositories/stock-ranges';
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
  await sql.execute(
    'insert into requisition_event (requisition_id, type, actor, revision, detail, created_at) values (?, ?, ?, ?, ?, ?)',
    [requisitionId, type, actor.slice(0, 64), revision, detail ?? null, sql.getPlatform().processDateProperty(new Date())],
    'run',
  );
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

async function writeLines(sql: Sql, requisitionId: number, lines: RequisitionLineInput[]): Promise<void> {
  await sql.execute('delete from requisition_line where requisition_id = ?', [requisitionId], 'run');
  for (const [i, l] of lines.entries()) {
    const [k] = await sql.execute<Array<{ id: number }>>('select id from bill_kind where code = ?', [l.billKindCode]);
    if (!k) throw fieldError(`lines[${i}].billKindCode`, `未知的票据种类 ${l.billKindCode}`);
    await insertRow(sql, 'requisition_line', { requisition_id: requisitionId, bill_kind_id: k.id, quantity: l.quantity });
  }
}

const linesText = (lines: RequisitionLineInput[]) => lines.map((l) => `${l.billKindCode} × ${l.quantity}`).join('，');

export async function createRequisition(em: EntityManager, hospitalId: number, lines: RequisitionLineInput[], remark: string | undefined, actor: string): Promise<number> {
  return em.fork().transactional(async (tx) => {
    const sql = tx as unknown as Sql;
    const now = dbNow(sql);
    const tmp = `T${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const id = await insertRow(sql, 'requisition', { hospital_id: hospitalId, requisition_no: tmp, state: 'draft', revision: 1, remark: remark ?? null, created_by: actor.slice(0, 64), created_at: now, updated_at: now });
    const d = new Date();
    const no = `SL${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}${String(id).padStart(6, '0')}`;
    await sql.execute('update requisition set requisition_no = ?, workflow_id = ? where id = ?', [no, requisitionWorkflowId(id), id], 'run');
    await writeLines(sql, id, lines);
    await recordRequisitionEvent(sql, id, 'created', actor, 1, `${no}：${linesText(lines)}${remark ? `（${remark}）` : ''}`);
    return id;
  });
}

/** Edits a draft, or a returned requisition before it is resubmitted. */
export async function editRequisition(em: EntityManager, id: number, lines: RequisitionLineInput[], remark: string | undefined, actor: string): Promise<void> {
  await em.fork().transactional(async (tx) => {
    const sql = tx as unknown as Sql;
    const [r] = await sql.execute<Array<{ state: string; revision: number }>>('select state, revision from requisition where id = ?', [id]);
    if (!r) throw new DomainError('E0030', `申领单 ${id} 不存在`);
    if (r.state !== 'draft' && r.state !== 'returned') throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，不能修改（只有草稿或被退回的申领单可以修改）`, 'state');
    const changed = await sql.execute<{ affectedRows: number }>('update requisition set remark = ?, updated_at = ? where id = ? and state = ?', [remark ?? null, dbNow(sql), id, r.state], 'run');
    if (Number(changed.affectedRows) !== 1) throw new DomainError('E0065', 'state: 申领单刚被提交，不能修改', 'state');
    await writeLines(sql, id, lines);
    await recordRequisitionEvent(sql, id, 'edited', actor, Number(r.revision) + (r.state === 'returned' ? 1 : 0), linesText(lines));
  });
}

interface ReqRow {
  id: number;
  hospital_id: number;
  requisition_no: string;
  state: string;
  revision: number;
  remark: string | null;
  created_by: string;
}

async function loadRequisition(runner: Sql | Connection, id: number): Promise<ReqRow & { hospital_code: string; lines: RequisitionLineInput[] }> {
  const sql = runner as Sql;
  const [r] = await sql.execute<Array<ReqRow & { hospital_code: string }>>(
    'select r.id, r.hospital_id, r.requisition_no, r.state, r.revision, r.remark, r.created_by, h.code as hospital_code from requisition r join hospital h on h.id = r.hospital_id where r.id = ?',
    [id],
  );
  if (!r) throw new DomainError('E0030', `申领单 ${id} 不存在`);
  const lines = await sql.execute<Array<{ code: string; quantity: number }>>(
    'select k.code, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id',
    [id],
  );
  return { ...r, revision: Number(r.revision), lines: lines.map((l) => ({ billKindCode: l.code, quantity: Number(l.quantity) })) };
}

export interface SubmitInput {
  requisitionId: number;
  /** 1 for the first submission, previous + 1 after a return. */
  revision: number;
  actor: string;
}

const nonRetryable = (e: unknown) => e; // a DomainError is made non-retryable by the worker's interceptor

export function requisitionActivities(deps: Deps) {
  const em = () => deps.orm.em.fork();
  return {
    /** The submit step (the `submit` update's transaction): draft/returned -> submitted. */
    async markRequisitionSubmitted(input: SubmitInput): Promise<{ state: string; revision: number; requisitionNo: string }> {
      try {
        return await em().transactional(async (tx) => {
          const sql = tx as unknown as Sql;
          const r = await loadRequisition(sql, input.requisitionId);
          if (r.state === 'submitted' && r.revision === input.revision) return { state: r.state, revision: r.revision, requisitionNo: r.requisition_no };
          const expected = input.revision === 1 ? { state: 'draft', revision: 1 } : { state: 'returned', revision: input.revision - 1 };
          if (r.state !== expected.state || r.revision !== expected.revision) {
            throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，不能提交`, 'state');
          }
          if (r.lines.length === 0) throw fieldError('lines', '申领单没有明细行，请先填写票据种类与数量');
          const changed = await sql.execute<{ affectedRows: number }>(
            `update requisition set state = 'submitted', revision = ?, submitted_at = ?, updated_at = ?, reviewer = null, review_comment = null, reviewed_at = null where id = ? and state = ? and revision = ?`,
            [input.revision, dbNow(sql), dbNow(sql), r.id, expected.state, expected.revision],
            'run',
          );
          if (Number(changed.affectedRows) !== 1) throw new DomainError('E0065', 'state: 申领单刚被修改，请刷新后重试', 'state');
          await recordRequisitionEvent(sql, r.id, input.revision === 1 ? 'submitted' : 'resubmitted', input.actor, input.revision, `第 ${input.revision} 次提交：${linesText(r.lines)}`);
          return { state: 'submitted', revision: input.revision, requisitionNo: r.requisition_no };
        });
      } catch (e) {
        throw nonRetryable(e);
      }
    },

    /**
     * Sends the submission to the fiscal platform (idempotent there by requisitionNo + revision).
     * An outage is retried by Temporal; a refusal comes back as `rejected` for the workflow to
     * turn into a return the finance user can act on.
     */
    async sendRequisition(input: { requisitionId: number; revision: number }): Promise<{ state: 'sent' | 'rejected'; reason?: string }> {
      const conn = em().getConnection();
      const r = await loadRequisition(conn, input.requisitionId);
      try {
        const { fiscalRequisitionNo } = await deps.fiscal.submitRequisition({
          requisitionNo: r.requisition_no,
          revision: input.revision,
          hospitalCode: r.hospital_code,
          lines: r.lines,
          applicant: r.created_by,
          remark: r.remark ?? undefined,
        });
        await em().transactional(async (tx) => {
          const sql = tx as unknown as Sql;
          await sql.execute('update requisition set fiscal_requisition_no = ?, updated_at = ? where id = ?', [fiscalRequisitionNo, dbNow(sql), r.id], 'run');
          const [done] = await sql.execute<Array<{ id: number }>>(`select id from requisition_event where requisition_id = ? and type = 'sent' and revision = ?`, [r.id, input.revision]);
          if (!done) await recordRequisitionEvent(sql, r.id, 'sent', 'system', input.revision, `财政受理号 ${fiscalRequisitionNo}`);
        });
        return { state: 'sent' };
      } catch (e) {
        if (e instanceof FiscalRejectedError) return { state: 'rejected', reason: `${e.code}: ${e.message}` };
        if (e instanceof FiscalUnavailableError) throw ApplicationFailure.create({ message: e.message, type: 'FiscalUnavailableError' });
        throw e;
      }
    },

    /** One poll of the review. Approved: the segments are stored (received, awaiting stock-in); returned: the comment. */
    async pollRequisition(input: { requisitionId: number; revision: number }): Promise<{ state: 'submitted' | 'received' | 'returned'; comment?: string }> {
      const r = await loadRequisition(em().getConnection(), input.requisitionId);
      if (r.revision !== input.revision) return { state: r.state as 'received' };
      if (r.state === 'received' || r.state === 'stocked') return { state: 'received' };
      if (r.state === 'returned') return { state: 'returned' };
      let review: RequisitionReview;
      try {
        review = await deps.fiscal.requisitionStatus(r.hospital_code, r.requisition_no, input.revision);
      } catch (e) {
        if (e instanceof FiscalUnavailableError) throw ApplicationFailure.create({ message: e.message, type: 'FiscalUnavailableError' });
        if (e instanceof FiscalRejectedError) throw ApplicationFailure.create({ message: `${e.code}: ${e.message}`, type: 'FiscalRejectedError' });
        throw e;
      }
      if (review.state === 'submitted') return { state: 'submitted' };
      if (review.state === 'returned') {
        await recordReturn(deps, r.id, input.revision, review.reviewer, review.comment, review.reviewedAt, 'returned');
        return { state: 'returned', comment: review.comment };
      }
      await em().transactional(async (tx) => {
        const sql = tx as unknown as Sql;
        const changed = await sql.execute<{ affectedRows: number }>(
          `update requisition set state = 'received', reviewer = ?, reviewed_at = ?, updated_at = ? where id = ? and state = 'submitted' and revision = ?`,
          [review.reviewer.slice(0, 64), dbNow(sql, new Date(review.reviewedAt)), dbNow(sql), r.id, input.revision],
          'run',
        );
        if (Number(changed.affectedRows) !== 1) return; // stored by an earlier attempt
        await recordRequisitionEvent(sql, r.id, 'approved', review.reviewer, input.revision, `审核人 ${review.reviewer}`);
        const texts: string[] = [];
        for (const s of review.segments) {
          const [k] = await sql.execute<Array<{ id: number }>>('select id from bill_kind where code = ?', [s.billKindCode]);
          if (!k) throw new Error(`fiscal platform issued a segment of unknown bill kind ${s.billKindCode}`);
          await insertRow(sql, 'stock_receipt', {
            hospital_id: r.hospital_id, requisition_id: r.id, bill_kind_id: k.id, bill_batch_code: s.billBatchCode,
            start_no: s.startNo, end_no: s.endNo, state: 'received', received_at: dbNow(sql),
          });
          texts.push(rangeText({ billBatchCode: s.billBatchCode, startNo: s.startNo, endNo: s.endNo }));
        }
        await recordRequisitionEvent(sql, r.id, 'received', 'system', input.revision, texts.join('；'));
      });
      return { state: 'received' };
    },

    /** A refusal of the submission itself, recorded as a return (finance edits and resubmits). */
    async recordRequisitionRejected(input: { requisitionId: number; revision: number; reason: string }): Promise<void> {
      await recordReturn(deps, input.requisitionId, input.revision, '财政平台', input.reason, new Date().toISOString(), 'rejected');
    },

    /** 确认入库: the received segments enter the hospital pool. */
    async confirmRequisitionStockIn(input: { requisitionId: number; actor: string }): Promise<{ state: string; quantity: number }> {
      try {
        return await em().transactional(async (tx) => {
          const sql = tx as unknown as Sql;
          const r = await loadRequisition(sql, input.requisitionId);
          if (r.state === 'stocked') return { state: 'stocked', quantity: 0 };
          if (r.state !== 'received') throw new DomainError('E0065', `state: 申领单${REQUISITION_STATES[r.state] ?? r.state}，财政下发号段后才能入库`, 'state');
          const changed = await sql.execute<{ affectedRows: number }>(
            `update requisition set state = 'stocked', stocked_by = ?, stocked_at = ?, updated_at = ? where id = ? and state = 'received'`,
            [input.actor.slice(0, 64), dbNow(sql), dbNow(sql), r.id],
            'run',
          );
          if (Number(changed.affectedRows) !== 1) throw new DomainError('E0065', 'state: 申领单刚被入库', 'state');
          const receipts = await sql.execute<Array<{ id: number; bill_kind_id: number; bill_batch_code: string; start_no: number | string; end_no: number | string }>>(
            `select id, bill_kind_id, bill_batch_code, start_no, end_no from stock_receipt where requisition_id = ? and state = 'received' order by id`,
            [r.id],
          );
          let quantity = 0;
          const texts: string[] = [];
          for (const s of receipts) {
            const range = { billKindId: Number(s.bill_kind_id), billBatchCode: s.bill_batch_code, startNo: Number(s.start_no), endNo: Number(s.end_no) };
            await sql.execute(`update stock_receipt set state = 'stocked', stocked_by = ?, stocked_at = ? where id = ?`, [input.actor.slice(0, 64), dbNow(sql), s.id], 'run');
            await addToPool(sql, r.hospital_id, range);
            await logMovement(sql, { ...range, hospitalId: r.hospital_id, type: 'stock_in', requisitionId: r.id, actor: input.actor });
            quantity += range.endNo - range.startNo + 1;
            texts.push(rangeText(range));
          }
          await recordRequisitionEvent(sql, r.id, 'stocked', input.actor, r.revision, `入库 ${quantity} 张：${texts.join('；')}`);
          return { state: 'stocked', quantity };
        });
      } catch (e) {
        throw nonRetryable(e);
      }
    },
  };
}

async function recordReturn(deps: Deps, id: number, revision: number, reviewer: string, comment: string, reviewedAt: string, type: 'returned' | 'rejected'): Promise<void> {
  await deps.orm.em.fork().transactional(async (tx) => {
    const sql = tx as unknown as Sql;
    const changed = await sql.execute<{ affectedRows: number }>(
      `update requisition set state = 'returned', reviewer = ?, review_comment = ?, reviewed_at = ?, updated_at = ? where id = ? and state = 'submitted' and revision = ?`,
      [reviewer.slice(0, 64), comment, dbNow(sql, new Date(reviewedAt)), dbNow(sql), id, revision],
      'run',
    );
    if (Number(changed.affectedRows) === 1) await recordRequisitionEvent(sql, id, type, reviewer, revision, comment);
  });
}
