/** The paper workflow's activities: one paper operation (local activity) and the background print. */
import { ApplicationFailure } from '@temporalio/common';
import type { Deps } from '../services/deps';
import { paperOperation, printJob, type PaperOp, type PaperResult } from '../services/paper';
import { PrinterPermanentError } from '../adapters/printer/printer';

export function paperActivities(deps: Deps) {
  return {
    /** One paper operation in one transaction. */
    paperOperation: (op: PaperOp): Promise<PaperResult> => paperOperation(deps, op),

    /** Prints one queued job; retried while the printer is down, not when it refuses the job. */
    async printJob(jobId: string): Promise<'printed' | 'cancelled'> {
      try {
        return await printJob(deps, jobId);
      } catch (e) {
        if (e instanceof PrinterPermanentError) throw ApplicationFailure.create({ message: e.message, type: 'PrinterPermanentError', nonRetryable: true });
        throw e;
      }
    },
  };
}
