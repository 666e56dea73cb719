/**
 * What other parts of the platform tell the bill lifecycle processes. Paper voiding (HIS
 * `invalidPaper`, the console) calls `onPaperVoided` after its transaction committed.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { paperRecoveredSignal } from '../workflows/write-off';
import { refundBillSignal } from '../workflows/refund';
import { refundWorkflowId, writeOffWorkflowId } from './ids';
import type { ProcessContext as ApiContext } from './context';

/** Wakes the bill's reversal if one is waiting for its paper form, and the refunds waiting for that reversal; does nothing otherwise. */
export async function onPaperVoided(api: ApiContext, bill: { billBatchCode: string; billNo: string }, actor: string): Promise<void> {
  try {
    await api.client.workflow.getHandle(writeOffWorkflowId(bill)).signal(paperRecoveredSignal, { actor });
  } catch (e) {
    // No reversal asked for this bill (or it already finished): nothing is waiting.
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  }
  const refunds = await api.deps.orm.em.getConnection().execute<Array<{ refund_no: string }>>(
    `select r.refund_no from refund r join bill b on b.id = r.bill_id where b.bill_batch_code = ? and b.bill_no = ? and r.state = 'reversing'`,
    [bill.billBatchCode, bill.billNo],
  );
  for (const r of refunds) {
    try {
      await api.client.workflow.getHandle(refundWorkflowId(r.refund_no)).signal(refundBillSignal);
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
}

