/**
 * What other parts of the platform tell the bill lifecycle processes. Paper voiding (HIS
 * `invalidPaper`, the console) calls `onPaperVoided` after its transaction committed.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { paperRecoveredSignal, refundBillSignal } from './messages';
import { refundWorkflowId, writeOffWorkflowId } from './ids';
import type { ProcessContext as ApiContext } from './context';
import { refundsAwaitingReversal } from '../orm/repositories/lifecycle';

/** Wakes the bill's reversal if one is waiting for its paper form, and the refunds waiting for that reversal; does nothing otherwise. */
export async function onPaperVoided(api: ApiContext, bill: { billBatchCode: string; billNo: string }, actor: string): Promise<void> {
  try {
    await api.client.workflow.getHandle(writeOffWorkflowId(bill)).signal(paperRecoveredSignal, { actor });
  } catch (e) {
    // No reversal asked for this bill (or it already finished): nothing is waiting.
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
  for (const refundNo of await refundsAwaitingReversal(api.deps.orm.em, bill)) {
    try {
      await api.client.workflow.getHandle(refundWorkflowId(refundNo)).signal(refundBillSignal);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
}

