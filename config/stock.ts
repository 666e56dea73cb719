/** Bill stock (`cfg.stock`, 票据库存): requisitions at the fiscal platform and low-stock alarms. */
import { duration, int } from './parse';

export const DEFAULT_STOCK_ALARM_EVERY_MS = 10 * 60_000;
export const DEFAULT_STOCK_THRESHOLD = 1000;
export const DEFAULT_REQUISITION_POLL_MAX_MS = 5 * 60_000;

export interface StockConfig {
  /** MEDBILL_STOCK_ALARM_EVERY: how often the `stock-alarm` schedule compares each point's stock with its threshold. */
  alarmEveryMs: number;
  /** MEDBILL_STOCK_DEFAULT_THRESHOLD: the threshold of a point and bill kind that holds stock but has none set. */
  defaultThreshold: number;
  /** MEDBILL_REQUISITION_POLL_MAX: longest wait between two polls of a requisition's review (backoff from 2 s). */
  requisitionPollMaxMs: number;
}

export function loadStockConfig(env: NodeJS.ProcessEnv): StockConfig {
  return {
    alarmEveryMs: duration('MEDBILL_STOCK_ALARM_EVERY', env.MEDBILL_STOCK_ALARM_EVERY, DEFAULT_STOCK_ALARM_EVERY_MS),
    defaultThreshold: int('MEDBILL_STOCK_DEFAULT_THRESHOLD', env.MEDBILL_STOCK_DEFAULT_THRESHOLD, DEFAULT_STOCK_THRESHOLD),
    requisitionPollMaxMs: duration('MEDBILL_REQUISITION_POLL_MAX', env.MEDBILL_REQUISITION_POLL_MAX, DEFAULT_REQUISITION_POLL_MAX_MS),
  };
}
