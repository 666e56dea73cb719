/**
 * One bill-stock requisition (票据申领), ID `requisition-{id}`. The console's 提交 is the `submit`
 * update (update-with-start; the validator refuses it unless the requisition is a draft or was
 * returned); the workflow then sends it to the fiscal platform and polls the review with backoff
 * (an outage is retried, the requisition is never lost: everything it needs is in the database and
 * in this durable history). Approved: the segments are stored as received and the workflow waits
 * for the `stockIn` update (确认入库). Returned: it waits for finance to edit and `submit` again
 * (revision + 1). Deterministic code only.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { passOnRefusal, refusal } from '../temporal/failures';
import { requisitionStatusQuery, stockInUpdate, submitRequisitionUpdate, type RequisitionPhase, type RequisitionStatus } from '../temporal/messages';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5, nonRetryableErrorTypes: ['DomainError'] },
});

// Talking to the fiscal platform: an outage of hours is retried (backoff up to 5 minutes), forever.
const fiscal = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: ['DomainError', 'FiscalRejectedError'] },
});

export interface RequisitionWorkflowInput {
  requisitionId: number;
  /** Longest wait between two polls of the review (MEDBILL_REQUISITION_POLL_MAX). */
  pollMaxMs: number;
  /** Where the requisition stands when this run starts (from the database, or the previous run). */
  phase?: RequisitionPhase;
  revision?: number;
  /** The current revision was already handed to the fiscal platform (a continued run). */
  sent?: boolean;
}


/** A refusal the console shows with its code and field (E0065 and the activities' DomainErrors). */
const refuse = (message: string) => refusal({ code: 'E0065', message, field: 'state' });


export async function requisitionWorkflow(input: RequisitionWorkflowInput): Promise<RequisitionStatus> {
  const status: RequisitionStatus = { requisitionId: input.requisitionId, phase: input.phase ?? 'draft', revision: input.revision ?? 0, polls: 0 };
  let sent = input.sent ?? false;
  let busy = false;

  setHandler(requisitionStatusQuery, () => status);
  setHandler(
    submitRequisitionUpdate,
    async ({ actor }) => {
      busy = true;
      try {
        const revision = status.phase === 'draft' ? 1 : status.revision + 1;
        const r = await local.markRequisitionSubmitted({ requisitionId: input.requisitionId, revision, actor });
        status.revision = revision;
        status.phase = 'submitted';
        sent = false;
        return r;
      } catch (e) {
        throw passOnRefusal(e);
      } finally {
        busy = false;
      }
    },
    {
      validator: (_: { actor: string }) => {
        if (busy || (status.phase !== 'draft' && status.phase !== 'returned')) throw refuse(busy ? 'state: 申领单正在处理，请稍后再试' : `state: 申领单当前为 ${status.phase}，只有草稿或被退回的申领单可以提交`);
      },
    },
  );
  setHandler(
    stockInUpdate,
    async ({ actor }) => {
      busy = true;
      try {
        const r = await local.confirmRequisitionStockIn({ requisitionId: input.requisitionId, actor });
        status.phase = 'stocked';
        return r;
      } catch (e) {
        throw passOnRefusal(e);
      } finally {
        busy = false;
      }
    },
    {
      validator: (_: { actor: string }) => {
        if (busy || status.phase !== 'received') throw refuse(busy ? 'state: 申领单正在处理，请稍后再试' : `state: 申领单当前为 ${status.phase}，财政下发号段后才能确认入库`);
      },
    },
  );

  for (;;) {
    await condition(() => (status.phase === 'submitted' && !busy) || status.phase === 'stocked');
    if (status.phase === 'stocked') break;
    const revision = status.revision;
    if (!sent) {
      const r = await fiscal.sendRequisition({ requisitionId: input.requisitionId, revision });
      if (r.state === 'rejected') {
        await fiscal.recordRequisitionRejected({ requisitionId: input.requisitionId, revision, reason: r.reason ?? '' });
        status.phase = 'returned';
        continue;
      }
      sent = true;
    }
    let delay = 2000;
    for (;;) {
      await sleep(delay);
      status.polls++;
      const r = await fiscal.pollRequisition({ requisitionId: input.requisitionId, revision });
      if (r.state !== 'submitted') {
        status.phase = r.state;
        break;
      }
      delay = Math.min(delay * 2, input.pollMaxMs);
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof requisitionWorkflow>({ ...input, phase: 'submitted', revision, sent: true });
      }
    }
  }
  await condition(allHandlersFinished);
  return status;
}
