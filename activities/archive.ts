/**
 * The e-bill archive's activities (票据档案): the `archive-check` schedule's steps, thin wrappers
 * over services/archive/archive.ts.
 */
import { Context, heartbeat, log } from '@temporalio/activity';
import type { Deps } from '../services/deps';
import { archiveDueBills, checkArchivePage, finishRun, startCheckRun, type ArchivePageResult, type CheckRunReport } from '../services/archive/archive';

export function archiveActivities(deps: Deps) {
  const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'archive-check';
  return {
    /** Opens a run of the 四性 checks (at archiving, or over the whole archive). */
    async startArchiveCheckRun(trigger: 'archive' | 'schedule'): Promise<number> {
      return startCheckRun(deps, { trigger, workflowId: workflowId() });
    },
    /** Archives one page of due bills (each package checked in the run). */
    async archiveDueBillsPage(input: { runId: number; afterId: number; limit: number }): Promise<ArchivePageResult> {
      heartbeat();
      const r = await archiveDueBills(deps, input);
      for (const e of r.errors) log.warn(`bill ${e.billId} not archived: ${e.error}`);
      return r;
    },
    /** Re-checks one page of kept packages in the run. */
    async checkArchivePackages(input: { runId: number; afterId: number; limit: number }): Promise<{ lastId: number; checked: number; failed: number; done: boolean }> {
      heartbeat();
      return checkArchivePage(deps, input);
    },
    /** Ends a run: its report, one operation-log entry, and the to-do when a package failed. */
    async finishArchiveCheckRun(runId: number): Promise<CheckRunReport> {
      const r = await finishRun(deps, runId, { workflowId: workflowId() });
      if (r.failed) log.error(`archive check run ${runId}: ${r.failed} of ${r.checked} packages failed`);
      return { ...r, failures: r.failures.slice(0, 20) };
    },
  };
}
