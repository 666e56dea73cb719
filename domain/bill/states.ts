/**
 * A bill row's own state (`bill.state`): in force, or reversed (冲红) by its red bill. (A red bill
 * is `normal` with `is_scarlet` set.) Pure, so the console may import it.
 */
export type BillRecordState = 'normal' | 'reversed';

export const BILL_STATE_NAMES: Record<BillRecordState, string> = { normal: '正常', reversed: '已冲红' };

/** The Chinese name of a bill row's state ("已冲红"), or the code for one this table does not know. */
export const billStateName = (state: string): string => BILL_STATE_NAMES[state as BillRecordState] ?? state;
