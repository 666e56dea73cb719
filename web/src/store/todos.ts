/**
 * How many to-do items (待办事项) are open, for the menu badge: read when the layout opens, every
 * 30 s while it is open, and again after each action on a to-do, a reversal or a partial refund.
 */
import { reactive, readonly } from 'vue';
import { fetchTodoCount } from '@/api/todos';
import { polledCount } from './polled';

const state = reactive({ open: 0, overdue: 0, loaded: false });
export const todoCount = readonly(state);

const count = polledCount(
  () => fetchTodoCount({ silent: true }),
  (c) => {
    state.open = Number(c.open) || 0;
    state.overdue = Number(c.overdue) || 0;
    state.loaded = true;
  },
  30_000,
);

export const refreshTodoCount = count.refresh;
export const watchTodoCount = count.watch;
