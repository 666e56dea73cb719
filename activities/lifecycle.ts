/**
 * The bill process's activities beyond issuance (workflows/write-off.ts, bill-process.ts): the
 * reversal, the paper-form check, to-dos, reminders and the reissue plan. Thin wrappers over
 * services/reversal.ts and services/lifecycle.ts.
 */
import type { Deps } from '../services/deps';
import type { IssuedBill } from '../services/issuance';
import { writeOffBill, type WriteOffInput } from '../services/reversal';
import {
  closeTodo, openTodo, paperHold, planReissue, remindPaperRecovery,
  type CloseTodoInput, type OpenTodoInput, type PaperHold, type PlanReissueInput, type ReissuePlan,
} from '../services/lifecycle';

export function lifecycleActivities(deps: Deps) {
  return {
    /** The red bill (local activity of the write-off process); the same red bill again when reversed already. */
    writeOffBill: (input: WriteOffInput): Promise<IssuedBill> => writeOffBill(deps, input),
    paperHold: (billId: number): Promise<PaperHold> => paperHold(deps, billId),
    openTodo: (i: OpenTodoInput): Promise<void> => openTodo(deps, i),
    closeTodo: (i: CloseTodoInput): Promise<boolean> => closeTodo(deps, i),
    remindPaperRecovery: (i: { billId: number; count: number; nextRemindAt: string; workflowId: string }): Promise<void> => remindPaperRecovery(deps, i),
    planReissue: (i: PlanReissueInput): Promise<ReissuePlan> => planReissue(deps, i),
  };
}
