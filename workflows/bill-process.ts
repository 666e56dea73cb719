/**
 * The shape every bill-making process shares (issue, reversal): an update answers the caller as
 * soon as a local activity has stored the signed bill; then the same run renders the layout file
 * and notifies the patient in the background. Deterministic code only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { IssuedBill } from '../activities/issue/issue-bill';
import type { Activities } from '../activities';

export const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  // A misconfigured signer (unknown key, key mismatch) needs a person, not a retry.
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: ['SignerConfigError'] },
});

/** The retry rules of patient delivery, shared by the notice workflow. */
export const backgroundOptions = {
  // Short, so that an attempt lost with a crashed worker is retried soon (a render takes
  // milliseconds; each notifier call gives up after 10 s).
  startToCloseTimeout: '30s',
  // A notice channel may be down for hours: keep trying for a day, then record the failure.
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m' },
} as const;
const background = proxyActivities<Activities>(backgroundOptions);

export type BillProcessState = 'issuing' | 'issued' | 'rejected';

export interface BillProcessStatus {
  state: BillProcessState;
  bill?: IssuedBill;
  error?: { code: string; message: string; field?: string };
  layout: 'pending' | 'done' | 'failed';
  notices: Record<string, 'pending' | 'done' | 'failed'>;
}

export const statusQuery = defineQuery<BillProcessStatus>('status');

export async function runBillProcess(update: UpdateDefinition<IssuedBill>, produce: () => Promise<IssuedBill>, doneState = 'issued'): Promise<BillProcessStatus> {
  const status: BillProcessStatus = { state: 'issuing', layout: 'pending', notices: {} };
  let failure: ApplicationFailure | undefined;

  setHandler(statusQuery, () => status);
  setHandler(update, async () => {
    await condition(() => status.state !== 'issuing');
    if (failure) throw failure;
    return status.bill!;
  });

  try {
    status.bill = await produce();
    status.state = 'issued';
  } catch (e) {
    const cause = e instanceof ActivityFailure ? e.cause : e;
    if (cause instanceof ApplicationFailure && cause.type === 'DomainError') {
      failure = ApplicationFailure.create({ message: cause.message, type: 'DomainError', nonRetryable: true, details: cause.details as unknown[] });
      status.error = (cause.details?.[0] as BillProcessStatus['error']) ?? { code: 'E9999', message: cause.message };
      status.state = 'rejected';
      upsertSearchAttributes({ BillState: ['rejected'] });
      await condition(allHandlersFinished);
      return status;
    }
    throw e;
  }

  const bill = status.bill;
  upsertSearchAttributes({ BillNo: [bill.billNo], BillBatchCode: [bill.billBatchCode], BillState: [doneState] });

  // Background work after the caller has its answer: the layout file and the patient notices, one
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
