/**
 * The refund rules (seed 002 and the channels' own limits), pure so they are tested without a
 * database. Every refusal is a DomainError E0091 naming the request field at fault, with the reason
 * in Chinese: it reaches the patient's WeChat page, the HIS cashier and the console as it is.
 *
 * - amount <= what was paid through the channel minus what earlier refunds already took (across
 *   the bill's reissues), and <= what is left on the bill in force;
 * - per-item refunds: each line at most its amount minus earlier refunds of that line;
 * - an insured (医保) payment is not refunded in another calendar month (医保跨月不予退款);
 * - a channel refunds only payments younger than its limit (WeChat Pay 1 year, Alipay 3 months...).
 */
import { DomainError } from '../../common/errors';
import { formatYuan, type Fen } from '../../common/money';
import { chinaTime } from '../../common/china-time';

export type RefundChannel = 'wechat' | 'alipay' | 'cash' | 'unionpay';
export const REFUND_CHANNELS: RefundChannel[] = ['wechat', 'alipay', 'cash', 'unionpay'];
export const CHANNEL_NAMES: Record<RefundChannel, string> = { wechat: '微信支付', alipay: '支付宝', cash: '现金', unionpay: '银联卡' };
/** Channels whose money goes back through an online adapter; the others are paid at the window and confirmed by a cashier. */
export const ONLINE_CHANNELS: RefundChannel[] = ['wechat', 'alipay'];

export interface RefundFacts {
  channel: RefundChannel;
  payType: 'self' | 'insured';
  /** The refund asked for (fen): given, or the sum of `items`. */
  amount: Fen;
  items?: Array<{ sortNo: number; amt: Fen }>;
  /** What the original payment put through this channel (the root bill's pay lines for the channel). */
  paidFen: Fen;
  /** Earlier refunds of the same payment that still count (not withdrawn, rejected or failed). */
  refundedFen: Fen;
  /** What the bill in force still carries for this channel. */
  leftOnBillFen: Fen;
  /** The bill's charge lines (sortNo -> amount) and what earlier refunds took from each. */
  lines: Map<number, { name: string; amt: Fen; refunded: Fen }>;
  /** When the patient paid (the bill's business time). */
  paidAt: Date;
  now: Date;
  /** Days a channel refunds after payment (absent = no limit). */
  maxAgeDays: Partial<Record<RefundChannel, number>>;
}

/** A refusal by a refund rule (E0091): the field at fault, then the reason. */
export const refuseRefund = (field: string, message: string) => new DomainError('E0091', `${field}: ${message}`, field);

/** Year and month in China time (UTC+8, no daylight saving), e.g. "2026-11". */
export const chinaMonth = (d: Date) => chinaTime(d).month;

export function checkRefundRules(f: RefundFacts): void {
  if (f.items) {
    const sum = f.items.reduce((s, it) => s + it.amt, 0);
    if (sum !== f.amount) throw refuseRefund('amount', `退费金额 ${formatYuan(f.amount)} 元与明细合计 ${formatYuan(sum)} 元不符`);
  }
  if (!Number.isSafeInteger(f.amount) || f.amount <= 0) throw refuseRefund('amount', '退费金额须大于 0.00 元');
  if (f.paidFen <= 0) throw refuseRefund('channel', `该票据没有通过${CHANNEL_NAMES[f.channel]}付款`);
  const left = f.paidFen - f.refundedFen;
  if (f.amount > left) {
    throw refuseRefund('amount', `退费金额 ${formatYuan(f.amount)} 元超过可退金额：${CHANNEL_NAMES[f.channel]}实付 ${formatYuan(f.paidFen)} 元，已退 ${formatYuan(f.refundedFen)} 元，尚可退 ${formatYuan(Math.max(0, left))} 元`);
  }
  if (f.amount > f.leftOnBillFen) throw refuseRefund('amount', `退费金额 ${formatYuan(f.amount)} 元超过现行票据的${CHANNEL_NAMES[f.channel]}金额 ${formatYuan(f.leftOnBillFen)} 元`);
  if (f.items) {
    const seen = new Set<number>();
    f.items.forEach((it, i) => {
      const line = f.lines.get(it.sortNo);
      if (!line) throw refuseRefund(`items[${i}].sortNo`, `票据没有第 ${it.sortNo} 项收费明细`);
      if (seen.has(it.sortNo)) throw refuseRefund(`items[${i}].sortNo`, `第 ${it.sortNo} 项收费明细重复填写`);
      seen.add(it.sortNo);
      if (!Number.isSafeInteger(it.amt) || it.amt <= 0) throw refuseRefund(`items[${i}].amt`, '退费金额须大于 0.00 元');
      const room = line.amt - line.refunded;
      if (it.amt > room) throw refuseRefund(`items[${i}].amt`, `退费金额 ${formatYuan(it.amt)} 元超过第 ${it.sortNo} 项（${line.name}）尚可退的 ${formatYuan(room)} 元（该项 ${formatYuan(line.amt)} 元）`);
    });
  }
  if (f.payType === 'insured' && chinaMonth(f.paidAt) !== chinaMonth(f.now)) {
    throw refuseRefund('payType', `医保跨月不予退款：${chinaMonth(f.paidAt)} 的医保结算不能在 ${chinaMonth(f.now)} 退款，请到医保窗口办理`);
  }
  const maxDays = f.maxAgeDays[f.channel];
  if (maxDays !== undefined) {
    const ageDays = (f.now.getTime() - f.paidAt.getTime()) / 86_400_000;
    if (ageDays > maxDays) {
      throw refuseRefund('channel', `${CHANNEL_NAMES[f.channel]}只能退 ${maxDays} 天内的付款，这笔付款已过 ${Math.floor(ageDays)} 天，请到收费窗口以现金退款`);
    }
  }
}

/** `wechat=365;alipay=90` -> {wechat: 365, alipay: 90}. */
export function parseChannelNumbers(name: string, text: string): Partial<Record<RefundChannel, number>> {
  const out: Partial<Record<RefundChannel, number>> = {};
  for (const part of text.split(/[;,]/).map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!REFUND_CHANNELS.includes(k as RefundChannel) || !/^\d+$/.test(v ?? '')) throw new Error(`${name}: "${part}" is not channel=days (channels: ${REFUND_CHANNELS.join(', ')})`);
    out[k as RefundChannel] = Number(v);
  }
  return out;
}

/** `wechat=05;alipay=04;cash=02;unionpay=08` -> the HIS pay channel codes (payChannelCode) of each refund channel. */
export function parseChannelCodes(name: string, text: string): Record<RefundChannel, string[]> {
  const out: Record<RefundChannel, string[]> = { wechat: [], alipay: [], cash: [], unionpay: [] };
  for (const part of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!REFUND_CHANNELS.includes(k as RefundChannel) || !v) throw new Error(`${name}: "${part}" is not channel=code[,code]`);
    out[k as RefundChannel] = v.split(',').map((s) => s.trim()).filter(Boolean);
  }
  return out;
}
