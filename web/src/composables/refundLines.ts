/**
 * What the two refund dialogs on the bill page share (部分退费 and 发起退费): the charge lines with
 * a refund amount each, the amount and reason checks, and the entered total. Amounts are decimal
 * strings throughout (utils/money), never floats.
 */
import type { FormItemRule } from 'element-plus';
import type { BillDetail } from '@/api/bills';
import { compareYuan, formatYuan, isPositiveYuanInput, sumYuan } from '@/utils/money';

export const REFUND_REASON_MAX = 200;

/** One charge line of the bill and what is refunded on it (empty = nothing). */
export interface RefundLine {
  sortNo: number;
  name: string;
  amt: string;
  refund: string;
}

type Validator = (rule: unknown, value: unknown, callback: (error?: Error) => void) => void;
const rule = (validator: Validator, trigger: string[] = ['blur', 'change']): FormItemRule => ({ validator: validator as FormItemRule['validator'], trigger });
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/** The bill's charge lines, none refunded yet. */
export const linesOf = (items: BillDetail['items'] | undefined): RefundLine[] =>
  (items ?? []).map((it, i) => ({ sortNo: Number(it.sortNo ?? i + 1), name: it.name, amt: String(it.amt), refund: '' }));

/** Why an entered amount is not acceptable (at most `max`), or null. */
export function amountMessage(v: string, max?: string): string | null {
  if (!isPositiveYuanInput(v)) return '请输入大于 0 的金额，最多两位小数';
  if (max !== undefined && compareYuan(v, max) === 1) return `不能超过 ${formatYuan(max)}`;
  return null;
}

/** A line's refund: empty, or an amount up to the line's. */
export const lineRule = (line: RefundLine): FormItemRule[] => [
  rule((_r, value, callback) => {
    const v = text(value);
    const msg = v === '' ? null : amountMessage(v, line.amt);
    callback(msg ? new Error(msg) : undefined);
  }),
];

/** The refund reason: required, at most REFUND_REASON_MAX characters. */
export const reasonRule = (): FormItemRule[] => [
  rule((_r, value, callback) => {
    const v = text(value);
    if (!v) callback(new Error('请填写退费原因'));
    else if (v.length > REFUND_REASON_MAX) callback(new Error(`退费原因不超过${REFUND_REASON_MAX}字`));
    else callback();
  }),
];

/** The exact sum of the lines' refunds; null while none is entered or one is not an amount yet. */
export function linesTotal(lines: RefundLine[]): string | null {
  const entered = lines.map((l) => l.refund.trim()).filter((v) => v !== '');
  if (entered.length === 0 || !entered.every(isPositiveYuanInput)) return null;
  return sumYuan(entered);
}

/** The amount typed in, as an exact sum; null while it is not an amount. */
export const amountTotal = (v: string): string | null => (v.trim() && isPositiveYuanInput(v.trim()) ? sumYuan([v.trim()]) : null);
