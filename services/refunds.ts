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
import { billOfRefund } from '../orm/repositories/refund-process';
import { insertTodo, reopenTodo, todoOfBill, type TodoFields } from '../orm/repositories/todos';
import { dbDate } from '../orm/sql-values';
import type { Deps } from './deps';
import { dbNow, insertRow, retryTransaction } from '../orm/sql';
import { type RefundRecord, type RefundTableRow, type StoredRefund, billChargeLines, billForRefund, billPaymentLines, countedRefunds, issuePayloadOfBill, loadChain, lockBillForRefund, openRefundOfBill, paymentBills, refundByNo, storeChain, storedRefund, writeRefundRecord } from '../orm/repositories/refunds';

export { countedRefunds, loadChain, paymentBills };
export type { RefundRecord, RefundTableRow, StoredRefund };
import { DEFAULT_CHAINS, type Chain, type ChainStep, type PayType } from '../domain/refund/chain';
import { refundStateName } from '../domain/refund/names';
import { CHANNEL_NAMES, checkRefundRules, ONLINE_CHANNELS, REFUND_CHANNELS, refuseRefund, type RefundChannel } from '../domain/refund/rules';
import { countsAsRefunded, FINAL_STATES } from '../domain/refund/states';
import { BILL_STATE_NAMES, billStateName, type BillRecordState } from '../domain/bill/states';
import { refundWorkflowId } from '../temporal/ids';
import { fromHisTime } from '../common/china-time';

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


export const REFUND_NO = /^[A-Za-z0-9_-]{4,32}$/;

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const fen = (v: unknown): Fen => Number(v);

export async function saveChain(deps: Deps, code: PayType, steps: ChainStep[], actor: string): Promise<Chain> {
  const em = deps.orm.em.fork();
  await em.transactional((t) => storeChain(t, code, DEFAULT_CHAINS[code].name, steps, actor));
  return loadChain(em, code);
}


/** What earlier refunds already took from this refund's payment through its channel, when it was filed (its 已退). */
export async function refundedBefore(deps: Deps, r: { id: number; bill_id: number; channel: RefundChannel }): Promise<Fen> {
  const sql = deps.orm.em.fork();
  const earlier = await countedRefunds(sql, await paymentBills(sql, r.bill_id), r.channel, r.id);
  return earlier.reduce((s, x) => s + x.amount, 0);
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
    deps.orm.em.fork().transactional(async (sql) => {
      const existing = await refundByNo(sql, req.refundNo);
      if (existing) {
        if (existing.request_hash !== requestHash) throw new DomainError('E0094', `refundNo: 退费单号 ${req.refundNo} 已被另一笔内容不同的退费申请使用`, 'refundNo');
        return storedRefund(sql, existing.id, false);
      }
      const bill = await lockBillForRefund(sql, req.billId);
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
      // One refund at a time per bill (the bill row is locked: two requests cannot both pass).
      await refuseWhileRefundOpen(sql, bill.id);

      // The bills of this payment: the one in force and those it replaced (partial refunds reissue).
      const chain = await paymentBills(sql, bill.id);
      const rootId = chain[chain.length - 1];
      const root = rootId === bill.id ? bill : ((await billForRefund(sql, rootId)) ?? bill);
      const codes = cfg.payment.refundChannelCodes[req.channel];
      const paidOn = async (billId: number): Promise<Fen> => {
        const rows = await billPaymentLines(sql, billId);
        return rows.filter((r) => codes.includes(r.channel_code)).reduce((s, r) => s + fen(r.amount), 0);
      };
      const paidFen = await paidOn(root.id);
      const leftOnBillFen = await paidOn(bill.id);
      const earlier = await countedRefunds(sql, chain, req.channel);
      const refundedFen = earlier.reduce((s, r) => s + r.amount, 0);
      const lineRows = await billChargeLines(sql, bill.id);
      const lines = new Map(lineRows.map((l) => [Number(l.sort_no), { name: l.name, amt: fen(l.amt), refunded: 0 }]));
      // Earlier refunds of the bill in force already lowered its lines (reissued); only pending ones still count.
      for (const r of earlier) {
        if (r.bill_id !== bill.id || !r.items) continue;
        for (const it of JSON.parse(r.items) as Array<{ sortNo: number; amt: Fen }>) {
          const l = lines.get(it.sortNo);
          if (l) l.refunded += it.amt;
        }
      }
      const issue = await issuePayloadOfBill(sql, bill.id);
      const payload = issue ? (JSON.parse(issue.payload) as Record<string, unknown>) : {};
      const insuredPaid = ['fundPay', 'accountPay', 'otherfundPay'].some((k) => (parseYuan(payload[k]) ?? 0) > 0);
      const payType: PayType = req.payType ?? (insuredPaid ? 'insured' : 'self');
      // Asked for, or the sum of the charge lines (the rules refuse an amount that disagrees with them), or everything left.
      const amount = req.amount ?? (req.items ? req.items.reduce((s, it) => s + it.amt, 0) : Math.min(leftOnBillFen, paidFen - refundedFen));
      const paidAt = fromHisTime(root.bus_date_time);
      checkRefundRules({ channel: req.channel, payType, amount, items: req.items, paidFen, refundedFen, leftOnBillFen, lines, paidAt, now: new Date(), maxAgeDays: cfg.payment.refundMaxAgeDays });
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
        bill_total_amt: fen(bill.total_amt),
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
      return storedRefund(sql, id, true);
    }),
  ).catch((e) => {
    // Two first calls with one refundNo at once: the loser finds the winner's request.
    if (isUniqueViolation(e)) return createRefund(deps, req);
    throw e;
  });
}

type Reader = Parameters<typeof openRefundOfBill>[0];

/** The bill's refund still in progress (any state but a final one), if any. */
export const openRefundOf = (sql: Reader, billId: number, exceptRefundId?: number) => openRefundOfBill(sql, billId, FINAL_STATES, exceptRefundId);

/**
 * Money never leaves twice (issue 13 point 5): while a refund of the bill is open, the bill is not
 * reversed, partially refunded or refunded again, by any way in (the console, the HIS, a second
 * refund request). The one rule every such path calls; E0095 names the open refund.
 * (The refund's own reversal, after its money went back, goes through temporal/reversal-client.ts
 * directly and is not refused.)
 */
export async function refuseWhileRefundOpen(sql: Reader, billId: number, exceptRefundId?: number): Promise<void> {
  const busy = await openRefundOf(sql, billId, exceptRefundId);
  if (busy) {
    throw new DomainError('E0095', `billNo: 票据 ${busy.bill_batch_code}-${busy.bill_no} 有进行中的退费申请 ${busy.refund_no}（${refundStateName(busy.state)}），请先处理`, 'billNo');
  }
}

/**
 * Right before the payout: is the refund's bill still the one it was filed against (in force, not
 * reversed, not red, the same total)? Undefined if so, else what changed, in Chinese.
 */
export async function billChangedForRefund(deps: Deps, r: Pick<RefundTableRow, 'bill_id' | 'bill_total_amt'>): Promise<string | undefined> {
  const b = await billForRefund(deps.orm.em.fork(), r.bill_id);
  if (!b) return `票据 ${r.bill_id} 已不存在`;
  const ref = `${b.bill_batch_code}-${b.bill_no}`;
  if (Number(b.is_scarlet)) return `票据 ${ref} 是红票`;
  if (b.state !== ('normal' satisfies BillRecordState)) return `票据 ${ref} ${b.state in BILL_STATE_NAMES ? billStateName(b.state) : `状态为 ${b.state}`}`;
  if (r.bill_total_amt !== null && r.bill_total_amt !== undefined && fen(b.total_amt) !== fen(r.bill_total_amt)) {
    return `票据 ${ref} 金额已由 ${formatYuan(fen(r.bill_total_amt))} 元变为 ${formatYuan(fen(b.total_amt))} 元`;
  }
  return undefined;
}

export const BILL_CHANGED_TODO = 'refund_bill_changed';

/**
 * The payout was stopped because the bill changed: a to-do for finance (one per bill, opened again
 * if an earlier one of the bill was closed), naming the refund and what changed.
 */
export async function openBillChangedTodo(deps: Deps, r: Pick<RefundTableRow, 'bill_id' | 'refund_no' | 'workflow_id' | 'amount'>, reason: string): Promise<void> {
  const b = await billOfRefund(deps.orm.em, r.bill_id);
  await retryTransaction(() =>
    deps.orm.em.fork().transactional(async (sql) => {
      const t: TodoFields = {
        placeCode: b?.place_code ?? '-',
        workflowId: r.workflow_id,
        title: `退费 ${r.refund_no} 未退款：票据已变更`.slice(0, 200),
        detail: `${reason}。退费申请 ${r.refund_no}（${formatYuan(fen(r.amount))} 元）已停止，未向患者退款；请核对票据${b ? ` ${b.bill_batch_code}-${b.bill_no}` : ''}后另行处理。`,
        createdAt: new Date(),
        remindAt: null,
      };
      const old = await todoOfBill(sql, BILL_CHANGED_TODO, r.bill_id);
      if (!old) await insertTodo(sql, BILL_CHANGED_TODO, r.bill_id, t);
      else if (old.state !== 'open') await reopenTodo(sql, old.id, t);
    }),
  );
}

/** Mirrors one change of the workflow: the row's process columns and its audit line, in one transaction. */
export async function recordRefund(deps: Deps, r: RefundRecord): Promise<void> {
  await retryTransaction(() => deps.orm.em.fork().transactional((t) => writeRefundRecord(t, r)));
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
