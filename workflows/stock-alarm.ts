/**
 * The `stock-alarm` schedule's run (库存预警): compares every point's unused numbers with its
 * threshold, opens / closes alarms (services/stock/alarms.ts). Deterministic code only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

export async function stockAlarmWorkflow(): Promise<{ checked: number; open: number; opened: number }> {
  const r = await acts.checkStockAlarms();
  return { checked: r.checked, open: r.open, opened: r.opened.length };
}
