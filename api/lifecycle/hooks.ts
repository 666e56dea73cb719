/**
 * What other parts of the platform tell the bill lifecycle processes. Paper voiding (HIS
 * `invalidPaper`, the console) calls `onPaperVoided` after its transaction committed.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { writeOffWorkflowId } from '../../activities/writeoff/write-off';
import { paperRecoveredSignal } from '../../workflows/write-off';
import type { ApiContext } from '../context';

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

