/**
 * One refund request (退费), ID `refund-{refundNo}` (seed 002): the patient (or the HIS, or a
 * cashier for the patient) asks; the approval chain decides step by step (outpatient doctor,
 * for insured payments the executing department, finance); the money goes back by the original
 * channel (WeChat Pay / Alipay through their adapters, cash / UnionPay card paid at the window and
 * confirmed by a cashier); then the bill is reversed, or reversed and reissued for the rest, by the
 * bill's own reversal process; the patient is told at the end, and when the request is rejected.
 *
 * People act through updates with validators (approve, reject, return, transfer, comment, extend,
 * withdraw, cashier_confirm, retry_money, offline). A decision names the `version` it was made on:
 * of two people deciding the same step at once, the first wins and the validator refuses the other
 * with E0093, naming who decided. Every change is mirrored to the `refund` row and the
 * `refund_action` trail, in order, by one local activity per change (idempotent by action key).
 *
 * A step's deadline reminds first (`remindBeforeHours` before) and then escalates: the step is
 * marked overdue and the step's escalation roles are copied (抄送). `extend` moves the deadline.
 * Deterministic code only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { domainDetailsOf, refusal } from '../temporal/failures';
import { stepTimes, type ChainStep } from '../domain/refund/chain';
import { refundActionName, refundStateName } from '../domain/refund/names';
import { ONLINE_CHANNELS, type RefundChannel } from '../domain/refund/rules';
import { DECISIONS, type RefundActionName, type RefundState } from '../domain/refund/states';
import { mayAct, otherDeciders, withDecider, type RefundActor } from '../domain/refund/permissions';
import { billStateAttribute, refundEndState } from '../temporal/search-attributes';
import type { RefundRecord } from '../services/refunds';
import { chinaTime } from '../domain/time';
import { refundActionUpdate, refundBillSignal, refundLiveQuery, refundNoticeSignal, type LastDecision, type RefundActionInput, type RefundLive } from '../temporal/messages';

const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * The proof of an action (services/refund-proof.ts) is checked by the worker, where the key is:
 * a refusal (DomainError) is final; a database hiccup is tried a few times, then the action is
 * refused as busy (the person tries again, with a new proof).
 */
const proofs = proxyLocalActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 5, nonRetryableErrorTypes: ['DomainError'] },
});

/** Money: a channel outage is retried with the same out_refund_no, forever (backoff up to 5 minutes). */
const money = proxyActivities<Activities>({
  // A channel call gives up after MEDBILL_PAY_TIMEOUT_MS (10 s): an attempt lost with a dead worker is retried soon.
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m', nonRetryableErrorTypes: ['DomainError'] },
});

/** The bill's reversal waits for its own process (a paper form to recover, say): retried, forever. */
const billing = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['DomainError'] },
});

/** Patient notices: a channel may be down for hours; after a day the failure is recorded, the refund is not held up. */
const patientNotices = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '24h',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m' },
});

export interface RefundWorkflowInput {
  refundId: number;
  refundNo: string;
  channel: RefundChannel;
  steps: ChainStep[];
  /** The patient's own doctor: the first step goes to this user (others with the role may still be transferred to). */
  doctor?: string;
  placeCode: string;
  outRefundNo: string;
  /** How often a refund accepted by the channel is queried while no notice came (MEDBILL_REFUND_POLL). */
  pollMs: number;
}


/** "2026-12-01 19:05:09" in China time (UTC+8). */
const chinaTimeText = (iso: string) => chinaTime(iso).text;

const refuse = (code: 'E0092' | 'E0093' | 'E0010' | 'E0050', message: string, field?: string) => refusal({ code, message, field });

/** An action without a proof of the API's form (services/refund-proof.ts) is refused before it is even accepted. */
const PROOF_REFUSED = 'proof: 操作凭证无效';
const hasProofForm = (i: RefundActionInput) => {
  const p = i.proof;
  return !!p && typeof p.nonce === 'string' && typeof p.issuedAt === 'string' && typeof p.mac === 'string';
};

const HOUR = 3_600_000;

export async function refundWorkflow(input: RefundWorkflowInput): Promise<RefundLive> {
  const steps = input.steps;
  const st: RefundLive = {
    state: 'approving',
    stepIndex: 0,
    reminded: false,
    overdue: false,
    version: 0,
    decided: {},
    decidedBy: {},
    money: { state: 'none', outRefundNo: input.outRefundNo, attempts: 0, queries: 0, notices: 0 },
  };
  let seq = 0;
  let notices = 0;
  /** Persistence runs in order, one change after the other, whatever the number of concurrent updates. */
  let persisted: Promise<void> = Promise.resolve();
  const record = (r: Omit<RefundRecord, 'refundId' | 'actionKey' | 'row'> & { key?: string }): Promise<void> => {
    seq += 1;
    const row: RefundRecord['row'] = {
      state: st.state,
      stepIndex: st.stepIndex,
      stepAssignee: st.assignee ?? null,
      stepDeadline: st.deadline ?? null,
      stepOverdue: st.overdue,
      version: st.version,
      decidedBy: st.decidedBy ?? {},
    };
    const rec: RefundRecord = { ...r, refundId: input.refundId, actionKey: r.key ?? `${seq}-${r.action}`, row };
    delete (rec as { key?: string }).key;
    persisted = persisted.then(() => local.recordRefund(rec));
    return persisted;
  };

  const startStep = (index: number, assignee?: string | null) => {
    const step = steps[index];
    const now = Date.now();
    const { remindAfterMs, deadlineMs } = stepTimes(step);
    st.stepIndex = index;
    st.stepKey = step.key;
    st.assignee = assignee ?? null;
    st.deadline = new Date(now + deadlineMs).toISOString();
    st.remindAt = new Date(now + remindAfterMs).toISOString();
    st.reminded = false;
    st.overdue = false;
  };
  startStep(0, input.doctor && steps[0].roles.includes('doctor') ? input.doctor : null);
  upsertSearchAttributes(billStateAttribute('refund_approving'));

  const validate = (i: RefundActionInput): void => {
    if (!i || typeof i !== 'object' || !hasProofForm(i)) throw refuse('E0092', PROOF_REFUSED, 'proof');
    const a = i.actor;
    if (!a?.username) throw refuse('E0010', 'actor: 缺少操作人', 'actor');
    if (DECISIONS.includes(i.action) && i.version !== undefined && i.version !== st.version) {
      const d = st.lastDecision;
      const msg = d
        ? `此步骤已由 ${d.actorName} 于 ${chinaTimeText(d.at)} 处理（${refundActionName(d.action)}），请刷新后再操作`
        : '退费申请已变化，请刷新后再操作';
      throw refuse('E0093', msg, 'version');
    }
    // Who may act now (the state, the actor's roles on the step): the rule the API's actions and the to-do list use too.
    const may = mayAct(
      i.action,
      { state: st.state, stepIndex: st.stepIndex, steps, assignee: st.assignee, placeCode: input.placeCode, decidedBy: otherDeciders(st.decidedBy, st.stepIndex) },
      a,
    );
    if (!may.ok) throw refuse(may.code, may.message, may.field);
    const needComment = () => {
      if (!i.comment?.trim()) throw refuse('E0010', 'comment: 请填写原因', 'comment');
    };
    switch (i.action) {
      case 'approve':
      case 'reject':
      case 'return':
      case 'transfer':
        if (i.action === 'reject') needComment();
        if (i.action === 'return') {
          if (!Number.isInteger(i.toStep) || i.toStep! < 0 || i.toStep! >= st.stepIndex) throw refuse('E0010', `toStep: 只能退回到之前的步骤（0..${st.stepIndex - 1}）`, 'toStep');
          needComment();
        }
        if (i.action === 'transfer') {
          if (!i.to?.username) throw refuse('E0010', 'to: 请选择转办给谁', 'to');
          if (i.to.username === st.assignee) throw refuse('E0010', `to: 此步骤已由 ${i.to.username} 处理`, 'to');
          if (!steps[st.stepIndex].roles.some((r) => i.to!.roles.includes(r))) throw refuse('E0010', `to: ${i.to.username} 没有「${steps[st.stepIndex].name}」所需的角色（${steps[st.stepIndex].roles.join('、')}）`, 'to');
        }
        return;
      case 'comment':
        needComment();
        return;
      case 'extend':
        if (typeof i.hours !== 'number' || !Number.isFinite(i.hours) || i.hours <= 0 || i.hours > 720) throw refuse('E0010', 'hours: 延期小时数须大于 0 且不超过 720', 'hours');
        return;
      case 'withdraw':
        return;
      case 'cashier_confirm':
        if (!i.voucherNo?.trim()) throw refuse('E0010', 'voucherNo: 请填写退款凭证号（收据号或银联参考号）', 'voucherNo');
        return;
      case 'retry_money':
      case 'offline':
        return;
    }
  };

  const decide = (i: RefundActionInput, what: RefundActionName) => {
    st.version += 1;
    st.lastDecision = { action: what, actor: i.actor.username, actorName: i.actor.displayName, at: new Date().toISOString(), stepIndex: st.stepIndex };
    // Four eyes: approve, reject and return decide the step (a transfer hands it on); kept across returns.
    if (what === 'approve' || what === 'reject' || what === 'return') st.decidedBy = withDecider(st.decidedBy, st.stepIndex, i.actor.username);
  };

  let billNudges = 0;
  setHandler(refundLiveQuery, () => st);
  setHandler(refundBillSignal, () => void (billNudges += 1));
  setHandler(refundNoticeSignal, () => {
    notices += 1;
    st.money.notices = notices;
  });
  setHandler(
    refundActionUpdate,
    async (i) => {
      // The workflow trusts no caller: the API's proof is verified (HMAC, age, nonce used once) by
      // the worker before anything changes. Then the action is checked again: others may have acted meanwhile.
      try {
        await proofs.verifyRefundAction({ refundNo: input.refundNo, updateKey: `${workflowInfo().runId}/${currentUpdateInfo()?.id ?? ''}`, input: i });
      } catch (e) {
        const d = domainDetailsOf(e);
        if (d?.code === 'E0092') throw refuse('E0092', PROOF_REFUSED, 'proof');
        throw refuse('E0050', 'refundNo: 退费流程正忙，请稍后重试', 'refundNo');
      }
      validate(i);
      const a = i.actor;
      const step = steps[st.stepIndex];
      const base = { action: i.action, actor: a.username, actorName: a.displayName, comment: i.comment?.trim() || null, stepIndex: st.stepIndex, stepName: step?.name ?? null };
      switch (i.action) {
        case 'approve': {
          decide(i, 'approve');
          st.decided[st.stepIndex] = st.lastDecision!;
          const next = st.stepIndex + 1;
          if (next < steps.length) startStep(next);
          else {
            st.state = ONLINE_CHANNELS.includes(input.channel) ? 'refunding' : 'awaiting_cashier';
            st.deadline = undefined;
            st.remindAt = undefined;
            st.assignee = null;
            st.overdue = false;
          }
          await record(base);
          break;
        }
        case 'reject':
          decide(i, 'reject');
          st.decided[st.stepIndex] = st.lastDecision!;
          st.state = 'rejected';
          await record({ ...base, rejectReason: i.comment!.trim() });
          break;
        case 'return': {
          decide(i, 'return');
          const to = i.toStep!;
          for (const k of Object.keys(st.decided)) if (Number(k) >= to) delete st.decided[Number(k)];
          startStep(to, to === 0 && input.doctor && steps[0].roles.includes('doctor') ? input.doctor : null);
          await record({ ...base, detail: { toStep: to, toStepName: steps[to].name } });
          break;
        }
        case 'transfer':
          decide(i, 'transfer');
          st.assignee = i.to!.username;
          await record({ ...base, detail: { to: i.to!.username, toName: i.to!.displayName }, cc: [{ username: a.username, reason: `转办给 ${i.to!.displayName}` }] });
          break;
        case 'comment':
          await record(base);
          break;
        case 'extend': {
          const dl = new Date(new Date(st.deadline!).getTime() + Math.round(i.hours! * HOUR));
          const t = stepTimes(steps[st.stepIndex]);
          st.deadline = dl.toISOString();
          st.remindAt = new Date(dl.getTime() - (t.deadlineMs - t.remindAfterMs)).toISOString();
          st.reminded = new Date(st.remindAt).getTime() <= Date.now() ? st.reminded : false;
          st.overdue = false;
          await record({ ...base, detail: { hours: i.hours, deadline: st.deadline } });
          break;
        }
        case 'withdraw':
          decide(i, 'withdraw');
          st.state = 'withdrawn';
          await record(base);
          break;
        case 'cashier_confirm':
          decide(i, 'cashier_confirm');
          st.money.state = 'success';
          st.state = 'reversing';
          await record({ ...base, stepIndex: null, stepName: null, money: { state: 'success', voucherNo: i.voucherNo!.trim() } });
          break;
        case 'retry_money':
          decide(i, 'retry_money');
          st.money.attempts += 1;
          st.money.outRefundNo = `${input.outRefundNo}-R${st.money.attempts}`;
          st.money.state = 'none';
          st.money.failReason = undefined;
          st.state = 'refunding';
          await record({ ...base, stepIndex: null, stepName: null, money: { state: 'none', outRefundNo: st.money.outRefundNo } });
          break;
        case 'offline':
          decide(i, 'offline');
          st.state = 'awaiting_cashier';
          await record({ ...base, stepIndex: null, stepName: null });
          break;
      }
      return st;
    },
    { validator: validate },
  );

  // ---- the approval chain: wait for decisions, remind, escalate ----
  while (st.state === 'approving') {
    const due = !st.reminded ? st.remindAt : !st.overdue ? st.deadline : undefined;
    const mark = `${st.version}|${st.deadline}|${st.reminded}|${st.overdue}`;
    const moved = () => st.state !== 'approving' || `${st.version}|${st.deadline}|${st.reminded}|${st.overdue}` !== mark;
    const changed = due ? await condition(moved, Math.max(1, new Date(due).getTime() - Date.now())) : (await condition(moved), true);
    if (changed || st.state !== 'approving') continue;
    const step = steps[st.stepIndex];
    if (!st.reminded) {
      st.reminded = true;
      await record({ action: 'remind', actor: 'system', actorName: '系统', stepIndex: st.stepIndex, stepName: step.name, comment: `${step.name}将于 ${st.deadline} 到期`, detail: { to: st.assignee ?? step.roles } });
    } else {
      st.overdue = true;
      await record({
        action: 'escalate',
        actor: 'system',
        actorName: '系统',
        stepIndex: st.stepIndex,
        stepName: step.name,
        comment: `${step.name}已超时，抄送 ${step.escalateRoles.join('、') || '（无）'}`,
        ccRoles: step.escalateRoles,
      });
    }
  }

  const notifyPatient = async (kind: 'rejected' | 'withdrawn' | 'done' | 'bill_blocked') => {
    try {
      await patientNotices.notifyRefundPatient({ refundId: input.refundId, kind });
    } catch {
      // Recorded by the activity's last attempt; the refund itself is settled.
    }
  };

  if (st.state === 'rejected' || st.state === 'withdrawn') {
    upsertSearchAttributes(billStateAttribute(refundEndState(st.state)));
    await persisted;
    await notifyPatient(st.state);
    await condition(allHandlersFinished);
    return st;
  }

  // ---- the money goes back ----
  upsertSearchAttributes(billStateAttribute('refund_money'));
  while (st.money.state !== 'success') {
    if (st.state === 'refunding') {
      let r: { state: 'processing' | 'success' | 'failed' | 'bill_changed'; failReason?: string };
      // A notice may come while the request is still on its way: count from before it.
      let seen = notices;
      try {
        r = await money.sendRefundMoney({ refundId: input.refundId, outRefundNo: st.money.outRefundNo });
      } catch (e) {
        const cause = e instanceof ActivityFailure ? e.cause : e;
        if (!(cause instanceof ApplicationFailure)) throw e;
        r = { state: 'failed', failReason: cause.message };
      }
      if (r.state === 'bill_changed') {
        // The bill was reversed or changed behind the refund's back: nothing is paid; finance has a to-do.
        st.state = 'bill_changed';
        st.money.failReason = r.failReason;
        break;
      }
      st.money.state = r.state === 'processing' ? 'processing' : r.state;
      while (r.state === 'processing') {
        await condition(() => notices !== seen, input.pollMs);
        seen = notices;
        st.money.queries += 1;
        r = await money.syncRefundMoney({ refundId: input.refundId, outRefundNo: st.money.outRefundNo });
        st.money.state = r.state === 'processing' ? 'processing' : r.state === 'bill_changed' ? 'failed' : r.state;
      }
      if (r.state === 'failed') {
        st.money.failReason = r.failReason;
        st.state = 'refund_failed';
        upsertSearchAttributes(billStateAttribute('refund_failed'));
        await record({ action: 'money_failed', actor: 'system', actorName: '系统', stepIndex: null, stepName: null, comment: r.failReason ?? null, key: `money_failed-${st.money.outRefundNo}` });
      } else {
        st.state = 'reversing';
        await record({ action: 'state', actor: 'system', actorName: '系统', stepIndex: null, stepName: null, key: `money_ok-${st.money.outRefundNo}` });
      }
      continue;
    }
    // awaiting_cashier or refund_failed: a person moves it on (cashier_confirm, retry_money, offline).
    const was = st.state;
    await condition(() => st.state !== was);
  }

  if (st.state === 'bill_changed') {
    await record({ action: 'bill_changed', actor: 'system', actorName: '系统', stepIndex: null, stepName: null, comment: st.money.failReason ?? null, key: `bill_changed-${st.money.outRefundNo}` });
    upsertSearchAttributes(billStateAttribute(refundEndState('bill_changed')));
    await persisted;
    await condition(allHandlersFinished);
    return st;
  }

  // ---- then the bill: reversed (whole) or reversed and reissued (partial) by its own process ----
  upsertSearchAttributes(billStateAttribute('refund_reversing'));
  await persisted;
  let seen = billNudges; // a wake-up during the call counts
  let bill = await billing.reverseRefundBill({ refundId: input.refundId });
  while (bill.state === 'waiting') {
    // The bill's paper form is still out (its process waits for it; `refundBill` wakes us when it is voided), or its reversal is still running.
    st.bill = bill;
    await condition(() => billNudges !== seen, bill.code === 'E0032' ? '10 minutes' : '15 seconds');
    seen = billNudges;
    bill = await billing.reverseRefundBill({ refundId: input.refundId });
  }
  st.bill = bill;
  st.state = bill.state === 'blocked' ? 'bill_blocked' : 'done';
  await record({ action: 'state', actor: 'system', actorName: '系统', stepIndex: null, stepName: null, key: 'bill-settled' });
  upsertSearchAttributes(billStateAttribute(refundEndState(st.state)));
  await notifyPatient(st.state);
  await condition(allHandlersFinished);
  return st;
}
