/**
 * The values of the BillState search attribute, in one typed place (temporal.yaml documents them;
 * temporal/search-attributes.test.ts keeps the two in step). Pure: workflows import it (the house
 * rules allow workflows this file of temporal/), as do the process clients.
 *
 * An operator finds processes by them in the Temporal UI: `BillState = 'reissue_blocked'`.
 */

/** A bill's own process (issue-bill, write-off: bill-process.ts). */
export const BILL_PROCESS_STATES = [
  'issuing', // started, the bill not stored yet
  'issued', // the bill is stored (and being delivered)
  'rejected', // issuance refused (its DomainError on the process)
  'awaiting_paper', // a reversal waits for the bill's paper form to be recovered and voided
  'reversing', // a reversal is under way
  'reversed', // the red bill is stored (and a partial refund's reissue, if any, is issued)
  'reissuing', // a partial refund's reissue is tried again
  'reissue_blocked', // the reissue was refused: waits for finance to retry or abandon it
  'reissue_abandoned', // finance gave up the reissue (with a reason)
] as const;

/** A refund process (refund.ts): `refund_` and the refund's stage. */
export const REFUND_PROCESS_STATES = [
  'refund_approving',
  'refund_money',
  'refund_failed',
  'refund_reversing',
  'refund_done',
  'refund_rejected',
  'refund_withdrawn',
  'refund_bill_blocked',
  'refund_bill_changed',
] as const;

export type BillProcessState = (typeof BILL_PROCESS_STATES)[number];
export type RefundProcessState = (typeof REFUND_PROCESS_STATES)[number];
export type BillState = BillProcessState | RefundProcessState;

export const BILL_STATES: readonly BillState[] = [...BILL_PROCESS_STATES, ...REFUND_PROCESS_STATES];

/** `{ BillState: [state] }`: for upsertSearchAttributes, or spread into a start's searchAttributes. */
export const billStateAttribute = (state: BillState): { BillState: [BillState] } => ({ BillState: [state] });

/** A refund that ended: `refund_done`, `refund_bill_blocked`, ... */
export const refundEndState = <S extends 'done' | 'bill_blocked' | 'bill_changed' | 'rejected' | 'withdrawn'>(state: S) => `refund_${state}` as const;
