/**
 * The Temporal Schedules the platform runs (fiscal batch upload, stock alarms, basic-data sync ...).
 * Each is declared once in SCHEDULES; the launcher creates missing ones and updates changed ones at
 * start, so a new release changes an interval without anyone touching the Temporal UI.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { AccountStatusInput, FiscalUploadInput } from '../workflows/fiscal-upload';
import type { ArchiveCheckInput } from '../workflows/archive-check';
import type { WorkflowName } from './workflow-types';

export interface ScheduleDef {
  /** Schedule ID (also the prefix of each run's workflow ID). */
  id: string;
  /** Workflow type name, exported by workflows/index.ts. */
  workflowType: WorkflowName;
  /** How often, from the configuration (e.g. cfg.fiscal.uploadEveryMs). */
  everyMs: (cfg: Config) => number;
  args?: (cfg: Config) => unknown[];
  memo?: string;
  /** Run once as soon as the schedule is created (a fresh install), not only at the first interval. */
  runAtCreate?: boolean;
}

/** basicDataSyncWorkflow: bill kinds and fiscal charge items from the fiscal platform. */
export const BASIC_DATA_SYNC_SCHEDULE: ScheduleDef = {
  id: 'basic-data-sync',
  workflowType: 'basicDataSyncWorkflow',
  everyMs: (cfg) => cfg.fiscal.basicSyncEveryMs,
  memo: '从财政平台同步票据种类与收费项目（基础数据）',
  // A fresh install has no fiscal items until the first sync: not up to an interval later.
  runAtCreate: true,
};

export const STOCK_ALARM_SCHEDULE: ScheduleDef = {
  id: 'stock-alarm',
  workflowType: 'stockAlarmWorkflow',
  everyMs: (cfg) => cfg.stock.alarmEveryMs,
  memo: '库存预警：比较各开票点剩余号码与阈值 (MEDBILL_STOCK_ALARM_EVERY)',
};

export const FISCAL_UPLOAD_SCHEDULE: ScheduleDef = {
  id: 'fiscal-upload',
  workflowType: 'fiscalUploadWorkflow',
  everyMs: (cfg: Config) => cfg.fiscal.uploadEveryMs,
  args: (cfg: Config) => [{ batchSize: cfg.fiscal.uploadBatch, retryMaxMs: cfg.fiscal.uploadRetryMaxMs } satisfies FiscalUploadInput],
  memo: '财政票据批量上传：待上传的票据分批上传到财政平台（原票先于红票），财政平台不可用时退避重试',
};

export const FISCAL_ACCOUNT_SCHEDULE: ScheduleDef = {
  id: 'fiscal-account-status',
  workflowType: 'fiscalAccountStatusWorkflow',
  everyMs: (cfg: Config) => cfg.fiscal.accountEveryMs,
  args: (cfg: Config) => [{ batchSize: cfg.fiscal.uploadBatch, retryMaxMs: cfg.fiscal.uploadRetryMaxMs } satisfies AccountStatusInput],
  memo: '入账状态查询：已上传未入账的票据向财政平台查询入账状态',
};

/** operationLogCheckWorkflow: the operation log's chain verified (a to-do when broken), old rows archived. */
export const OPERATION_LOG_CHECK_SCHEDULE: ScheduleDef = {
  id: 'operation-log-check',
  workflowType: 'operationLogCheckWorkflow',
  everyMs: (cfg: Config) => cfg.audit.checkEveryMs,
  memo: '操作日志每日校验：校验 HMAC-SM3 链（断链时生成待办），并归档超过保留期的记录 (MEDBILL_OPLOG_CHECK_EVERY, MEDBILL_OPLOG_RETENTION_DAYS)',
};

/** archiveCheckWorkflow: due bills archived (each package checked), then the 四性 checks over the whole archive (a to-do on failure). */
export const ARCHIVE_CHECK_SCHEDULE: ScheduleDef = {
  id: 'archive-check',
  workflowType: 'archiveCheckWorkflow',
  everyMs: (cfg: Config) => cfg.archive.checkEveryMs,
  args: (cfg: Config) => [{ batch: cfg.archive.batch } satisfies ArchiveCheckInput],
  memo: '票据档案：已入账或到期的票据归档为档案包（归档时四性检测），并对全部档案包定期复检四性（真实性、完整性、可用性、安全性），未通过时生成待办 (MEDBILL_ARCHIVE_CHECK_EVERY, MEDBILL_ARCHIVE_AFTER_DAYS)',
};

/** Every schedule the platform runs (created or updated at start). */
export const SCHEDULES: ScheduleDef[] = [
  BASIC_DATA_SYNC_SCHEDULE,
  STOCK_ALARM_SCHEDULE,
  FISCAL_UPLOAD_SCHEDULE,
  FISCAL_ACCOUNT_SCHEDULE,
  OPERATION_LOG_CHECK_SCHEDULE,
  ARCHIVE_CHECK_SCHEDULE,
];

/**
 * Creates the schedules, or brings an existing one's spec and action up to date. An existing
 * schedule the server cannot describe yet (its scheduler workflow not running again after a
 * restart, on a loaded machine) keeps running as it was: `warn` is told and the start goes on
 * rather than failing; the next start updates it.
 */
export async function ensureSchedules(client: Client, taskQueue: string, cfg: Config, defs: ScheduleDef[] = SCHEDULES, warn: (msg: string) => void = () => {}): Promise<void> {
  for (const d of defs) {
    const spec = { intervals: [{ every: d.everyMs(cfg) }] };
    const action = { type: 'startWorkflow' as const, workflowType: d.workflowType, taskQueue, args: d.args?.(cfg) ?? [], workflowId: d.id };
    try {
      await client.schedule.create({
        scheduleId: d.id,
        spec,
        action,
        // A run that is still going when the next is due: skip the new one (each run catches up all pending work).
        policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
        memo: d.memo ? { description: d.memo } : undefined,
        ...(d.runAtCreate ? { state: { triggerImmediately: true } } : {}),
      });
    } catch (e) {
      if (!(e instanceof ScheduleAlreadyRunning)) throw e;
      try {
        await updateSoon(() => client.schedule.getHandle(d.id).update((prev) => ({ ...prev, spec, action })));
      } catch (u) {
        warn(`schedule ${d.id} exists but could not be updated now (${(u as Error).message}); it runs as it was, the next start updates it`);
      }
    }
  }
}

/**
 * Right after a restart the dev server can answer "schedule exists" to a create and still fail to
 * describe it (its scheduler workflow is not yet running again): retry the update for up to 60 s.
 */
async function updateSoon(update: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await update();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Runs a schedule's action now (tests and the console's "run now" buttons). The SDK's default for a
 * trigger is ALLOW_ALL (a second run beside a running one); BUFFER_ONE never runs two at once and
 * still guarantees a run that starts after this call (queued behind a run that is just finishing).
 */
export async function triggerSchedule(client: Client, id: string, overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.BUFFER_ONE): Promise<void> {
  try {
    await client.schedule.getHandle(id).trigger(overlap);
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) throw new Error(`schedule ${id} is not defined`);
    throw e;
  }
}
