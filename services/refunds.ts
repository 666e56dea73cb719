/**
 * The refund's database side: a request is checked against the rules and stored in one
 * transaction (the bill row locked, so two requests on one bill cannot both take the same money);
 * the workflow's every change is mirrored by `recordRefund` (the row and one audit line, both in
 * one transaction, idempotent by action key).
 */
import { createHash } from 'node:crypto';
import { hmacSm3Hex } from '../common/gm';
import { DomainError, fieldError } from '../common/errors';
import { formatYuan, parseYuan, type Fen } from '../common/money';
import { isUniqueViolation } from '../orm/errors';
import { dbDate } from '../orm/sql-values';
import type { Deps } from './deps';
import { dbNow, forUpdate, insertRow, retryTransaction, type Sql } from '../orm/repositories/stock-ranges';
import { DEFAULT_CHAINS, type Chain, type ChainStep, type PayType } from '../domain/refund/chain';
import { refundStateName } from '../domain/refund/names';
import { CHANNEL_NAMES, checkRefundRules, ONLINE_CHANNELS, REFUND_CHANNELS, refuseRefund, type RefundChannel } from '../domain/refund/rules';
import { countsAsRefunded, FINAL_STATES } from '../domain/refund/states';
import { BILL_STATE_NAMES, billStateName, type BillRecordState } from '../domain/bill/states';
import { refundWorkflowId } from '../temporal/ids';

export interface NewRefund {
  hospitalId: number;
  refundNo: string;
  source: 'his' | 'patient' | 'console';
  appid?: string;
  billId: number;
  channel: RefundChannel;
  /** Default: insured when the bill carries an insurance fund or personal-account payment. */
  payType?: PayType;
  outTradeNo?: string;
  transactionId?: string;
  /** Fen; or the sum of `items`; or (neither given) everything the channel still carries on the bill. */
  amount?: Fen;
  items?: Array<{ sortNo: number; amt: Fen }>;
  reason: string;
  applicant: string;
  applicantName: string;
  doctor?: string;
  openId?: string;
  tel?: string;
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
  row: { state: string; stepIndex: number; stepAssignee: string | null; stepDeadline: string | null; stepOverdue: boolean; version: number };
}

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
  created_at: unknown;
  updated_at: unknown;
}

export const REFUND_NO = /^[A-Za-z0-9_-]{4,32}$/;

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const fen = (v: unknown): Fen => Number(v);

/** The chain in force for a payment type: the console's, else seed 002's. */
export async function loadChain(sql: Pick<Sql, 'execute'>, code: PayType): Promise<Chain> {
  const [row] = await sql.execute<Array<{ name: string; steps: string; updated_by: string; updated_at: unknown }>>('select name, steps, updated_by, updated_at from refund_chain where code = ?', [code]);
  if (!row) return DEFAULT_CHAINS[code];
  return { code, name: row.name, steps: JSON.parse(row.steps) as ChainStep[], updatedBy: row.updated_by, updatedAt: dbDate(row.updated_at as string).toISOString() };
}

export async function saveChain(deps: Deps, code: PayType, steps: ChainStep[], actor: string): Promise<Chain> {
  const em = deps.orm.em.fork();
  await em.transactional(async (t) => {
    const sql = t as unknown as Sql;
    const now = dbNow(sql);
    const r = await sql.execute<{ affectedRows: number }>('update refund_chain set steps = ?, updated_by = ?, updated_at = ? where code = ?', [JSON.stringify(steps), actor, now, code], 'run');
    if (r.affectedRows === 0) await insertRow(sql, 'refund_chain', { code, name: DEFAULT_CHAINS[code].name, steps: JSON.stringify(steps), updated_by: actor, updated_at: now });
  });
  return loadChain(em as unknown as Sql, code);
}

interface BillFacts {
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

type SqlReader = Pick<Sql, 'execute'>;

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

/** What earlier refunds already took from this refund's payment through its channel, when it was filed (its 已退). */
export async function refundedBefore(deps: Deps, r: { id: number; bill_id: number; channel: RefundChannel }): Promise<Fen> {
  const sql = deps.orm.em.fork() as unknown as Sql;
  const earlier = await countedRefunds(sql, await paymentBills(sql, r.bill_id), r.channel, r.id);
  return earlier.reduce((s, x) => s + x.amount, 0);
}

/** yyyyMMddHHmmssSSS in China time -> the instant. */
export function busDateTimeToDate(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(s);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +m[6], Number(m[7] ?? 0)));
}

/**
 * Stores a refund request after the rules, or finds it again: the same refundNo with the same
 * content answers with the stored request (created = false); with other content it is refused
 * (E0094). Nothing is written when a rule refuses.
 */
export async function createRefund(deps: Deps, req: NewRefund): Promise<StoredRefund> {
  if (!REFUND_NO.test(req.refundNo)) throw fieldError('refundNo', '退费单号须为 4-32 位字母、数字、_ 或 -');
  if (!REFUND_CHANNELS.includes(req.channel)) throw fieldError('channel', `退款渠道须为 ${REFUND_CHANNELS.map((c) => `${c}（${CHANNEL_NAMES[c]}）`).join('、')} 之一`);
  const requestHash = hash({ ...req, applicantName: undefined });
  const cfg = deps.cfg;
  return retryTransaction(() =>
    deps.orm.em.fork().transactional(async (t) => {
      const sql = t as unknown as Sql;
      const [existing] = await sql.execute<Array<{ id: number; request_hash: string }>>('select id, request_hash from refund where refund_no = ?', [req.refundNo]);
      if (existing) {
        if (existing.request_hash !== requestHash) throw new DomainError('E0094', `refundNo: 退费单号 ${req.refundNo} 已被另一笔内容不同的退费申请使用`, 'refundNo');
        return stored(sql, existing.id, false);
      }
      const [bill] = await sql.execute<BillFacts[]>(
        `select b.id, b.hospital_id, b.bill_batch_code, b.bill_no, b.bus_no, b.bus_date_time, b.state, b.is_scarlet, b.total_amt, b.payer, b.patient_no,
                b.tel, b.open_id, b.origin_bill_id, b.paper_state, b.paper_bill_batch_code, b.paper_bill_no, p.code as place_code
           from bill b join billing_point p on p.id = b.place_id where b.id = ?${forUpdate(sql)}`,
        [req.billId],
      );
      if (!bill || bill.hospital_id !== req.hospitalId) throw new DomainError('E0030', `billNo: 票据 ${req.billId} 不存在`, 'billNo');
      const ref = `${bill.bill_batch_code}-${bill.bill_no}`;
      if (Number(bill.is_scarlet)) throw new DomainError('E0031', `billNo: ${ref} 是红票，请对现行票据申请退费`, 'billNo');
      if (bill.state !== ('normal' satisfies BillRecordState)) {
        const known = bill.state in BILL_STATE_NAMES;
        throw new DomainError('E0031', `billNo: ${ref} ${known ? billStateName(bill.state) : `状态为 ${bill.state}`}，请对现行票据（如有重开票据）申请退费`, 'billNo');
      }
      // Seed 000: a bill exchanged for a paper form is not refunded online; the patient brings the form to the window
      // (where the HIS or a cashier starts the refund, and the reversal waits for the form to be voided).
      if (req.source === 'patient' && bill.paper_state === 'exchanged') {
        throw refuseRefund('billNo', `${ref} 已换开纸质票据 ${bill.paper_bill_batch_code}-${bill.paper_bill_no}，不允许线上退费，请持纸质票据到收费窗口办理`);
      }
      const [busy] = await sql.execute<Array<{ refund_no: string; state: string }>>(
        `select refund_no, state from refund where bill_id = ? and state not in (${FINAL_STATES.map(() => '?').join(', ')})`,
        [bill.id, ...FINAL_STATES],
      );
      if (busy) throw refuseRefund('billNo', `${ref} 的退费申请 ${busy.refund_no} 正在办理中（${refundStateName(busy.state)}），同一张票据同时只能有一笔退费`);

      // The bills of this payment: the one in force and those it replaced (partial refunds reissue).
      const chain = await paymentBills(sql, bill.id);
      const rootId = chain[chain.length - 1];
      const root = rootId === bill.id ? bill : ((await sql.execute<BillFacts[]>('select b.*, null as place_code from bill b where b.id = ?', [rootId]))[0] ?? bill);
      const codes = cfg.refundChannelCodes[req.channel];
      const paidOn = async (billId: number): Promise<Fen> => {
        const rows = await sql.execute<Array<{ channel_code: string; amount: number | string }>>('select channel_code, amount from bill_payment where bill_id = ?', [billId]);
        return rows.filter((r) => codes.includes(r.channel_code)).reduce((s, r) => s + fen(r.amount), 0);
      };
      const paidFen = await paidOn(root.id);
      const leftOnBillFen = await paidOn(bill.id);
      const earlier = await countedRefunds(sql, chain, req.channel);
      const refundedFen = earlier.reduce((s, r) => s + r.amount, 0);
      const lineRows = await sql.execute<Array<{ sort_no: number; name: string; amt: number | string }>>('select sort_no, name, amt from bill_item where bill_id = ? order by sort_no', [bill.id]);
      const lines = new Map(lineRows.map((l) => [Number(l.sort_no), { name: l.name, amt: fen(l.amt), refunded: 0 }]));
      // Earlier refunds of the bill in force already lowered its lines (reissued); only pending ones still count.
      for (const r of earlier) {
        if (r.bill_id !== bill.id || !r.items) continue;
        for (const it of JSON.parse(r.items) as Array<{ sortNo: number; amt: Fen }>) {
          const l = lines.get(it.sortNo);
          if (l) l.refunded += it.amt;
        }
      }
      const [issue] = await sql.execute<Array<{ payload: string }>>('select payload from issue_request where bill_id = ?', [bill.id]);
      const payload = issue ? (JSON.parse(issue.payload) as Record<string, unknown>) : {};
      const insuredPaid = ['fundPay', 'accountPay', 'otherfundPay'].some((k) => (parseYuan(payload[k]) ?? 0) > 0);
      const payType: PayType = req.payType ?? (insuredPaid ? 'insured' : 'self');
      // Asked for, or the sum of the charge lines (the rules refuse an amount that disagrees with them), or everything left.
      const amount = req.amount ?? (req.items ? req.items.reduce((s, it) => s + it.amt, 0) : Math.min(leftOnBillFen, paidFen - refundedFen));
      const paidAt = busDateTimeToDate(root.bus_date_time);
      checkRefundRules({ channel: req.channel, payType, amount, items: req.items, paidFen, refundedFen, leftOnBillFen, lines, paidAt, now: new Date(), maxAgeDays: cfg.refundMaxAgeDays });
      if (ONLINE_CHANNELS.includes(req.channel) && !req.outTradeNo && !req.transactionId) {
        throw fieldError('outTradeNo', `缺少原${CHANNEL_NAMES[req.channel]}订单号（outTradeNo 或 transactionId）`);
      }
      const chainCfg = await loadChain(sql, payType);
      const now = dbNow(sql);
      const id = await insertRow(sql, 'refund', {
        hospital_id: req.hospitalId,
        refund_no: req.refundNo,
        source: req.source,
        appid: req.appid ?? null,
        bill_id: bill.id,
        pay_type: payType,
        channel: req.channel,
        out_trade_no: req.outTradeNo ?? null,
        transaction_id: req.transactionId ?? null,
        paid_amt: paidFen,
        amount,
        items: req.items ? JSON.stringify(req.items) : null,
        reason: req.reason,
        patient_name: bill.payer,
        patient_no: bill.patient_no,
        open_id: req.openId ?? bill.open_id ?? null,
        tel: req.tel ?? bill.tel ?? null,
        applicant: req.applicant,
        applicant_name: req.applicantName,
        doctor: req.doctor ?? null,
        chain_code: payType,
        chain_steps: JSON.stringify(chainCfg.steps),
        state: 'approving',
        step_index: 0,
        step_assignee: req.doctor && chainCfg.steps[0].roles.includes('doctor') ? req.doctor : null,
        step_overdue: 0,
        version: 0,
        out_refund_no: req.refundNo,
        money_state: 'none',
        bill_state: 'pending',
        request_hash: requestHash,
        workflow_id: refundWorkflowId(req.refundNo),
        created_at: now,
        updated_at: now,
      });
      await insertRow(sql, 'refund_action', {
        refund_id: id,
        action_key: 'submit',
        step_index: null,
        step_name: null,
        action: 'submit',
        actor: req.applicant,
        actor_name: req.applicantName,
        comment: req.reason,
        detail: JSON.stringify({ amount: formatYuan(amount), channel: req.channel, payType, items: req.items?.map((i) => ({ sortNo: i.sortNo, amt: formatYuan(i.amt) })) }),
        created_at: now,
      });
      return stored(sql, id, true);
    }),
  ).catch((e) => {
    // Two first calls with one refundNo at once: the loser finds the winner's request.
    if (isUniqueViolation(e)) return createRefund(deps, req);
    throw e;
  });
}

async function stored(sql: Pick<Sql, 'execute'>, id: number, created: boolean): Promise<StoredRefund> {
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

/** Mirrors one change of the workflow: the row's process columns and its audit line, in one transaction. */
export async function recordRefund(deps: Deps, r: RefundRecord): Promise<void> {
  await retryTransaction(() =>
    deps.orm.em.fork().transactional(async (t) => {
      const sql = t as unknown as Sql;
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
    }),
  );
}

/**
 * The patient's page of a refund: `{publicUrl}/h5/refund/{refundNo}?t={token}`, token = the first
 * 16 hex digits of HMAC-SM3 under a key derived from the master key, so a refund number alone does
 * not open it.
 */
export function refundH5Token(masterKey: string, refundNo: string): string {
  return hmacSm3Hex(hmacSm3Hex(masterKey, 'medbill refund h5 v1'), refundNo).slice(0, 16);
}

export function refundH5Url(publicUrl: string, masterKey: string, refundNo: string): string {
  return `${publicUrl}/h5/refund/${encodeURIComponent(refundNo)}?t=${refundH5Token(masterKey, refundNo)}`;
}
