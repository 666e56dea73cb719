/**
 * How many to-do items (待办事项) are open, for the menu badge: read when the layout opens, every
 * 30 s while it is open, and again after each action on a to-do, a reversal or a partial refund.
 */
import { reactive, readonly } from 'vue';
import { fetchTodoCount } from '@/api/todos';

const POLL_INTERVAL_MS = 30_000;

const state = reactive({ open: 0, overdue: 0, loaded: false });
export const todoCount = readonly(state);

let timer: ReturnType<typeof setInterval> | undefined;
let users = 0;
let seq = 0;

/**
 * Reads the count now; only the latest answer counts (an older one may predate an action).
 * A failure keeps the last count: the badge is not worth an error message.
 */
export function refreshTodoCount(): Promise<void> {
  const mine = ++seq;
  return fetchTodoCount({ silent: true })
    .then((c) => {
      if (mine !== seq) return;
      state.open = Number(c.open) || 0;
      state.overdue = Number(c.overdue) || 0;
      state.loaded = true;
    })
    .catch(() => undefined);
}

/** Starts polling (shared by every caller); returns the function that stops it for this caller. */
export function watchTodoCount(): () => void {
  users += 1;
  if (users === 1) {
    void refreshTodoCount();
    timer = setInterval(() => void refreshTodoCount(), POLL_INTERVAL_MS);
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
