/**
 * The `archive-check` schedule's run (票据档案): archives the bills now due (accounted, or past
 * the configured age) page by page, each package checked at archiving (run 1, 归档时检测); then
 * re-runs the 四性 checks over every kept package (run 2, 定期检测). A run with a failed package
 * opens the archive's to-do. Deterministic code only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export interface ArchiveCheckInput {
  /** Bills archived / packages checked per activity (cfg.archive.batch). */
  batch: number;
}

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '10m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

/** At most this many pages per pass in one run (the rest waits for the next run). */
const MAX_PAGES = 2000;

export interface ArchiveCheckResult {
  archived: number;
  archiveRun: { id: number; checked: number; passed: number; failed: number };
  checkRun: { id: number; checked: number; passed: number; failed: number };
  errors: number;
}

export async function archiveCheckWorkflow(input: ArchiveCheckInput = { batch: 200 }): Promise<ArchiveCheckResult> {
  const limit = Math.max(1, input.batch);
  const archiveRunId = await acts.startArchiveCheckRun('archive');
  let afterId = 0;
  let archived = 0;
  let errors = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r = await acts.archiveDueBillsPage({ runId: archiveRunId, afterId, limit });
    archived += r.archived;
    errors += r.errors.length;
    afterId = r.lastId;
    if (r.done) break;
  }
  const a = await acts.finishArchiveCheckRun(archiveRunId);

  const checkRunId = await acts.startArchiveCheckRun('schedule');
  afterId = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r = await acts.checkArchivePackages({ runId: checkRunId, afterId, limit });
    afterId = r.lastId;
    if (r.done) break;
  }
  const c = await acts.finishArchiveCheckRun(checkRunId);
  const counts = (x: typeof a) => ({ id: x.id, checked: x.checked, passed: x.passed, failed: x.failed });
  return { archived, archiveRun: counts(a), checkRun: counts(c), errors };
}
