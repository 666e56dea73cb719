import { http } from './http';
import type { BillId } from './bills';

export type TodoKind = 'paper_recovery' | 'reissue_blocked';
export type TodoAction = 'confirm' | 'retry' | 'abandon';
/** open, or closed as done / cancelled. */
export type TodoState = 'open' | 'done' | 'cancelled';
export type TodoFilter = 'open' | 'closed' | 'all';

/** One item of the to-do list (待办事项): what a bill process waits for from a person. */
export interface TodoItem {
  id: number;
  kind: TodoKind | string;
  kindName: string;
  state: TodoState | string;
  title: string;
  detail?: string | null;
  placeCode: string;
  bill: {
    id: BillId;
    billBatchCode: string;
    billNo: string;
    payer?: string | null;
    paperBillBatchCode?: string | null;
    paperBillNo?: string | null;
  };
  /** ISO timestamps. */
  createdAt: string;
  remindAt?: string | null;
  remindCount: number;
  overdue: boolean;
  closedBy?: string | null;
  /** Who closed it as a person reads it (domain/actors.ts). */
  closedByName?: string | null;
  closedAt?: string | null;
  workflowId: string;
  workflowUrl?: string;
  /** What the signed-in user may do with it. */
  actions: TodoAction[];
}

export interface TodoCount {
  open: number;
  overdue: number;
}

export const fetchTodos = (state: TodoFilter, options?: { silent?: boolean; signal?: AbortSignal }) =>
  http.get<{ items: TodoItem[] }>('/todos', { state }, options);

export const fetchTodoCount = (options?: { silent?: boolean; signal?: AbortSignal }) => http.get<TodoCount>('/todos/count', undefined, options);

const todoPath = (id: number, action: TodoAction) => `/todos/${encodeURIComponent(String(id))}/${action}`;

/** The paper bill is back and voided: the waiting reversal goes on. */
export const confirmTodo = (id: number, reason?: string) => http.post<{ ok: boolean }>(todoPath(id, 'confirm'), reason ? { reason } : {}, { silent: true });

/** Tries the blocked reissue again (e.g. after numbers were added). */
export const retryTodo = (id: number) => http.post<{ ok: boolean }>(todoPath(id, 'retry'), {}, { silent: true });

/** Gives the blocked reissue up; the reason goes on the bill's timeline. */
export const abandonTodo = (id: number, reason: string) => http.post<{ ok: boolean }>(todoPath(id, 'abandon'), { reason }, { silent: true });
