/**
 * The refund counts (/api/refunds/counts): the menu badge beside 退费审批 (the to-do count, red when
 * some are overdue) and the counts on the page's tabs. Read when the layout opens, every 30 s while
 * it is open, and again after each action on a refund.
 */
import { reactive, readonly } from 'vue';
import { fetchRefundCounts } from '@/api/refunds';

const POLL_INTERVAL_MS = 30_000;

const state = reactive({ todo: 0, overdue: 0, done: 0, mine: 0, cc: 0, all: undefined as number | undefined, loaded: false });
export const refundCounts = readonly(state);

let timer: ReturnType<typeof setInterval> | undefined;
let users = 0;
let seq = 0;

/**
 * Reads the counts now; only the latest answer counts (an older one may predate an action).
 * A failure keeps the last counts: the badge is not worth an error message.
 */
export function refreshRefundCounts(): Promise<void> {
  const mine = ++seq;
  return fetchRefundCounts({ silent: true })
    .then((c) => {
      if (mine !== seq) return;
      state.todo = Number(c.todo) || 0;
      state.overdue = Number(c.overdue) || 0;
      state.done = Number(c.done) || 0;
      state.mine = Number(c.mine) || 0;
      state.cc = Number(c.cc) || 0;
      state.all = c.all === undefined ? undefined : Number(c.all) || 0;
      state.loaded = true;
    })
    .catch(() => undefined);
}

/** Starts polling (shared by every caller); returns the function that stops it for this caller. */
export function watchRefundCounts(): () => void {
  users += 1;
  if (users === 1) {
    void refreshRefundCounts();
    timer = setInterval(() => void refreshRefundCounts(), POLL_INTERVAL_MS);
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users -= 1;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}
