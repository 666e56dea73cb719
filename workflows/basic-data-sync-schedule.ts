import type { ScheduleDef } from '../temporal/schedules';

/** The schedule of basicDataSyncWorkflow (outside the workflow file: the bundle must not import scripts/). */
export const BASIC_DATA_SYNC_SCHEDULE: ScheduleDef = {
  id: 'basic-data-sync',
  workflowType: 'basicDataSyncWorkflow',
  everyMs: (cfg) => cfg.basicSyncEveryMs,
  memo: '从财政平台同步票据种类与收费项目（基础数据）',
};
