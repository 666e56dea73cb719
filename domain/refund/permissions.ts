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
  /**
   * Four eyes: the users who decided (approved, rejected or returned; a transfer is no decision)
   * another step of this request than the current one (`otherDeciders`). They may not decide this
   * one. The decider of the current step itself, after a return to it, may decide it again.
   */
  decidedBy?: readonly string[];
  /** The console user who applied (the row's `applicant`); they may decide no step of it. */
  applicant?: string | null;
}

/** Who decided which step: step index -> usernames, in order (the workflow's state, the row's `decided_by`). */
export type StepDeciders = Readonly<Record<number, readonly string[]>>;

/** The users who decided a step of the request other than `stepIndex`. */
export function otherDeciders(d: StepDeciders | null | undefined, stepIndex: number): string[] {
  const out = new Set<string>();
  for (const [k, users] of Object.entries(d ?? {})) if (Number(k) !== stepIndex) for (const u of users) out.add(u);
  return [...out];
}

/** `d` with `username` added as a decider of `stepIndex` (a new object; `d` is left as is). */
export function withDecider(d: StepDeciders | null | undefined, stepIndex: number, username: string): Record<number, string[]> {
  const out: Record<number, string[]> = {};
  for (const [k, users] of Object.entries(d ?? {})) out[Number(k)] = [...users];
  const list = out[stepIndex] ?? (out[stepIndex] = []);
  if (!list.includes(username)) list.push(username);
  return out;
}

export const APPLICANT_REFUSED = '申请人不能审批自己发起的退费申请';
export const FOUR_EYES_REFUSED = '同一人不能审批同一退费申请的两个环节（四眼原则）';

export type Permission = { ok: true } | { ok: false; code: 'E0092' | 'E0010'; message: string; field: string };

const OK: Permission = { ok: true };
const no = (field: string, message: string, code: 'E0092' | 'E0010' = 'E0092'): Permission => ({ ok: false, code, message: `${field}: ${message}`, field });

const has = (a: RefundActor, ...roles: string[]) => roles.some((r) => a.roles.includes(r));

/** Whether the step is `a`'s by its roles or a transfer (four eyes aside). */
function decides(p: RefundPosition, a: RefundActor): boolean {
  if (p.assignee) return a.username === p.assignee;
  return (p.steps[p.stepIndex]?.roles ?? []).some((r) => a.roles.includes(r));
}

function check(action: RefundActionName, p: RefundPosition, a: RefundActor): Permission {
  const needState = (...states: RefundState[]): Permission | undefined =>
    states.includes(p.state as RefundState) ? undefined : no('state', `退费申请当前为${refundStateName(p.state)}，不能${refundActionName(action)}`);
  const stepName = p.steps[p.stepIndex]?.name ?? '';
  const office = has(a, 'finance');
  const isApplicant = !!a.isApplicant || (!!p.applicant && p.applicant === a.username);
  switch (action) {
    case 'approve':
    case 'reject':
    case 'return':
    case 'transfer':
      return (
        needState('approving') ??
        (!decides(p, a)
          ? no('actor', `${a.displayName} 无权处理「${stepName}」${p.assignee ? `（已转办给 ${p.assignee}）` : ''}`)
          : isApplicant
            ? no('actor', APPLICANT_REFUSED)
            : (p.decidedBy ?? []).includes(a.username)
              ? no('actor', FOUR_EYES_REFUSED)
              : action === 'return' && p.stepIndex < 1
            ? no('toStep', '第一步之前没有可退回的步骤', 'E0010')
            : OK)
      );
    case 'comment':
      return OK;
    case 'extend':
      return needState('approving') ?? (decides(p, a) || office ? OK : no('actor', `${a.displayName} 无权延期「${stepName}」`));
    case 'withdraw':
      if (p.state !== 'approving') return no('state', `退费申请已审批通过（${refundStateName(p.state)}），不能撤回`);
      return a.isApplicant ? OK : no('actor', '只有申请人可以撤回退费申请');
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
  return check(action, p, actor);
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
 * turn it is (by the step's roles or transfer) and who may decide it (not the applicant, not the
 * decider of another step: the four-eyes rules of `mayAct`).
 */
export function isTodoFor(p: RefundPosition, actor: RefundActor): boolean {
  const turn = TURN[p.state as RefundState];
  return turn !== undefined && check(turn, p, actor).ok;
}
