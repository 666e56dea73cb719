/**
 * Activities of the reversal process beyond the red bill itself: the paper-form check, the
 * to-do items a person must work (recover a paper form, unblock a reissue), reminders, and the plan
 * of a partial-refund reissue. Each is one transaction and idempotent, because Temporal may run an
 * activity again after a crash: a to-do is opened once per (kind, bill), a reminder counted once.
 */
import type { SqlEntityManager } from '@mikro-orm/knex';
import { DomainError } from '../common/errors';
import { formatYuan } from '../common/money';
import { isUniqueViolation } from '../orm/errors';
import { payloadHash } from '../domain/bill/issue-request';
import { parseIssueDraft } from '../domain/bill/issue-request';
import { type BillEventType } from '../domain/bill/events';
import type { Deps } from './deps';
import { computeReissue, type RefundSpec } from '../domain/bill/reissue-plan';
import { recordBillEvent } from '../orm/repositories/bill-events';

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

export function createLifecycleActivities(deps: Deps) {
  const tx = <T>(fn: (sql: SqlEntityManager) => Promise<T>) => deps.orm.em.fork().transactional((t) => fn(t as unknown as SqlEntityManager));
  const date = (d: Date) => deps.orm.em.getPlatform().processDateProperty(d);

  return {
    /** Whether the bill is exchanged for a paper form right now (a reversal must wait for its recovery). */
    async paperHold(billId: number): Promise<PaperHold> {
      const [b] = await deps.orm.em.getConnection().execute<Array<{ paper_state: string; paper_bill_batch_code: string | null; paper_bill_no: string | null; place_code: string; bill_batch_code: string; bill_no: string }>>(
        `select b.paper_state, b.paper_bill_batch_code, b.paper_bill_no, p.code as place_code, b.bill_batch_code, b.bill_no
           from bill b join billing_point p on p.id = b.place_id where b.id = ?`,
        [billId],
      );
      if (!b) throw new DomainError('E0030', `billNo: bill ${billId} not found`, 'billNo');
      return {
        exchanged: b.paper_state === 'exchanged',
        paperBillBatchCode: b.paper_bill_batch_code ?? undefined,
        paperBillNo: b.paper_bill_no ?? undefined,
        placeCode: b.place_code,
        billBatchCode: b.bill_batch_code,
        billNo: b.bill_no,
      };
    },

    /** Opens (or reopens) the to-do; the timeline gets `event` only when it was not open already. */
    async openTodo(i: OpenTodoInput): Promise<void> {
      await tx(async (sql) => {
        const now = new Date();
        const [row] = await sql.execute<Array<{ id: number; state: string }>>('select id, state from todo where kind = ? and bill_id = ?', [i.kind, i.billId]);
        if (row?.state === 'open') return;
        const remindAt = i.remindAt ? date(new Date(i.remindAt)) : null;
        if (row) {
          await sql.execute(
            `update todo set state = 'open', place_code = ?, workflow_id = ?, title = ?, detail = ?, created_at = ?, remind_at = ?, remind_count = 0,
                    last_reminded_at = null, closed_by = null, closed_at = null where id = ?`,
            [i.placeCode, i.workflowId, i.title, i.detail ?? null, date(now), remindAt, row.id],
            'run',
          );
        } else {
          try {
            await sql.execute(
              `insert into todo (kind, bill_id, place_code, workflow_id, state, title, detail, created_at, remind_at, remind_count) values (?, ?, ?, ?, 'open', ?, ?, ?, ?, 0)`,
              [i.kind, i.billId, i.placeCode, i.workflowId, i.title, i.detail ?? null, date(now), remindAt],
              'run',
            );
          } catch (e) {
            if (isUniqueViolation(e)) return; // a concurrent attempt opened it
            throw e;
          }
        }
        await recordBillEvent(sql, { billId: i.billId, type: i.event, actor: i.actor, detail: i.detail ?? i.title, workflowId: i.workflowId, at: now });
      });
    },

    /** Closes the to-do if it is open; records `event` when it did. */
    async closeTodo(i: CloseTodoInput): Promise<boolean> {
      return tx(async (sql) => {
        const r = await sql.execute<{ affectedRows: number }>(
          `update todo set state = ?, closed_by = ?, closed_at = ? where kind = ? and bill_id = ? and state = 'open'`,
          [i.state, i.actor.slice(0, 64), date(new Date()), i.kind, i.billId],
          'run',
        );
        if (r.affectedRows === 1 && i.event) await recordBillEvent(sql, { billId: i.billId, type: i.event, actor: i.actor, detail: i.detail, workflowId: i.workflowId });
        return r.affectedRows === 1;
      });
    },

    /** The `count`-th reminder for a paper form still out; counted once however often it is retried. */
    async remindPaperRecovery(i: { billId: number; count: number; nextRemindAt: string; workflowId: string }): Promise<void> {
      await tx(async (sql) => {
        const r = await sql.execute<{ affectedRows: number }>(
          `update todo set remind_count = ?, last_reminded_at = ?, remind_at = ? where kind = 'paper_recovery' and bill_id = ? and state = 'open' and remind_count = ?`,
          [i.count, date(new Date()), date(new Date(i.nextRemindAt)), i.billId, i.count - 1],
          'run',
        );
        if (r.affectedRows !== 1) return;
        const [b] = await sql.execute<Array<{ paper_bill_batch_code: string | null; paper_bill_no: string | null }>>('select paper_bill_batch_code, paper_bill_no from bill where id = ?', [i.billId]);
        await recordBillEvent(sql, {
          billId: i.billId,
          type: 'paper_reminder',
          actor: 'system',
          detail: `第 ${i.count} 次催收：纸质票据 ${b?.paper_bill_batch_code ?? ''}-${b?.paper_bill_no ?? ''} 尚未收回作废，冲红等待中`,
          workflowId: i.workflowId,
        });
      });
    },

    /**
     * Plans the reissue of a partial refund BEFORE anything is reversed: checks the refund against
     * the bill, computes the new bill's request and stores it (under the derived busNo, linked to
     * the original) so that the issuance later runs exactly as a HIS issuance would.
     */
    async planReissue(i: PlanReissueInput): Promise<ReissuePlan> {
      try {
        const conn = deps.orm.em.getConnection();
        const [b] = await conn.execute<Array<{ id: number; appid: string; bus_no: string; state: string; is_scarlet: number | boolean; bill_batch_code: string; bill_no: string; place_code: string }>>(
          `select b.id, b.appid, b.bus_no, b.state, b.is_scarlet, b.bill_batch_code, b.bill_no, p.code as place_code
             from bill b join billing_point p on p.id = b.place_id where b.id = ?`,
          [i.billId],
        );
        if (!b) throw new DomainError('E0030', `billNo: bill ${i.billId} not found`, 'billNo');
        if (Number(b.is_scarlet)) throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} is a red bill; it cannot be refunded`, 'billNo');
        const [req] = await conn.execute<Array<{ method: string; payload: string }>>('select method, payload from issue_request where bill_id = ?', [b.id]);
        if (!req) throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} has no stored issuance request to reissue from`, 'billNo');
        const original = JSON.parse(req.payload) as Record<string, unknown>;
        const { payload, refundAmt, totalAmt } = computeReissue(original, { billBatchCode: b.bill_batch_code, billNo: b.bill_no }, i.refund, i.operator, new Date(i.requestedAt));
        const draft = parseIssueDraft(req.method, payload); // the reissue must be a valid issuance, checked before the reversal
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
        await tx(async (sql) => {
          const [existing] = await sql.execute<Array<{ id: number; payload_hash: string; payload: string; bill_id: number | null; origin_bill_id: number | null }>>(
            'select id, payload_hash, payload, bill_id, origin_bill_id from issue_request where appid = ? and bus_no = ?',
            [b.appid, draft.busNo],
          );
          if (existing?.payload_hash === hash && existing.origin_bill_id === b.id) return; // planned already (a retry)
          if (existing?.origin_bill_id === b.id) {
            // The same refund asked again later (its busDateTime is the first request's): answer with that plan.
            const first = JSON.parse(existing.payload) as Record<string, unknown>;
            if (payloadHash({ ...payload, busDateTime: first.busDateTime }) === existing.payload_hash) return;
          }
          if (existing?.bill_id) throw new DomainError('E0012', `busNo: the reissue serial ${draft.busNo} already has a bill`, 'busNo');
          if (b.state !== 'normal') throw new DomainError('E0031', `billNo: ${b.bill_batch_code}-${b.bill_no} is already reversed; a partial refund needs a bill in force`, 'billNo');
          const now = date(new Date());
          if (existing) {
            // A previous refund attempt that never reversed the bill: this request replaces it.
            await sql.execute(
              `update issue_request set method = ?, payload_hash = ?, payload = ?, status = 'received', error_code = null, error_message = null, origin_bill_id = ?, updated_at = ? where id = ?`,
              [req.method, hash, JSON.stringify(payload), b.id, now, existing.id],
              'run',
            );
          } else {
            await sql.execute(
              `insert into issue_request (appid, bus_no, method, payload_hash, payload, status, origin_bill_id, created_at, updated_at) values (?, ?, ?, ?, ?, 'received', ?, ?, ?)`,
              [b.appid, draft.busNo, req.method, hash, JSON.stringify(payload), b.id, now, now],
              'run',
            );
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
    },
  };
}
