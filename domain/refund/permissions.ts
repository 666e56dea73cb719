/**
 * Who may act on a refund, and when: the one rule the workflow's update validator enforces, the
 * API offers as a refund's `actions` and the console's to-do list (退费待办) is made of. Pure
 * (domain only), so the workflow bundle imports it.
 *
 * `mayAct` answers for the refund's state and the actor's roles only; what the action itself must
 * carry (a comment, a voucher number, the step to go back to, the version seen) is checked by the
 * workflow's validator after it.
 */
import { REFUND_ACTIONS, type RefundActionName, type RefundState } from './states';
import { refundActionName, refundStateName } from './names';

export interface RefundActor {
  /** Console user name, or `patient:{openId}` / `his:{appid}` for the outside channels. */
  username: string;
  displayName: string;
  roles: string[];
  placeCode?: string | null;
  /** The refund's applicant (or its patient channel / HIS): may withdraw. */
  isApplicant?: boolean;
}

/** Where a refund stands, as the workflow holds it and the `refund` row mirrors it. */
export interface RefundPosition {
  state: RefundState | string;
  stepIndex: number;
  steps: ReadonlyArray<{ name: string; roles: readonly string[] }>;
  /** The user the current step was transferred to (or the patient's own doctor), if any. */
  assignee?: string | null;
  /** The refund's billing point: a cashier confirms window refunds of their own point. */
  placeCode?: string | null;
}

export type Permission = { ok: true } | { ok: false; code: 'E0092' | 'E0010'; message: string; field: string };

const OK: Permission = { ok: true };
const no = (field: string, message: string, code: 'E0092' | 'E0010' = 'E0092'): Permission => ({ ok: false, code, message: `${field}: ${message}`, field });

const has = (a: RefundActor, ...roles: string[]) => roles.some((r) => a.roles.includes(r));

/** `override`: an admin may act on any step (not a to-do of theirs, though). */
function decides(p: RefundPosition, a: RefundActor, override: boolean): boolean {
  if (override && has(a, 'admin')) return true;
  if (p.assignee) return a.username === p.assignee;
  return (p.steps[p.stepIndex]?.roles ?? []).some((r) => a.roles.includes(r));
}

function check(action: RefundActionName, p: RefundPosition, a: RefundActor, override: boolean): Permission {
  const needState = (...states: RefundState[]): Permission | undefined =>
    states.includes(p.state as RefundState) ? undefined : no('state', `退费申请当前为${refundStateName(p.state)}，不能${refundActionName(action)}`);
  const stepName = p.steps[p.stepIndex]?.name ?? '';
  const office = (override && has(a, 'admin')) || has(a, 'finance');
  switch (action) {
    case 'approve':
    case 'reject':
    case 'return':
    case 'transfer':
      return (
        needState('approving') ??
        (!decides(p, a, override)
          ? no('actor', `${a.displayName} 无权处理「${stepName}」${p.assignee ? `（已转办给 ${p.assignee}）` : ''}`)
          : action === 'return' && p.stepIndex < 1
            ? no('toStep', '第一步之前没有可退回的步骤', 'E0010')
            : OK)
      );
    case 'comment':
      return OK;
    case 'extend':
      return needState('approving') ?? (decides(p, a, override) || office ? OK : no('actor', `${a.displayName} 无权延期「${stepName}」`));
    case 'withdraw':
      if (p.state !== 'approving') return no('state', `退费申请已审批通过（${refundStateName(p.state)}），不能撤回`);
      return a.isApplicant || (override && has(a, 'admin')) ? OK : no('actor', '只有申请人可以撤回退费申请');
    case 'cashier_confirm': {
      const refused = needState('awaiting_cashier');
      if (refused) return refused;
      if (office) return OK;
      if (!has(a, 'cashier')) return no('actor', '窗口退款须由收费员确认');
      // A cashier confirms the window refunds of their own billing point (one without a point, none: domain/access.ts).
      if (!a.placeCode || (p.placeCode && a.placeCode !== p.placeCode)) return no('actor', `窗口退款须由开票点 ${p.placeCode ?? ''} 的收费员确认`);
      return OK;
    }
    case 'retry_money':
    case 'offline':
      return needState('refund_failed') ?? (office ? OK : no('actor', '退款失败须由财务处理'));
    default:
      return no('action', `未知操作「${String(action)}」`, 'E0010');
  }
}

/** Whether `actor` may take `action` on the refund now: ok, or the refusal (code, field, Chinese message). */
export function mayAct(action: RefundActionName, p: RefundPosition, actor: RefundActor): Permission {
  return check(action, p, actor, true);
}

/** Every action `actor` may take on the refund now, in the order the console shows them. */
export function allowedActions(p: RefundPosition, actor: RefundActor): RefundActionName[] {
  return REFUND_ACTIONS.filter((x) => mayAct(x, p, actor).ok);
}

/** The action that moves a refund on in each state it waits for a person. */
const TURN: Partial<Record<RefundState, RefundActionName>> = { approving: 'approve', awaiting_cashier: 'cashier_confirm', refund_failed: 'retry_money' };
/** The states a refund waits in for a person (the to-do list's candidates). */
export const TODO_STATES = Object.keys(TURN) as RefundState[];

/**
 * Whether the refund is on `actor`'s to-do list: it waits for a person, and `actor` is one whose
 * turn it is (by the step's roles or transfer, not by an admin's override).
 */
export function isTodoFor(p: RefundPosition, actor: RefundActor): boolean {
  const turn = TURN[p.state as RefundState];
  return turn !== undefined && check(turn, p, actor, false).ok;
}
