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
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

const background = proxyActivities<Acts>({
  startToCloseTimeout: '2m',
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

  // Background work: each step retried on its own; none of them can undo or block the bill.
  for (const c of bill.channels) status.notices[c] = 'pending';
  await Promise.all([
    background.renderLayout(bill.billId).then(
      () => void (status.layout = 'done'),
      (err) => {
        status.layout = 'failed';
        log.error('layout file failed', { billId: bill.billId, err: String(err) });
      },
    ),
    ...bill.channels.map((channel) =>
      background.notifyPatient(bill.billId, channel).then(
        () => void (status.notices[channel] = 'done'),
        (err) => {
          status.notices[channel] = 'failed';
          log.warn('patient notice failed', { billId: bill.billId, channel, err: String(err) });
        },
      ),
    ),
  ]);
  await condition(allHandlersFinished);
  return status;
}
