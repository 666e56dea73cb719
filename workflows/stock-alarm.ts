/**
 * The `stock-alarm` schedule's run (库存预警): compares every point's unused numbers with its
 * threshold, opens / closes alarms (services/stock/alarms.ts). Deterministic code only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ScheduleDef } from '../temporal/schedules';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

export async function stockAlarmWorkflow(): Promise<{ checked: number; open: number; opened: number }> {
  const r = await acts.checkStockAlarms();
  return { checked: r.checked, open: r.open, opened: r.opened.length };
}

export const STOCK_ALARM_SCHEDULE: ScheduleDef = {
  id: 'stock-alarm',
  workflowType: 'stockAlarmWorkflow',
  everyMs: (cfg) => cfg.stockAlarmEveryMs,
  memo: '库存预警：比较各开票点剩余号码与阈值 (MEDBILL_STOCK_ALARM_EVERY)',
};
