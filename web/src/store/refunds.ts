/**
 * The refund counts (/api/refunds/counts): the menu badge beside 退费审批 (the to-do count, red when
 * some are overdue) and the counts on the page's tabs. Read when the layout opens, every 30 s while
 * it is open, and again after each action on a refund.
 */
import { reactive, readonly } from 'vue';
import { fetchRefundCounts } from '@/api/refunds';
import { polledCount } from './polled';

const state = reactive({ todo: 0, overdue: 0, done: 0, mine: 0, cc: 0, all: undefined as number | undefined, loaded: false });
export const refundCounts = readonly(state);

const counts = polledCount(
  () => fetchRefundCounts({ silent: true }),
  (c) => {
    state.todo = Number(c.todo) || 0;
    state.overdue = Number(c.overdue) || 0;
    state.done = Number(c.done) || 0;
    state.mine = Number(c.mine) || 0;
    state.cc = Number(c.cc) || 0;
    state.all = c.all === undefined ? undefined : Number(c.all) || 0;
    state.loaded = true;
  },
  30_000,
);

export const refreshRefundCounts = counts.refresh;
export const watchRefundCounts = counts.watch;
