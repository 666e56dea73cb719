/**
 * Basic data sync (基础数据同步), run by the Temporal Schedule `basic-data-sync` every
 * MEDBILL_BASIC_SYNC_EVERY (default 1 h) and by the console's 立即同步 (which triggers the schedule).
 * One activity fetches bill kinds and fiscal charge items and applies them in one transaction; a
 * fiscal outage is retried with backoff for a while, then the next scheduled run catches up.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BasicSyncResult } from '../services/fiscal/basic-data';

const { syncBasicData } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
});

export async function basicDataSyncWorkflow(): Promise<BasicSyncResult> {
  return syncBasicData(workflowInfo().workflowId);
}
