/**
 * The shape every bill-making process shares (issue, reversal): an update answers the caller as
 * soon as a local activity has stored the signed bill; then the same run renders the layout file
 * and notifies the patient in the background. Deterministic code only.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { domainDetailsOf, refusal } from '../temporal/failures';
import type { IssuedBill } from '../services/issuance';
import type { Activities } from '../activities';
import { billStateAttribute, type BillState } from '../temporal/search-attributes';
import { statusQuery, type BillProcessStatus } from '../temporal/messages';

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

export interface BillProcessSteps {
  /** The bill-making step, a local activity. */
  produce: () => Promise<IssuedBill>;
  /** Runs first; may set `waiting` and wait (callers are answered with `waitingFor` meanwhile). */
  before?: (status: BillProcessStatus) => Promise<void>;
  /** Runs once the bill is stored, before its delivery (a partial refund's reissue). */
  after?: (bill: IssuedBill) => Promise<void>;
  /** The BillState search attribute once the bill is stored. */
  doneState?: BillState;
  /** Extra update handlers to register before the first await (they see the same status). */
  handlers?: (status: BillProcessStatus, failed: () => ApplicationFailure | undefined) => void;
}


export async function runBillProcess(update: UpdateDefinition<IssuedBill>, steps: BillProcessSteps): Promise<BillProcessStatus> {
  const status: BillProcessStatus = { state: 'issuing', layout: 'pending', notices: {} };
  let failure: ApplicationFailure | undefined;

  setHandler(statusQuery, () => status);
  setHandler(update, async () => {
    await condition(() => status.state !== 'issuing');
    if (status.state === 'waiting') throw refusal(status.waitingFor!);
    if (failure) throw failure;
    return status.bill!;
  });
  steps.handlers?.(status, () => failure);

  try {
    if (steps.before) {
      await steps.before(status);
      status.state = 'issuing';
      status.waitingFor = undefined;
    }
    status.bill = await steps.produce();
    status.state = 'issued';
  } catch (e) {
    const refused = domainDetailsOf(e);
    if (refused) {
      failure = refusal(refused);
      status.error = refused;
      status.state = 'rejected';
      upsertSearchAttributes(billStateAttribute('rejected'));
      await condition(allHandlersFinished);
      return status;
    }
    throw e;
  }

  const bill = status.bill;
  upsertSearchAttributes({ BillNo: [bill.billNo], BillBatchCode: [bill.billBatchCode], ...billStateAttribute(steps.doneState ?? 'issued') });
  if (steps.after) await steps.after(bill);

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
