/**
 * Fiscal batch upload and accounting status (入账), each run by a Temporal Schedule.
 *
 * `fiscalUploadWorkflow` (Schedule `fiscal-upload`, every MEDBILL_UPLOAD_EVERY): take the next batch
 * of pending bills (originals before their red bills), upload it, record every result in one
 * transaction, and repeat until nothing is pending; after BATCHES_PER_RUN batches it continues as
 * new (bounded history). The Schedule skips a run while one is still going, so there is one
 * uploader at a time.
 *
 * Retry policy of the upload itself: the fiscal platform unavailable (FiscalUnavailableError,
 * timeouts, 5xx) is retried forever (no maximumAttempts) with exponential backoff — first after 2 s, doubling, at most
 * `retryMaxMs` apart (MEDBILL_UPLOAD_RETRY_MAX, default 5 min). Forever, because giving up would
 * only mean starting the same batch again later: an hour-long outage costs about 15 tries of one
 * batch, nothing is lost (bills stay pending in the database, the system of record), and once the
 * fiscal side is back the batch goes within `retryMaxMs` and the run drains the backlog batch after
 * batch. Each try is noted on the batch row (attempts, last error) for the console. A whole batch
 * refused (FiscalRejectedError) is not retried: it is recorded (the bills rejected with the reason)
 * and shown in the console for a person to act on.
 *
 * `fiscalAccountStatusWorkflow` (Schedule `fiscal-account-status`, every MEDBILL_ACCOUNT_EVERY):
 * walks the uploaded, not yet accounted bills by id in batches and stores what the fiscal side says.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DEFAULT_UPLOAD_BATCH, DEFAULT_UPLOAD_RETRY_MAX_MS } from '../config/fiscal';

export interface FiscalUploadInput {
  batchSize?: number;
  /** Longest wait between two tries of a batch while the fiscal side is down (ms). */
  retryMaxMs?: number;
  /** Carried over continue-as-new. */
  totals?: FiscalUploadTotals;
}

export interface FiscalUploadTotals {
  batches: number;
  accepted: number;
  rejected: number;
  /** Whole batches refused by the fiscal side. */
  batchesRejected: number;
}

/** Batches per run before continue-as-new (each batch is 3 activities in the history). */
export const BATCHES_PER_RUN = 50;

export async function fiscalUploadWorkflow(input: FiscalUploadInput = {}): Promise<FiscalUploadTotals> {
  const batchSize = input.batchSize ?? DEFAULT_UPLOAD_BATCH;
  const db = proxyActivities<Activities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  const fiscal = proxyActivities<Activities>({
    // The fiscal side answers a batch in seconds; "slow" beyond this counts as unavailable and is retried.
    startToCloseTimeout: '2 minutes',
    // The activity heartbeats right before the fiscal call (whose own timeout is MEDBILL_FISCAL_TIMEOUT_MS, 15 s):
    // a worker killed mid-upload is retried elsewhere after 45 s.
    heartbeatTimeout: '45s',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: input.retryMaxMs ?? DEFAULT_UPLOAD_RETRY_MAX_MS },
  });
  const { workflowId } = workflowInfo();
  const totals: FiscalUploadTotals = input.totals ?? { batches: 0, accepted: 0, rejected: 0, batchesRejected: 0 };
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const ref = await db.nextUploadBatch({ limit: batchSize });
    if (!ref) return totals;
    const outcome = await fiscal.uploadFiscalBatch({ ...ref, workflowId });
    const rec = await db.recordUploadResults({ outcome, workflowId });
    totals.batches++;
    totals.accepted += rec.accepted;
    totals.rejected += rec.rejected;
    if ('batchRejected' in outcome) totals.batchesRejected++;
  }
  return continueAsNew<typeof fiscalUploadWorkflow>({ ...input, totals });
}

export interface AccountStatusInput {
  batchSize?: number;
  afterId?: number;
  retryMaxMs?: number;
  checked?: number;
  accounted?: number;
}

export async function fiscalAccountStatusWorkflow(input: AccountStatusInput = {}): Promise<{ checked: number; accounted: number; errors: string[] }> {
  const batchSize = input.batchSize ?? DEFAULT_UPLOAD_BATCH;
  const fiscal = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: input.retryMaxMs ?? DEFAULT_UPLOAD_RETRY_MAX_MS },
  });
  let afterId = input.afterId ?? 0;
  let checked = input.checked ?? 0;
  let accounted = input.accounted ?? 0;
  const errors: string[] = [];
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    const r = await fiscal.fetchAccountStatus({ afterId, limit: batchSize });
    checked += r.count;
    accounted += r.accounted;
    errors.push(...r.errors);
    if (r.count < batchSize) return { checked, accounted, errors: errors.slice(0, 20) };
    afterId = r.lastId;
  }
  return continueAsNew<typeof fiscalAccountStatusWorkflow>({ ...input, afterId, checked, accounted });
}
