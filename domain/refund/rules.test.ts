import { DomainError } from '../../common/errors';
import { parseChainSteps, stepTimes } from './chain';
import { checkRefundRules, chinaMonth, parseChannelCodes, parseChannelNumbers, type RefundFacts } from './rules';

const facts = (over: Partial<RefundFacts> = {}): RefundFacts => ({
  channel: 'wechat',
  payType: 'self',
  amount: 5000,
  paidFen: 10000,
  refundedFen: 0,
  leftOnBillFen: 10000,
  lines: new Map([
    [1, { name: '挂号费', amt: 1000, refunded: 0 }],
    [3, { name: '西药费', amt: 2550, refunded: 500 }],
  ]),
  paidAt: new Date('2026-11-20T02:00:00Z'),
  now: new Date('2026-11-25T02:00:00Z'),
  maxAgeDays: { wechat: 365, alipay: 90 },
  ...over,
});

const refusal = (f: RefundFacts) => {
  try {
    checkRefundRules(f);
  } catch (e) {
    return e as DomainError;
  }
  return undefined;
};

test('amount up to what was paid minus what was refunded', () => {
  expect(refusal(facts({ amount: 10000 }))).toBeUndefined();
  const e = refusal(facts({ amount: 6001, refundedFen: 4000 }))!;
  expect(e.code).toBe('E0091');
  expect(e.field).toBe('amount');
  expect(e.message).toBe('amount: 退费金额 60.01 元超过可退金额：微信支付实付 100.00 元，已退 40.00 元，尚可退 60.00 元');
  expect(refusal(facts({ amount: 0 }))!.message).toBe('amount: 退费金额须大于 0.00 元');
  expect(refusal(facts({ amount: 100, leftOnBillFen: 50 }))!.message).toBe('amount: 退费金额 1.00 元超过现行票据的微信支付金额 0.50 元');
  expect(refusal(facts({ paidFen: 0 }))!.message).toBe('channel: 该票据没有通过微信支付付款');
});

test('per-item refunds: each line at most what it can still refund, the sum is the amount', () => {
  expect(refusal(facts({ amount: 2050, items: [{ sortNo: 3, amt: 2050 }] }))).toBeUndefined();
  expect(refusal(facts({ amount: 2051, items: [{ sortNo: 3, amt: 2051 }] }))!.message).toBe('items[0].amt: 退费金额 20.51 元超过第 3 项（西药费）尚可退的 20.50 元（该项 25.50 元）');
  expect(refusal(facts({ amount: 100, items: [{ sortNo: 2, amt: 100 }] }))!.message).toBe('items[0].sortNo: 票据没有第 2 项收费明细');
  expect(refusal(facts({ amount: 200, items: [{ sortNo: 1, amt: 100 }, { sortNo: 1, amt: 100 }] }))!.message).toBe('items[1].sortNo: 第 1 项收费明细重复填写');
  expect(refusal(facts({ amount: 300, items: [{ sortNo: 1, amt: 100 }] }))!.message).toBe('amount: 退费金额 3.00 元与明细合计 1.00 元不符');
});

test('insured refunds stay within the calendar month (China time); self-pay ones do not care', () => {
  // 2026-11-30 23:30 in China is still November; 2026-12-01 00:10 in China is December.
  const paidAt = new Date('2026-11-30T15:30:00Z');
  expect(chinaMonth(paidAt)).toBe('2026-11');
  expect(refusal(facts({ payType: 'insured', paidAt, now: new Date('2026-11-30T15:50:00Z') }))).toBeUndefined();
  const e = refusal(facts({ payType: 'insured', paidAt, now: new Date('2026-11-30T16:10:00Z') }))!;
  expect(e.field).toBe('payType');
  expect(e.message).toBe('payType: 医保跨月不予退款：2026-11 的医保结算不能在 2026-12 退款，请到医保窗口办理');
  expect(refusal(facts({ payType: 'self', paidAt, now: new Date('2026-11-30T16:10:00Z') }))).toBeUndefined();
});

test('a channel refunds only payments younger than its limit', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  expect(refusal(facts({ channel: 'alipay', paidAt: new Date('2026-08-28T00:00:00Z'), now }))).toBeUndefined();
  const e = refusal(facts({ channel: 'alipay', paidAt: new Date('2026-08-20T00:00:00Z'), now }))!;
  expect(e.field).toBe('channel');
  expect(e.message).toBe('channel: 支付宝只能退 90 天内的付款，这笔付款已过 97 天，请到收费窗口以现金退款');
  expect(refusal(facts({ channel: 'cash', paidAt: new Date('2020-01-01T00:00:00Z'), now }))).toBeUndefined();
});

test('channel settings parse and refuse what they cannot read', () => {
  expect(parseChannelNumbers('X', 'wechat=365;alipay=90')).toEqual({ wechat: 365, alipay: 90 });
  expect(() => parseChannelNumbers('X', 'paypal=3')).toThrow(/X: "paypal=3"/);
  expect(parseChannelCodes('Y', 'wechat=05,15;cash=02')).toEqual({ wechat: ['05', '15'], alipay: [], cash: ['02'], unionpay: [] });
});

test('a chain is checked step by step with the field named', () => {
  const ok = parseChainSteps([{ key: 'doctor', name: '医生', roles: ['doctor'], deadlineHours: '2', escalateRoles: ['finance'] }]);
  expect(ok[0]).toEqual({ key: 'doctor', name: '医生', roles: ['doctor'], deadlineHours: 2, remindBeforeHours: undefined, escalateRoles: ['finance'] });
  expect(stepTimes(ok[0])).toEqual({ remindAfterMs: 1.5 * 3_600_000, deadlineMs: 2 * 3_600_000 });
  const bad = (v: unknown) => {
    try {
      parseChainSteps(v);
    } catch (e) {
      return (e as DomainError).field;
    }
  };
  expect(bad([])).toBe('steps');
  expect(bad([{ key: 'Doctor', name: 'x', roles: ['doctor'], deadlineHours: 1 }])).toBe('steps[0].key');
  expect(bad([{ key: 'a', name: 'x', roles: [], deadlineHours: 1 }])).toBe('steps[0].roles');
  expect(bad([{ key: 'a', name: 'x', roles: ['doctor'], deadlineHours: 0 }])).toBe('steps[0].deadlineHours');
  expect(bad([{ key: 'a', name: 'x', roles: ['doctor'], deadlineHours: 1, remindBeforeHours: 1 }])).toBe('steps[0].remindBeforeHours');
  expect(bad([{ key: 'a', name: 'x', roles: ['doctor'], deadlineHours: 1 }, { key: 'a', name: 'y', roles: ['finance'], deadlineHours: 1 }])).toBe('steps[1].key');
});
