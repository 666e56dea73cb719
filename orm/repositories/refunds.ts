/**
 * The refund tables (refund, refund_action, refund_cc, refund_chain) and the bill facts a refund
 * request is checked against; every statement runs in the caller's transaction.
 */
import { dbDate } from '../sql-values';
import { dbNow, forUpdate, insertRow, type Sql } from '../sql';
import { isUniqueViolation } from '../errors';
import type { Fen } from '../../common/money';
import { DEFAULT_CHAINS, type Chain, type ChainStep, type PayType } from '../../domain/refund/chain';
import type { RefundChannel } from '../../domain/refund/rules';
import { countsAsRefunded } from '../../domain/refund/states';
import { openFields } from '../sealed';

/** The sealed columns of a bill row read with `b.*` or by name (orm/sealed.ts). */
const BILL_SEALED = ['id_card_no', 'tel', 'email', 'extra', 'signed_data'] as const;
/** The sealed columns of a refund row. */
export const REFUND_SEALED = ['tel'] as const;

type SqlReader = Pick<Sql, 'execute'> & { getPlatform(): import('@mikro-orm/core').Platform };

/** One `refund` row as the drivers return it. */
export interface RefundTableRow {
  id: number;
  refund_no: string;
  hospital_id: number;
  source: string;
  appid: string | null;
  bill_id: number;
  pay_type: string;
  channel: RefundChannel;
  open_id: string | null;
  tel: string | null;
  out_trade_no: string | null;
  transaction_id: string | null;
  paid_amt: number | string;
  amount: number | string;
  items: string | null;
  reason: string;
  patient_name: string;
  patient_no: string;
  applicant: string;
  applicant_name: string;
  doctor: string | null;
  chain_steps: string;
  state: string;
  step_index: number;
  step_assignee: string | null;
  step_deadline: unknown;
  step_overdue: number | boolean;
  /** JSON { "<stepIndex>": [username, ...] }: who decided which step (four eyes); null before any decision or migration. */
  decided_by?: string | null;
  version: number;
  out_refund_no: string;
  money_state: string;
  channel_refund_id: string | null;
  money_at: unknown;
  money_fail_reason: string | null;
  voucher_no: string | null;
  bill_state: string;
  red_bill_id: number | null;
  reissued_bill_id: number | null;
  bill_reason: string | null;
  reject_reason: string | null;
  workflow_id: string;
  /** The bill's total when the refund was filed (null: filed before it was kept). */
  bill_total_amt: number | string | null;
  created_at: unknown;
  updated_at: unknown;
}


export interface StoredRefund {
  id: number;
  refundNo: string;
  created: boolean;
  channel: RefundChannel;
  steps: ChainStep[];
  doctor?: string;
  placeCode: string;
  outRefundNo: string;
  busNo: string;
  patientNo: string;
  workflowId: string;
}

/** What the workflow writes after each change: the row's process columns and one audit line. */
export interface RefundRecord {
  refundId: number;
  actionKey: string;
  /** `state` writes the row only (no audit line). */
  action: string;
  actor: string;
  actorName: string;
  comment?: string | null;
  stepIndex?: number | null;
  stepName?: string | null;
  detail?: Record<string, unknown>;
  rejectReason?: string;
  cc?: Array<{ username: string; reason: string }>;
  /** Copy every active user holding one of these roles. */
  ccRoles?: string[];
  money?: { state: 'none' | 'success'; voucherNo?: string; outRefundNo?: string };
  row: { state: string; stepIndex: number; stepAssignee: string | null; stepDeadline: string | null; stepOverdue: boolean; version: number; decidedBy?: Record<number, string[]> };
}

const fen = (v: unknown): Fen => Number(v);

export interface BillFacts {
  id: number;
  hospital_id: number;
  bill_batch_code: string;
  bill_no: string;
  bus_no: string;
  bus_date_time: string;
  state: string;
  is_scarlet: number | boolean;
  total_amt: number | string;
  payer: string;
  patient_no: string;
  tel: string | null;
  open_id: string | null;
  origin_bill_id: number | null;
  paper_state: string | null;
  paper_bill_batch_code: string | null;
  paper_bill_no: string | null;
  place_code: string;
}


/** The chain in force for a payment type: the console's, else seed 002's. */
export async function loadChain(sql: Pick<Sql, 'execute'>, code: PayType): Promise<Chain> {
  const [row] = await sql.execute<Array<{ name: string; steps: string; updated_by: string; updated_at: unknown }>>('select name, steps, updated_by, updated_at from refund_chain where code = ?', [code]);
  if (!row) return DEFAULT_CHAINS[code];
  return { code, name: row.name, steps: JSON.parse(row.steps) as ChainStep[], updatedBy: row.updated_by, updatedAt: dbDate(row.updated_at as string).toISOString() };
}


/** Saves a chain's steps (update, or the first insert). */
export async function storeChain(sql: Sql, code: PayType, name: string, steps: ChainStep[], actor: string): Promise<void> {
  const now = dbNow(sql);
  const r = await sql.execute<{ affectedRows: number }>('update refund_chain set steps = ?, updated_by = ?, updated_at = ? where code = ?', [JSON.stringify(steps), actor, now, code], 'run');
  if (r.affectedRows === 0) await insertRow(sql, 'refund_chain', { code, name, steps: JSON.stringify(steps), updated_by: actor, updated_at: now });
}

/** The bills of one payment: `billId` first, then those it replaced, back to the original (partial refunds reissue). */
export async function paymentBills(sql: SqlReader, billId: number): Promise<number[]> {
  const chain = [billId];
  for (let id = billId; ; ) {
    const [b] = await sql.execute<Array<{ origin_bill_id: number | null }>>('select origin_bill_id from bill where id = ?', [id]);
    const prev = b?.origin_bill_id ? Number(b.origin_bill_id) : null;
    if (!prev || chain.includes(prev)) return chain;
    chain.push(prev);
    id = prev;
  }
}

/**
 * "Already refunded": the refunds of one payment (the bills of `billIds`, one channel) whose money
 * counts as taken (domain/refund/states.ts countsAsRefunded), optionally only those filed before
 * refund `beforeId`. The one definition behind a new request's rules and a refund's 已退.
 */
export async function countedRefunds(sql: SqlReader, billIds: number[], channel: RefundChannel, beforeId?: number): Promise<Array<{ id: number; amount: Fen; items: string | null; bill_id: number }>> {
  if (billIds.length === 0) return [];
  const rows = await sql.execute<Array<{ id: number; amount: number | string; items: string | null; bill_id: number; state: string; money_state: string }>>(
    `select id, amount, items, bill_id, state, money_state from refund where channel = ? and bill_id in (${billIds.map(() => '?').join(', ')})${beforeId !== undefined ? ' and id < ?' : ''} order by id`,
    [channel, ...billIds, ...(beforeId !== undefined ? [beforeId] : [])],
  );
  return rows.filter((r) => countsAsRefunded(r.state, r.money_state)).map((r) => ({ id: Number(r.id), amount: fen(r.amount), items: r.items, bill_id: Number(r.bill_id) }));
}

/** A refund request by its number (id and the hash of its content). */
export async function refundByNo(sql: SqlReader, refundNo: string): Promise<{ id: number; request_hash: string } | undefined> {
  const [r] = await sql.execute<Array<{ id: number; request_hash: string }>>('select id, request_hash from refund where refund_no = ?', [refundNo]);
  return r;
}

/** The bill a refund is asked for, locked (for update on MySQL) so two requests cannot take the same money. */
export async function lockBillForRefund(sql: Sql, billId: number): Promise<BillFacts | undefined> {
  const [bill] = await sql.execute<BillFacts[]>(
    `select b.id, b.hospital_id, b.bill_batch_code, b.bill_no, b.bus_no, b.bus_date_time, b.state, b.is_scarlet, b.total_amt, b.payer, b.patient_no,
            b.tel, b.open_id, b.origin_bill_id, b.paper_state, b.paper_bill_batch_code, b.paper_bill_no, p.code as place_code
       from bill b join billing_point p on p.id = b.place_id where b.id = ?${forUpdate(sql)}`,
    [billId],
  );
  return openFields(sql, bill, BILL_SEALED);
}

/** A bill of the payment's chain (the original a reissue replaced). */
export async function billForRefund(sql: SqlReader, billId: number): Promise<BillFacts | undefined> {
  const [b] = await sql.execute<BillFacts[]>('select b.*, null as place_code from bill b where b.id = ?', [billId]);
  return openFields(sql, b, BILL_SEALED);
}

/** A refund of the bill still in progress (not in one of `finalStates`), with the bill's number. */
export async function openRefundOfBill(
  sql: SqlReader,
  billId: number,
  finalStates: readonly string[],
  exceptRefundId?: number,
): Promise<{ id: number; refund_no: string; state: string; bill_batch_code: string; bill_no: string } | undefined> {
  const [busy] = await sql.execute<Array<{ id: number; refund_no: string; state: string; bill_batch_code: string; bill_no: string }>>(
    `select r.id, r.refund_no, r.state, b.bill_batch_code, b.bill_no from refund r join bill b on b.id = r.bill_id
      where r.bill_id = ? and r.id <> ? and r.state not in (${finalStates.map(() => '?').join(', ')}) order by r.id limit 1`,
    [billId, exceptRefundId ?? 0, ...finalStates],
  );
  return busy;
}

export const billPaymentLines = (sql: SqlReader, billId: number) =>
  sql.execute<Array<{ channel_code: string; amount: number | string }>>('select channel_code, amount from bill_payment where bill_id = ?', [billId]);

export const billChargeLines = (sql: SqlReader, billId: number) =>
  sql.execute<Array<{ sort_no: number; name: string; amt: number | string }>>('select sort_no, name, amt from bill_item where bill_id = ? order by sort_no', [billId]);

/** The HIS request the bill was issued from (its insurance split decides the payment type). */
export async function issuePayloadOfBill(sql: SqlReader, billId: number): Promise<{ payload: string } | undefined> {
  const [issue] = await sql.execute<Array<{ payload: string }>>('select payload from issue_request where bill_id = ?', [billId]);
  return openFields(sql, issue, ['payload']);
}

/** A stored request as its process needs it. */
export async function storedRefund(sql: Pick<Sql, 'execute'>, id: number, created: boolean): Promise<StoredRefund> {
  const [r] = await sql.execute<Array<{ id: number; refund_no: string; channel: RefundChannel; chain_steps: string; doctor: string | null; out_refund_no: string; bus_no: string; patient_no: string; place_code: string; workflow_id: string }>>(
    `select r.id, r.refund_no, r.channel, r.chain_steps, r.doctor, r.out_refund_no, b.bus_no, r.patient_no, p.code as place_code, r.workflow_id
       from refund r join bill b on b.id = r.bill_id join billing_point p on p.id = b.place_id where r.id = ?`,
    [id],
  );
  return {
    id: r.id,
    refundNo: r.refund_no,
    created,
    channel: r.channel,
    steps: JSON.parse(r.chain_steps) as ChainStep[],
    doctor: r.doctor ?? undefined,
    placeCode: r.place_code,
    outRefundNo: r.refund_no,
    busNo: r.bus_no,
    patientNo: r.patient_no,
    workflowId: r.workflow_id,
  };
}

/** One change of the refund's process: its audit line (once per action key) and the row's process columns, CCs included. */
export async function writeRefundRecord(sql: Sql, r: RefundRecord): Promise<void> {
  const now = dbNow(sql);
  if (r.action !== 'state') {
    try {
      await insertRow(sql, 'refund_action', {
        refund_id: r.refundId,
        action_key: r.actionKey,
        step_index: r.stepIndex ?? null,
        step_name: r.stepName ?? null,
        action: r.action,
        actor: r.actor.slice(0, 64),
        actor_name: r.actorName.slice(0, 64),
        comment: r.comment ? r.comment.slice(0, 500) : null,
        detail: r.detail ? JSON.stringify(r.detail) : null,
        created_at: now,
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      return; // recorded by an earlier attempt of this very change
    }
  }
  const set: Record<string, unknown> = {
    state: r.row.state,
    step_index: r.row.stepIndex,
    step_assignee: r.row.stepAssignee,
    step_deadline: r.row.stepDeadline ? dbNow(sql, new Date(r.row.stepDeadline)) : null,
    step_overdue: r.row.stepOverdue ? 1 : 0,
    version: r.row.version,
    updated_at: now,
  };
  if (r.row.decidedBy) set.decided_by = JSON.stringify(r.row.decidedBy);
  if (r.rejectReason) set.reject_reason = r.rejectReason.slice(0, 500);
  if (r.money?.state === 'success') Object.assign(set, { money_state: 'success', money_at: now, voucher_no: r.money.voucherNo ?? null });
  if (r.money?.state === 'none') Object.assign(set, { money_state: 'none', money_fail_reason: null, channel_refund_id: null, out_refund_no: r.money.outRefundNo });
  const cols = Object.keys(set);
  await sql.execute(`update refund set ${cols.map((c) => `${c} = ?`).join(', ')} where id = ?`, [...cols.map((c) => set[c]), r.refundId], 'run');
  const cc = [...(r.cc ?? [])];
  if (r.ccRoles?.length) {
    const users = await sql.execute<Array<{ username: string; roles: string; active: number | boolean }>>('select username, roles, active from user');
    for (const u of users) if (Number(u.active) && u.roles.split(',').some((x) => r.ccRoles!.includes(x))) cc.push({ username: u.username, reason: r.comment ?? '超时上报' });
  }
  for (const c of cc) {
    const [has] = await sql.execute<Array<{ id: number }>>('select id from refund_cc where refund_id = ? and username = ?', [r.refundId, c.username]);
    if (!has) await insertRow(sql, 'refund_cc', { refund_id: r.refundId, username: c.username, reason: c.reason.slice(0, 200), created_at: now });
  }
}
