/**
 * Partial refund = reverse the whole bill, then issue a new one for what remains (INTERFACES.md
 * §2). This computes the new bill's issuance request from the original's: pure functions, so the
 * rules can be tested without a database.
 */
import { fieldError, DomainError } from '../../common/errors';
import { formatYuan, parseYuan, type Fen } from '../../common/money';
import { chinaTime } from './facts';

export interface RefundSpec {
  /** Refunded amount per charge line, by the line's sortNo. */
  items?: Array<{ sortNo: number; amt: Fen }>;
  /** A refunded total, taken from the last charge lines first (when `items` is not given). */
  amount?: Fen;
  /** The pay channel the money went back through; by default the last channels first. */
  channelCode?: string;
}

/** Money-split fields of the original that no longer hold once part of the money is refunded. */
const MONEY_SPLIT_FIELDS = [
  'accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'cashPay', 'chequePay',
  'transferAccountPay', 'cashRecharge', 'cashRefund', 'reimbursementAmt', 'ownAcBalance', 'balancedNumber',
];

/** `ORIG` -> `ORIG-RF1`, `ORIG-RF1` -> `ORIG-RF2`: the reissue's business serial, derived from the original's. */
export function reissueBusNo(busNo: string): string {
  const m = /^(.*)-RF(\d+)$/.exec(busNo);
  const next = m ? `${m[1]}-RF${Number(m[2]) + 1}` : `${busNo}-RF1`;
  if (next.length > 64) throw new DomainError('E0031', `busNo: 重开流水号 ${next} 将超过 64 个字符`, 'busNo');
  return next;
}

const fen = (v: unknown): Fen => {
  const f = parseYuan(typeof v === 'number' ? String(v) : (v as string));
  if (f === undefined) throw new Error(`stored amount ${JSON.stringify(v)} is not a yuan amount`);
  return f;
};

export interface ReissueComputation {
  payload: Record<string, unknown>;
  refundAmt: Fen;
  totalAmt: Fen;
}

/**
 * The reissue's business request: the original's, minus the refunded amounts on the charge lines
 * and the pay channels, under a new busNo, dated `requestedAt`, handled by `operator`.
 * Fields named in errors are those of the refund request (refundDetail, refundAmt, refundChannelCode).
 */
export function computeReissue(
  original: Record<string, unknown>,
  ref: { billBatchCode: string; billNo: string },
  spec: RefundSpec,
  operator: string,
  requestedAt: Date,
): ReissueComputation {
  const charges: Array<Record<string, unknown> & { sortNo: number; amtFen: Fen; selfFen: Fen }> = (original.chargeDetail as Array<Record<string, unknown>>).map((c, i) => ({
    ...c,
    sortNo: c.sortNo === undefined ? i + 1 : Number(c.sortNo),
    amtFen: fen(c.amt),
    selfFen: c.selfAmt === undefined || c.selfAmt === null || c.selfAmt === '' ? 0 : fen(c.selfAmt),
  }));
  const totalAmt = fen(original.totalAmt);
  const refund = new Map<number, Fen>(); // index -> refunded fen
  if (spec.items?.length) {
    spec.items.forEach((it, k) => {
      const idx = charges.findIndex((c) => c.sortNo === it.sortNo);
      if (idx < 0) throw fieldError(`refundDetail[${k}].sortNo`, `票据没有第 ${it.sortNo} 条收费项目`);
      if (!(it.amt > 0)) throw fieldError(`refundDetail[${k}].amt`, '须大于 0');
      const already = refund.get(idx) ?? 0;
      if (already + it.amt > charges[idx].amtFen) {
        throw fieldError(`refundDetail[${k}].amt`, `第 ${it.sortNo} 条收费项目退费 ${formatYuan(already + it.amt)} 元，超过其金额 ${formatYuan(charges[idx].amtFen)} 元`, 'E0011');
      }
      refund.set(idx, already + it.amt);
    });
  } else if (spec.amount !== undefined) {
    if (!(spec.amount > 0)) throw fieldError('refundAmt', '须大于 0');
    let left = spec.amount;
    for (let i = charges.length - 1; i >= 0 && left > 0; i--) {
      const take = Math.min(left, charges[i].amtFen);
      if (take > 0) refund.set(i, take);
      left -= take;
    }
  } else {
    throw fieldError('refundAmt', '请填写 refundAmt 或 refundDetail');
  }
  const refundAmt = [...refund.values()].reduce((s, v) => s + v, 0);
  if (refundAmt >= totalAmt) {
    throw fieldError(spec.items?.length ? 'refundDetail' : 'refundAmt', `退费 ${formatYuan(refundAmt)} 元即票据全额 ${formatYuan(totalAmt)} 元，请改用 writeOffEBill 冲红整张票据`, 'E0011');
  }

  const payments = (original.payChannelDetail as Array<Record<string, unknown>>).map((p) => ({ code: String(p.payChannelCode), amt: fen(p.payChannelValue) }));
  if (spec.channelCode) {
    const p = payments.find((x) => x.code === spec.channelCode);
    if (!p) throw fieldError('refundChannelCode', `票据未通过支付渠道 ${spec.channelCode} 支付`);
    if (p.amt < refundAmt) throw fieldError('refundChannelCode', `支付渠道 ${spec.channelCode} 支付 ${formatYuan(p.amt)} 元，少于退费金额 ${formatYuan(refundAmt)} 元`, 'E0011');
    p.amt -= refundAmt;
  } else {
    let left = refundAmt;
    for (let i = payments.length - 1; i >= 0 && left > 0; i--) {
      const take = Math.min(left, payments[i].amt);
      payments[i].amt -= take;
      left -= take;
    }
  }

  const touchedCodes = new Set<string>();
  const newCharges: Array<Record<string, unknown>> = [];
  charges.forEach((c, i) => {
    const { amtFen, selfFen, ...line } = c;
    const r = refund.get(i) ?? 0;
    if (r > 0) touchedCodes.add(String(c.chargeCode));
    const amt = amtFen - r;
    if (amt <= 0) return;
    const out: Record<string, unknown> = { ...line, amt: formatYuan(amt), selfAmt: formatYuan(Math.min(selfFen, amt)) };
    if (r > 0) {
      // A part of the line went back: its quantity and unit price no longer describe the amount.
      delete out.number;
      delete out.std;
      out.remark = `部分退费 ${formatYuan(r)} 元`;
    }
    newCharges.push(out);
  });

  const payload: Record<string, unknown> = { ...original };
  for (const f of MONEY_SPLIT_FIELDS) delete payload[f];
  const newTotal = totalAmt - refundAmt;
  payload.busNo = reissueBusNo(String(original.busNo));
  payload.busDateTime = `${chinaTime(requestedAt).compact}${String(requestedAt.getUTCMilliseconds()).padStart(3, '0')}`;
  payload.totalAmt = formatYuan(newTotal);
  payload.chargeDetail = newCharges;
  payload.payChannelDetail = payments.filter((p) => p.amt > 0).map((p) => ({ payChannelCode: p.code, payChannelValue: formatYuan(p.amt) }));
  if (Array.isArray(original.listDetail)) {
    const kept = (original.listDetail as Array<Record<string, unknown>>).filter((l) => !touchedCodes.has(String(l.chargeCode)));
    if (kept.length) payload.listDetail = kept;
    else delete payload.listDetail;
  }
  payload.payee = operator;
  payload.author = operator;
  payload.remark = `部分退费重开：原票据 ${ref.billBatchCode}-${ref.billNo}，退费 ${formatYuan(refundAmt)} 元`;
  return { payload, refundAmt, totalAmt: newTotal };
}
