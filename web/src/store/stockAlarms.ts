/** Open stock alarms (库存预警) for the menu badge: read when the layout opens and every 60 s. */
import { reactive, readonly } from 'vue';
import { fetchAlarmCount } from '@/api/stock';
import { polledCount } from './polled';

const state = reactive({ open: 0 });
export const stockAlarmCount = readonly(state);

const count = polledCount(
  () => fetchAlarmCount(),
  (c) => {
    state.open = Number(c.open) || 0;
  },
  60_000,
);

export const refreshStockAlarmCount = count.refresh;
export const watchStockAlarmCount = count.watch;
