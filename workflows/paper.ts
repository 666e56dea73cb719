/**
 * The paper form of one bill, ID `paper-{billBatchCode}-{billNo}`: exchange (换开), re-exchange,
 * void, A4 re-print. Every HIS or console call arrives as the `paper` update (update-with-start,
 * USE_EXISTING): operations run one at a time, each as one local-activity transaction, and the
 * caller gets its answer as soon as that committed. The print job it queued then runs as a
 * background activity, retried while the printer is down; the run ends when its prints are done
 * and no call is waiting. Deterministic code only.
 */
import {
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { PaperOp, PaperResult } from '../services/paper';
import { paperStatusQuery, paperUpdate, type PaperProcessStatus } from '../temporal/messages';
import type { Activities } from '../activities';
import { passOnRefusal } from '../temporal/failures';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

const printing = proxyActivities<Activities>({
  // A print is one HTTP call of at most 20 s; a printer may be offline (out of paper) for hours.
  startToCloseTimeout: '60s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['PrinterPermanentError'] },
});


export async function paperWorkflow(): Promise<PaperProcessStatus> {
  const status: PaperProcessStatus = { operations: 0, prints: {} };
  // One operation at a time: each waits for the one before it (a promise chain; a condition on a
  // "busy" flag would wake every waiting call at once).
  let queue: Promise<unknown> = Promise.resolve();
  let running = 0;
  let pendingPrints = 0;
  let received = 0;

  const print = async (jobId: string) => {
    status.prints[jobId] = 'pending';
    try {
      status.prints[jobId] = await printing.printJob(jobId);
    } catch (err) {
      status.prints[jobId] = 'failed';
      log.error('print gave up', { jobId, err: String(err) });
    } finally {
      pendingPrints--;
    }
  };

  setHandler(paperStatusQuery, () => status);
  setHandler(paperUpdate, async (op: PaperOp) => {
    received++;
    running++;
    const mine = queue.then(() => local.paperOperation(op));
    queue = mine.catch(() => undefined);
    let result: PaperResult;
    try {
      result = await mine;
      status.operations++;
    } catch (e) {
      throw passOnRefusal(e);
    } finally {
      running--;
    }
    if (result.newPrintJob && result.printJobId && !(result.printJobId in status.prints)) {
      pendingPrints++;
      void print(result.printJobId);
    }
    return result;
  });

  // Started by update-with-start: the first call is on its way. Then serve calls until every print is done.
  await condition(() => received > 0, '10 minutes');
  await condition(() => pendingPrints === 0 && running === 0 && allHandlersFinished());
  return status;
}
