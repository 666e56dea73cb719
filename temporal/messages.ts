/**
 * Every message of every process: the updates, signals and queries (defineUpdate / defineSignal /
 * defineQuery) and the payloads they carry. Workflows set the handlers; the API and the temporal/
 * process clients send them. Both import them from here, so a client never loads workflow code:
 * it names a workflow by its type name only (temporal/workflow-types.ts).
 *
 * Bundle-safe (the worker bundles it with the workflows): @temporalio/workflow's define functions,
 * domain/ and type-only imports.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IssuedBill } from '../services/issuance';
import type { WriteOffInput } from '../services/reversal';
import type { ReissuePlan } from '../services/lifecycle';
import type { PaperOp, PaperResult } from '../services/paper';
import type { RefundActionName, RefundState } from '../domain/refund/states';
import type { RefundActor } from '../domain/refund/permissions';
import type { RefundActionInput, RefundActionProof } from '../services/refund-proof';

// ---- every bill-making process (issue, reversal): workflows/bill-process.ts

/** `waiting`: the process waits for a person (a paper form to recover) before it can make the bill. */
export type BillProcessState = 'issuing' | 'waiting' | 'issued' | 'rejected';

export interface BillProcessStatus {
  state: BillProcessState;
  bill?: IssuedBill;
  error?: { code: string; message: string; field?: string };
  /** While `waiting`: what for, as the caller is told (code, message, field). */
  waitingFor?: { code: string; message: string; field?: string };
  layout: 'pending' | 'done' | 'failed';
  notices: Record<string, 'pending' | 'done' | 'failed'>;
}

export const statusQuery = defineQuery<BillProcessStatus>('status');

// ---- issuance `bill-{appid}-{busNo}`: workflows/issue-bill.ts

export type IssueStatus = BillProcessStatus;
/** The HIS's issuance call: answers with the issued bill, or fails with the reason. */
export const issueUpdate = defineUpdate<IssuedBill>('issue');
export const issueStatusQuery = statusQuery;

// ---- reversal and partial refund `writeoff-{billBatchCode}-{billNo}`: workflows/write-off.ts

export const writeOffUpdate = defineUpdate<IssuedBill>('writeOff');

/**
 * The paper form of an exchanged bill was recovered and voided (console confirmation or the HIS's
 * `invalidPaper`): a reversal waiting in "awaiting paper recovery" goes on. Sent by
 * temporal/paper-hooks.ts; the workflow re-reads the bill before it acts, so a stray signal is harmless.
 */
export const paperRecoveredSignal = defineSignal<[{ actor: string }]>('paperRecovered');
/** A person fixed what blocked the reissue (added stock, mapped a code): try again. */
export const retryReissueSignal = defineSignal<[{ actor: string }]>('retryReissue');
/** A person gives the reissue up (the rest is settled otherwise), with the reason. */
export const abandonReissueSignal = defineSignal<[{ actor: string; reason: string }]>('abandonReissue');

export type ReissueState = 'planned' | 'issuing' | 'issued' | 'blocked' | 'abandoned';

export interface ReissueStatus {
  state: ReissueState;
  plan?: ReissuePlan;
  bill?: IssuedBill;
  /** Why it is blocked (the issuance's refusal), or why it was abandoned. */
  error?: { code: string; message: string; field?: string };
  attempts: number;
}

export interface WriteOffStatus extends BillProcessStatus {
  /** Set while waiting for a paper form. */
  paper?: { billBatchCode?: string; billNo?: string; reminders: number };
  reissue?: ReissueStatus;
}

export interface PartialRefundResult {
  red: IssuedBill;
  reissue: ReissueStatus;
}

/** The partial refund's caller: answers once the red bill exists and the reissue is issued or blocked. */
export const partialRefundUpdate = defineUpdate<PartialRefundResult, [{ specKey: string }]>('partialRefund');
export const lifecycleQuery = defineQuery<WriteOffStatus>('lifecycle');

/** The key of a refund spec, so that a second request for the same bill with other amounts is told apart. */
export const refundSpecKey = (spec: WriteOffInput['reissue']) => JSON.stringify(spec ?? null);

// ---- paper form `paper-{billBatchCode}-{billNo}`: workflows/paper.ts

export const paperUpdate = defineUpdate<PaperResult, [PaperOp]>('paper');

export interface PaperProcessStatus {
  operations: number;
  prints: Record<string, 'pending' | 'printed' | 'cancelled' | 'failed'>;
}
export const paperStatusQuery = defineQuery<PaperProcessStatus>('paperStatus');

// ---- bill-stock requisition `requisition-{id}`: workflows/requisition.ts

export type RequisitionPhase = 'draft' | 'submitted' | 'returned' | 'received' | 'stocked';

export interface RequisitionStatus {
  requisitionId: number;
  phase: RequisitionPhase;
  revision: number;
  polls: number;
}

export const submitRequisitionUpdate = defineUpdate<{ state: string; revision: number; requisitionNo: string }, [{ actor: string }]>('submit');
export const stockInUpdate = defineUpdate<{ state: string; quantity: number }, [{ actor: string }]>('stockIn');
export const requisitionStatusQuery = defineQuery<RequisitionStatus>('requisitionStatus');

// ---- refund `refund-{refundNo}`: workflows/refund.ts

export type { RefundActionName, RefundState } from '../domain/refund/states';
export type { RefundActor } from '../domain/refund/permissions';

/**
 * One person's action on a refund (its fields are documented where the proof covers them,
 * services/refund-proof.ts): the API signs it, the worker verifies it before applying it.
 */
export type { RefundActionInput, RefundActionProof };

export interface LastDecision {
  action: RefundActionName;
  actor: string;
  actorName: string;
  at: string;
  stepIndex: number;
}

export interface RefundLive {
  state: RefundState;
  stepIndex: number;
  stepKey?: string;
  assignee?: string | null;
  /** ISO times; absent once the chain is through. */
  remindAt?: string;
  deadline?: string;
  reminded: boolean;
  overdue: boolean;
  version: number;
  lastDecision?: LastDecision;
  /** Who decided each step (index -> decision), for the chain view. */
  decided: Record<number, LastDecision>;
  /**
   * Four eyes: everyone who decided (approved, rejected, returned) each step, kept across returns
   * (domain/refund/permissions.ts). Absent in the state of a workflow replayed from before it: rebuilt on replay.
   */
  decidedBy?: Record<number, string[]>;
  money: { state: 'none' | 'processing' | 'success' | 'failed'; outRefundNo: string; attempts: number; queries: number; notices: number; failReason?: string };
  bill?: { state: string; redBillId?: number; reissuedBillId?: number; reason?: string };
}

export const refundActionUpdate = defineUpdate<RefundLive, [RefundActionInput]>('refundAction');
/** A verified result notice of this refund's channel arrived (temporal/refund-notice.ts): query the channel now. */
export const refundNoticeSignal = defineSignal<[{ state: string }]>('refundNotice');
export const refundLiveQuery = defineQuery<RefundLive>('refundLive');
/** The bill's reversal may go on now (its paper form was voided: temporal/paper-hooks.ts). */
export const refundBillSignal = defineSignal('refundBill');
