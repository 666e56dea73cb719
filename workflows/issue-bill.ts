/**
 * One workflow per bill, ID `bill-{appid}-{busNo}`. The HIS call arrives as update-with-start:
 * the `issue` update returns as soon as the local activity has stored the signed bill, and the
 * same run then renders the layout file and notifies the patient in the background.
 * Deterministic code only: activities are imported as types.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { IssuedBill, IssueBillInput } from '../activities/issue/issue-bill';
import type { createIssueActivities } from '../activities/issue/activities';

type Acts = ReturnType<typeof createIssueActivities>;

const local = proxyLocalActivities<Acts>({
  startToCloseTimeout: '30s',
  // A misconfigured signer (unknown key, key mismatch) needs a person, not a retry.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: ['SignerConfigError'] },
});

const background = proxyActivities<Acts>({
  // Short, so that an attempt lost with a crashed worker is retried soon (a render takes
  // milliseconds; each notifier call gives up after 10 s).
  startToCloseTimeout: '30s',
  // A notice channel may be down for hours: keep trying for a day, then record the failure.
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export type IssueState = 'issuing' | 'issued' | 'rejected';

export interface IssueStatus {
  state: IssueState;
  bill?: IssuedBill;
  error?: { code: string; message: string; field?: string };
  layout: 'pending' | 'done' | 'failed';
  notices: Record<string, 'pending' | 'done' | 'failed'>;
}

/** The HIS's issuance call: answers with the issued bill, or fails with the reason. */
export const issueUpdate = defineUpdate<IssuedBill>('issue');
export const issueStatusQuery = defineQuery<IssueStatus>('status');

export async function issueBillWorkflow(input: IssueBillInput): Promise<IssueStatus> {
  const status: IssueStatus = { state: 'issuing', layout: 'pending', notices: {} };
  let failure: ApplicationFailure | undefined;

  setHandler(issueStatusQuery, () => status);
  setHandler(issueUpdate, async () => {
    await condition(() => status.state !== 'issuing');
    if (failure) throw failure;
    return status.bill!;
  });

  try {
    status.bill = await local.issueBill(input);
    status.state = 'issued';
  } catch (e) {
    const cause = e instanceof ActivityFailure ? e.cause : e;
    if (cause instanceof ApplicationFailure && cause.type === 'DomainError') {
      failure = ApplicationFailure.create({ message: cause.message, type: 'DomainError', nonRetryable: true, details: cause.details as unknown[] });
      status.error = (cause.details?.[0] as IssueStatus['error']) ?? { code: 'E9999', message: cause.message };
      status.state = 'rejected';
      upsertSearchAttributes({ BillState: ['rejected'] });
      await condition(allHandlersFinished);
      return status;
    }
    throw e;
  }

  const bill = status.bill;
  upsertSearchAttributes({ BillNo: [bill.billNo], BillBatchCode: [bill.billBatchCode], BillState: ['issued'] });

  // Background work after the HIS has its answer: the layout file and the patient notices, one
  // activity retried with backoff until every channel has answered; it cannot undo or block the bill.
  for (const c of bill.channels) status.notices[c] = 'pending';
  try {
    const delivered = await background.deliverBill(bill.billId);
    status.layout = 'done';
    for (const [c, r] of Object.entries(delivered.notices)) status.notices[c] = r === 'sent' ? 'done' : 'failed';
  } catch (err) {
    status.layout = status.layout === 'pending' ? 'failed' : status.layout;
    for (const c of bill.channels) if (status.notices[c] === 'pending') status.notices[c] = 'failed';
    log.error('delivery gave up', { billId: bill.billId, err: String(err) });
  }
  await condition(allHandlersFinished);
  return status;
}
