/** Open stock alarms (库存预警) for the menu badge: read when the layout opens and every 60 s. */
import { reactive, readonly } from 'vue';
import { fetchAlarmCount } from '@/api/stock';

const state = reactive({ open: 0 });
export const stockAlarmCount = readonly(state);
let timer: ReturnType<typeof setInterval> | undefined;

export function refreshStockAlarmCount(): Promise<void> {
  return fetchAlarmCount()
    .then((c) => {
      state.open = Number(c.open) || 0;
    })
    .catch(() => undefined);
}

export function watchStockAlarmCount(): () => void {
  void refreshStockAlarmCount();
  timer ??= setInterval(() => void refreshStockAlarmCount(), 60_000);
  return () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
}
