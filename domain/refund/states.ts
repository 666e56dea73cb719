/**
 * A refund's states and actions: the one list the workflow, the store's SQL, the API, the H5 page
 * and the console read. Pure (no Node built-ins), so the workflow bundle and the console import it.
 */

export type RefundState =
  | 'approving'
  | 'withdrawn'
  | 'rejected'
  | 'refunding'
  | 'awaiting_cashier'
  | 'refund_failed'
  | 'reversing'
  | 'done'
  | 'bill_blocked'
  | 'bill_changed';

export const REFUND_STATES: readonly RefundState[] = ['approving', 'withdrawn', 'rejected', 'refunding', 'awaiting_cashier', 'refund_failed', 'reversing', 'done', 'bill_blocked', 'bill_changed'];

/** States a refund never leaves: its process has ended. */
export const FINAL_STATES: readonly RefundState[] = ['withdrawn', 'rejected', 'done', 'bill_blocked', 'bill_changed'];

/**
 * Ended before any money moved: the amount of a refund in one of these never counts as refunded.
 * `bill_changed`: the bill was reversed or changed behind the refund's back before the payout; nothing was paid.
 */
export const NO_MONEY_STATES: readonly RefundState[] = ['withdrawn', 'rejected', 'bill_changed'];

export const isFinalState = (state: string): boolean => (FINAL_STATES as readonly string[]).includes(state);

/**
 * Whether a refund's amount counts as already refunded (taken from what the payment can still give
 * back): every request except those that ended before the money moved, and those whose money
 * failed (a failed refund can be retried or paid at the window: until then it took nothing).
 */
export const countsAsRefunded = (state: string, moneyState: string): boolean =>
  !(NO_MONEY_STATES as readonly string[]).includes(state) && moneyState !== 'failed';

export type RefundActionName =
  | 'approve'
  | 'reject'
  | 'return'
  | 'transfer'
  | 'comment'
  | 'extend'
  | 'withdraw'
  | 'cashier_confirm'
  | 'retry_money'
  | 'offline';

/** Every action, in the order the console offers them. */
export const REFUND_ACTIONS: readonly RefundActionName[] = ['approve', 'reject', 'transfer', 'return', 'extend', 'withdraw', 'cashier_confirm', 'retry_money', 'offline', 'comment'];

/** Actions that decide (move the request on): they need the current `version`; comments and extensions do not. */
export const DECISIONS: readonly RefundActionName[] = ['approve', 'reject', 'return', 'transfer', 'withdraw', 'cashier_confirm', 'retry_money', 'offline'];
