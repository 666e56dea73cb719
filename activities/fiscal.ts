/**
 * The fiscal platform's scheduled processes' activities: basic data sync, the batch upload and the
 * accounting status. Thin wrappers over services/fiscal/*: the upload heartbeats before its call.
 */
import { Context } from '@temporalio/activity';
import type { Deps } from '../services/deps';
import { syncBasicData, type BasicSyncResult } from '../services/fiscal/basic-data';
import { nextUploadBatch, recordUploadResults, uploadFiscalBatch, type RecordedBatch, type UploadBatchRef, type UploadOutcome } from '../services/fiscal/upload';
import { fetchAccountStatus, type AccountBatchResult } from '../services/fiscal/account';

export function fiscalActivities(deps: Deps) {
  return {
    /** Fetches basic data and applies it. An outage is retried by Temporal; a refusal is not. */
    syncBasicData: (workflowId?: string): Promise<BasicSyncResult> => syncBasicData(deps, workflowId),

    nextUploadBatch: (input: { limit: number }): Promise<UploadBatchRef | null> => nextUploadBatch(deps, input),
    /** One heartbeat right before the fiscal call: a worker that dies mid-upload is noticed after the heartbeat timeout. */
    uploadFiscalBatch: (ref: UploadBatchRef & { workflowId?: string }): Promise<UploadOutcome> =>
      uploadFiscalBatch(deps, ref, { onProgress: (batchNo) => Context.current().heartbeat(batchNo) }),
    recordUploadResults: (input: { outcome: UploadOutcome; workflowId?: string }): Promise<RecordedBatch> => recordUploadResults(deps, input),

    fetchAccountStatus: (input: { afterId: number; limit: number }): Promise<AccountBatchResult> => fetchAccountStatus(deps, input),
  };
}
