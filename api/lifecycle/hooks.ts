/**
 * What other parts of the platform tell the bill lifecycle processes. Paper voiding (HIS
 * `invalidPaper`, the console) calls `onPaperVoided` after its transaction committed.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { writeOffWorkflowId } from '../../activities/writeoff/write-off';
import { paperRecoveredSignal } from '../../workflows/write-off';
import type { ApiContext } from '../context';
import type { Bill } from '../../orm/entities';

/** Wakes the bill's reversal if one is waiting for its paper form; does nothing otherwise. */
export async function onPaperVoided(api: ApiContext, bill: { billBatchCode: string; billNo: string }, actor: string): Promise<void> {
  try {
    await api.client.workflow.getHandle(writeOffWorkflowId(bill)).signal(paperRecoveredSignal, { actor });
  } catch (e) {
    // No reversal asked for this bill (or it already finished): nothing is waiting.
    if (e instanceof WorkflowNotFoundError) return;
    throw e;
  }
}

/**
 * A cashier confirms in the console that a bill's paper form is back: the form is voided like the
 * HIS's `invalidPaper` would, which wakes the waiting reversal.
 */
export async function confirmPaperRecovered(api: ApiContext, bill: Bill, actor: string, reason: string): Promise<void> {
  void api; void bill; void actor; void reason;
  throw new Error('WIRE-AFTER-PAPER-MERGE');
}
