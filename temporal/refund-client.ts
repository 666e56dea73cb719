/**
 * Refunds as the API sees them, shared by the console, the HIS and the patient channel: start
 * (store after the rules, then the `refund-{refundNo}` process; a replay of the same request finds
 * both again), act (a Temporal update whose validator refuses what is not allowed now, including a
 * decision on a step someone else decided meanwhile), and read (the row, its trail, the live state).
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { domainErrorOf } from './domain-errors';
import { DomainError, fieldError } from '../common/errors';
import { formatYuan, parseYuan, type Fen } from '../common/money';
import { dbDate, dbIso } from '../orm/sql-values';
import type { ChainStep } from '../domain/refund/chain';
import { refundActionName, refundStateName } from '../domain/refund/names';
import { CHANNEL_NAMES, REFUND_CHANNELS, type RefundChannel } from '../domain/refund/rules';
import { signRefundAction } from '../services/refund-proof';
import { createRefund, refundedBefore, type NewRefund, type RefundTableRow, type StoredRefund } from '../services/refunds';
import { refundActionUpdate, refundLiveQuery, type RefundActionInput, type RefundLive } from './messages';
import { startWorkflow } from './workflow-types';
import { NO_MONEY_STATES, type RefundActionName } from '../domain/refund/states';
import { refundPosition } from '../services/access';
import { allowedActions as allowedActionsAt, isTodoFor as isTodoAt, type RefundActor } from '../domain/refund/permissions';
import { billStateAttribute } from './search-attributes';
import { refundWorkflowId, workflowUrl } from './ids';
import type { ProcessContext as ApiContext } from './context';
import { billRef, chargeLinesOfBill, consoleUsers, refundRow, refundStateByNo, refundTrail, unstartedRefundIds, type RefundRow } from '../orm/repositories/refund-reads';
import { actorNamer } from '../services/actors';
import { REFUND_ACTION_TASKS } from '../domain/actors';

/**
 * The request fields a refund's amount and charge lines come in under. The refund rules name them
 * as the console does (amount, items[i].amt); the HIS envelope calls them refundAmt and
 * refundDetail[i].amt, and its callers are told the names they sent.
 */
export interface RefundFieldNames {
  amount: string;
  items: string;
}
export const CONSOLE_REFUND_FIELDS: RefundFieldNames = { amount: 'amount', items: 'items' };
export const HIS_REFUND_FIELDS: RefundFieldNames = { amount: 'refundAmt', items: 'refundDetail' };

/** A refusal naming `amount` or `items[...]`, renamed to the caller's field names. */
function inCallerTerms(e: unknown, names: RefundFieldNames): unknown {
  if (!(e instanceof DomainError) || !e.field) return e;
  const m = /^(amount|items)(\[.*)?$/.exec(e.field);
  if (!m) return e;
  const field = `${names[m[1] as keyof RefundFieldNames]}${m[2] ?? ''}`;
  if (field === e.field) return e;
  const message = e.message.startsWith(`${e.field}:`) ? `${field}${e.message.slice(e.field.length)}` : e.message;
  return new DomainError(e.code, message, field);
}

/** Starts (or finds again) a refund and its process; refusals name the fields as the caller sent them. */
export async function startRefund(api: ApiContext, req: NewRefund, names: RefundFieldNames = CONSOLE_REFUND_FIELDS): Promise<StoredRefund> {
  const r = await createRefund(api.deps, req).catch((e: unknown) => {
    throw inCallerTerms(e, names);
  });
  await startRefundProcess(api, r);
  return r;
}

/** The refund's process, started once: a second start finds the running one, a closed one is never started again. */
async function startRefundProcess(api: ApiContext, r: Omit<StoredRefund, 'created'>): Promise<void> {
  await startWorkflow(api.client, 'refundWorkflow', {
    workflowId: refundWorkflowId(r.refundNo),
    taskQueue: api.taskQueue,
    args: [{ refundId: r.id, refundNo: r.refundNo, channel: r.channel, steps: r.steps, doctor: r.doctor, placeCode: r.placeCode, outRefundNo: r.outRefundNo, pollMs: api.deps.cfg.payment.refundPollMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A closed process is never started again for the same refund (its row says how it ended).
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    searchAttributes: { BusNo: [r.busNo], PatientNo: [r.patientNo], PlaceCode: [r.placeCode], ...billStateAttribute('refund_approving') },
  }).catch((e) => {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') return undefined;
    throw e;
  });
}

/**
 * At start-up: a request stored just before the platform died, whose process was never started
 * (nobody acted on it yet: version 0), gets its process now. A caller's replay would do the same;
 * this makes sure no stored request waits for one. Returns how many were started or found running.
 */
export async function resumeRefunds(api: ApiContext): Promise<number> {
  const rows = await unstartedRefundIds(api.deps.orm.em);
  let n = 0;
  for (const { id } of rows) {
    const r = await findRefund(api, { id });
    const b = await billRef(api.deps.orm.em, r.bill_id);
    await startRefundProcess(api, {
      id: r.id, refundNo: r.refund_no, channel: r.channel, steps: stepsOf(r), doctor: r.doctor ?? undefined, placeCode: r.place_code,
      outRefundNo: r.out_refund_no, busNo: b?.bus_no ?? '', patientNo: r.patient_no, workflowId: r.workflow_id,
    });
    n += 1;
  }
  return n;
}

/**
 * Acts on a refund through its process; the validator's refusal comes back as the DomainError it
 * names. Every action goes out signed (services/refund-proof.ts): the worker applies none without
 * the API's proof.
 */
export async function actOnRefund(api: ApiContext, refundNo: string, input: RefundActionInput): Promise<RefundLive> {
  try {
    const signed = signRefundAction(api.deps.masterKey, refundNo, input);
    return await api.client.workflow.getHandle(refundWorkflowId(refundNo)).executeUpdate(refundActionUpdate, { args: [signed] });
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) {
      const refused = domainErrorOf(e, 'E0092');
      if (refused !== e) throw refused;
    }
    if (e instanceof WorkflowNotFoundError || /workflow execution already completed/i.test(String((e as Error)?.message))) {
      const state = await refundStateByNo(api.deps.orm.em, refundNo);
      throw new DomainError('E0092', `state: 退费申请当前为${state ? refundStateName(state) : '已结束'}，不能再${refundActionName(input.action)}`, 'state');
    }
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new DomainError('E0050', 'refundNo: 退费流程正忙，请稍后重试', 'refundNo');
    throw e;
  }
}

export type { RefundRow };

export async function findRefund(api: ApiContext, where: { id?: number; refundNo?: string }): Promise<RefundRow> {
  const r = await refundRow(api.deps.orm.em, where);
  if (!r) throw new DomainError('E0090', `refundNo: 退费申请 ${where.refundNo ?? where.id} 不存在`, 'refundNo');
  return r;
}

export const stepsOf = (r: Pick<RefundRow, 'chain_steps'>) => JSON.parse(r.chain_steps) as ChainStep[];

/** The list view of a refund (console lists, HIS follow). */
export function refundSummary(r: RefundRow) {
  const steps = stepsOf(r);
  const step = r.state === 'approving' ? steps[r.step_index] : undefined;
  return {
    id: r.id,
    refundNo: r.refund_no,
    state: r.state,
    stateName: refundStateName(r.state),
    payType: r.pay_type,
    channel: r.channel,
    channelName: CHANNEL_NAMES[r.channel] ?? r.channel,
    amount: formatYuan(Number(r.amount)),
    patientName: r.patient_name,
    patientNo: r.patient_no,
    bill: { id: r.bill_id, billBatchCode: r.bill_batch_code, billNo: r.bill_no, totalAmt: formatYuan(Number(r.bill_total)) },
    currentStep: step
      ? { index: r.step_index, key: step.key, name: step.name, assignee: r.step_assignee, assigneeName: r.assignee_name, roles: step.roles, deadline: r.step_deadline ? dbIso(r.step_deadline) : null, overdue: Boolean(Number(r.step_overdue)) }
      : undefined,
    reason: r.reason,
    rejectReason: r.reject_reason,
    createdAt: dbIso(r.created_at),
    updatedAt: dbIso(r.updated_at),
    source: r.source,
  };
}

/** Where the refund stands, for the permission rule (domain/refund/permissions.ts). */
export { refundPosition };

/** What a signed-in user may do with the refund now: the workflow's validator's own rule. */
export const allowedActions = (r: RefundRow, u: RefundActor): RefundActionName[] => allowedActionsAt(refundPosition(r), u);

/** Whether a console user is on the refund's to-do list (its turn is theirs). */
export const isTodoFor = (r: RefundRow, u: RefundActor): boolean => isTodoAt(refundPosition(r), u);

type UserRow = { username: string; display_name: string; roles: string; active: number | boolean };

/** The full view of one refund: amounts, chain, trail, money, bill and the live process state. */
export async function refundDetail(api: ApiContext, r: RefundRow, u?: RefundActor) {
  const db = api.deps.orm.em;
  const steps = stepsOf(r);
  const trail = await refundTrail(db, r.id);
  const actorName = await actorNamer(db, trail.map((t) => t.actor));
  // The chain's view: who decided each step in the current pass (a return reopens the later steps).
  const decided = new Map<number, { by: string; at: string; decision: 'approve' | 'reject' }>();
  for (const t of trail) {
    if (t.step_index === null) continue;
    if (t.action === 'approve' || t.action === 'reject') decided.set(t.step_index, { by: t.actor_name, at: dbIso(t.created_at)!, decision: t.action });
    if (t.action === 'return') {
      const to = (JSON.parse(t.detail ?? '{}') as { toStep?: number }).toStep ?? 0;
      for (const k of [...decided.keys()]) if (k >= to) decided.delete(k);
    }
  }
  const chain = steps.map((s, index) => {
    const d = decided.get(index);
    const status =
      r.state === 'approving' ? (index < r.step_index ? 'done' : index === r.step_index ? 'current' : 'pending') : d ? 'done' : (NO_MONEY_STATES as readonly string[]).includes(r.state) ? 'skipped' : 'done';
    return { ...s, index, status, decision: d?.decision, decidedBy: d?.by, decidedAt: d?.at };
  });
  const items = r.items ? (JSON.parse(r.items) as Array<{ sortNo: number; amt: Fen }>) : null;
  type ItemLine = { sort_no: number; name: string; amt: number | string };
  const lines: ItemLine[] = items ? await chargeLinesOfBill(db, r.bill_id) : [];
  const billRefOf = async (id: number | null) => {
    if (!id) return null;
    const b = await billRef(db, id);
    return b ? { id: b.id, billBatchCode: b.bill_batch_code, billNo: b.bill_no, totalAmt: formatYuan(Number(b.total_amt)) } : null;
  };
  const before = await refundedBefore(api.deps, r);
  let live: RefundLive | null = null;
  try {
    live = await api.client.workflow.getHandle(r.workflow_id).query(refundLiveQuery);
  } catch {
    live = null; // closed and past retention, or Temporal unreachable: the row tells the story
  }
  const transferCandidates =
    r.state === 'approving'
      ? (await consoleUsers(db))
          .filter((x: UserRow) => Number(x.active) && x.username !== r.step_assignee && x.roles.split(',').some((role: string) => steps[r.step_index].roles.includes(role)))
          .map((x: UserRow) => ({ username: x.username, displayName: x.display_name }))
      : [];
  return {
    ...refundSummary(r),
    paidAmt: formatYuan(Number(r.paid_amt)),
    refundedBefore: formatYuan(before),
    outTradeNo: r.out_trade_no,
    transactionId: r.transaction_id,
    applicant: r.applicant,
    applicantName: r.applicant_name,
    doctor: r.doctor,
    doctorName: r.doctor_name,
    items: items?.map((it) => {
      const l = lines.find((x) => Number(x.sort_no) === it.sortNo);
      return { sortNo: it.sortNo, name: l?.name ?? '', amt: formatYuan(Number(l?.amt ?? 0)), refundAmt: formatYuan(it.amt) };
    }) ?? null,
    chain,
    timeline: trail.map((t) => ({
      id: t.id,
      at: dbIso(t.created_at),
      actor: t.actor,
      // by display name (domain/actors.ts): 收费员 李敏, HIS 接口（…） 操作员, 系统（退款）
      actorName: actorName(t.actor, { task: REFUND_ACTION_TASKS[t.action], person: t.actor_name }),
      action: t.action,
      actionName: refundActionName(t.action),
      stepName: t.step_name,
      comment: t.comment,
      detail: t.detail ? (JSON.parse(t.detail) as Record<string, unknown>) : undefined,
    })),
    money: {
      state: r.money_state,
      outRefundNo: r.out_refund_no,
      channelRefundId: r.channel_refund_id,
      at: r.money_at ? dbIso(r.money_at) : null,
      failReason: r.money_fail_reason,
      voucherNo: r.voucher_no,
    },
    billStatus: { state: r.bill_state, redBill: await billRefOf(r.red_bill_id), reissuedBill: await billRefOf(r.reissued_bill_id), reason: r.bill_reason },
    workflow: { workflowId: r.workflow_id, url: workflowUrl(api, r.workflow_id), live: live as unknown as Record<string, unknown> | null },
    actions: u ? allowedActions(r, u) : [],
    version: r.version,
    transferCandidates,
  };
}

// ---- request parsing shared by the HIS, the patient channel and the console ----

const text = (o: Record<string, unknown>, f: string, max: number, required = true): string | undefined => {
  const v = o[f];
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(f, '必填');
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw fieldError(f, '须为文本');
  const s = String(v).trim();
  if (!s && required) throw fieldError(f, '必填');
  if (s.length > max) throw fieldError(f, `至多 ${max} 个字符`);
  return s || undefined;
};

/** channel, payType, refundAmt / refundDetail, orders, reason, contact: the fields common to every way in. */
export function parseRefundFields(o: Record<string, unknown>, names: RefundFieldNames) {
  const channel = text(o, 'channel', 16) as RefundChannel;
  if (!REFUND_CHANNELS.includes(channel)) throw fieldError('channel', `须为 ${REFUND_CHANNELS.join('、')} 之一`);
  const payType = text(o, 'payType', 8, false);
  if (payType !== undefined && payType !== 'self' && payType !== 'insured') throw fieldError('payType', '须为 self（自费）或 insured（医保）');
  let amount: Fen | undefined;
  if (o[names.amount] !== undefined && o[names.amount] !== null && o[names.amount] !== '') {
    amount = parseYuan(o[names.amount]);
    if (amount === undefined || amount <= 0) throw fieldError(names.amount, '须为大于 0 的金额（元，至多 2 位小数）');
  }
  let items: Array<{ sortNo: number; amt: Fen }> | undefined;
  const list = o[names.items];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list) || list.length === 0) throw fieldError(names.items, '须为非空的 {sortNo, amt} 列表');
    items = list.map((x, i) => {
      const it = (x ?? {}) as Record<string, unknown>;
      const sortNo = Number(it.sortNo);
      if (!Number.isInteger(sortNo) || sortNo < 1) throw fieldError(`${names.items}[${i}].sortNo`, '须为收费项目序号（1、2 ...）');
      const amt = parseYuan(it.amt);
      if (amt === undefined || amt <= 0) throw fieldError(`${names.items}[${i}].amt`, '须为大于 0 的金额（元，至多 2 位小数）');
      return { sortNo, amt };
    });
  }
  return {
    channel,
    payType: payType as 'self' | 'insured' | undefined,
    amount,
    items,
    outTradeNo: text(o, 'outTradeNo', 64, false),
    transactionId: text(o, 'transactionId', 64, false),
    reason: text(o, 'reason', 200)!,
    doctor: text(o, 'doctor', 64, false),
    openId: text(o, 'openId', 64, false),
    tel: text(o, 'tel', 32, false),
  };
}

export { text as refundText, dbDate };
