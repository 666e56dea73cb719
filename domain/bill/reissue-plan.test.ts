import { computeReissue, reissueBusNo } from './reissue-plan';
import { sampleOutpatient } from '../../sim/his/client';

const ref = { billBatchCode: '44040126', billNo: '0000000007' };
const at = new Date('2026-11-22T02:03:04.005Z'); // 10:03:04.005 in China

test('the reissue serial is derived from the original and counts up', () => {
  expect(reissueBusNo('MZ123')).toBe('MZ123-RF1');
  expect(reissueBusNo('MZ123-RF1')).toBe('MZ123-RF2');
  expect(reissueBusNo('MZ123-RF9')).toBe('MZ123-RF10');
  expect(() => reissueBusNo('x'.repeat(62))).toThrow(/busNo/);
});

test('refunding a whole line by sortNo drops it, its list lines, and takes the money from the named channel', () => {
  const o = sampleOutpatient({ busNo: 'MZ1' });
  const r = computeReissue(o, ref, { items: [{ sortNo: 3, amt: 2550 }], channelCode: '02' }, '收费员 李敏', at);
  expect(r.refundAmt).toBe(2550);
  expect(r.totalAmt).toBe(10100);
  expect(r.payload.busNo).toBe('MZ1-RF1');
  expect(r.payload.busDateTime).toBe('20261122100304005');
  expect(r.payload.totalAmt).toBe('101.00');
  expect(r.payload.chargeDetail).toEqual([
    expect.objectContaining({ sortNo: 1, chargeCode: 'GH', amt: '10.00', selfAmt: '10.00', number: 1, std: 10 }),
    expect.objectContaining({ sortNo: 2, chargeCode: 'HY', amt: '91.00', selfAmt: '91.00', number: 2 }),
  ]);
  expect(r.payload.payChannelDetail).toEqual([{ payChannelCode: '05', payChannelValue: '100.00' }, { payChannelCode: '02', payChannelValue: '1.00' }]);
  expect((r.payload.listDetail as Array<{ chargeCode: string }>).map((l) => l.chargeCode)).toEqual(['GH', 'HY']);
  expect(r.payload.payee).toBe('收费员 李敏');
  expect(String(r.payload.remark)).toContain('44040126-0000000007');
});

test('a refunded amount without lines comes off the last lines and the last channels first; a cut line loses quantity and price', () => {
  const o = sampleOutpatient({ busNo: 'MZ2', cashPay: '26.50', ownPay: '126.50' });
  const r = computeReissue(o, ref, { amount: 3000 }, 'op', at);
  expect(r.totalAmt).toBe(9650);
  const lines = r.payload.chargeDetail as Array<Record<string, unknown>>;
  expect(lines.map((l) => [l.chargeCode, l.amt])).toEqual([
    ['GH', '10.00'],
    ['HY', '86.50'],
  ]);
  expect(lines[1].number).toBeUndefined();
  expect(lines[1].std).toBeUndefined();
  expect(lines[1].selfAmt).toBe('86.50');
  expect(r.payload.payChannelDetail).toEqual([{ payChannelCode: '05', payChannelValue: '96.50' }]);
  // The money split of the original no longer holds.
  expect(r.payload.cashPay).toBeUndefined();
  expect(r.payload.ownPay).toBeUndefined();
  // Only the untouched line's list entries stay.
  expect((r.payload.listDetail as Array<{ chargeCode: string }>).map((l) => l.chargeCode)).toEqual(['GH']);
});

test('refunds that cannot be reissued are refused with the field at fault', () => {
  const o = sampleOutpatient({ busNo: 'MZ3' });
  expect(() => computeReissue(o, ref, { amount: 12650 }, 'op', at)).toThrow(/^refundAmt: .*票据全额.*writeOffEBill/);
  expect(() => computeReissue(o, ref, { amount: 0 }, 'op', at)).toThrow(/^refundAmt: 须大于 0/);
  expect(() => computeReissue(o, ref, { items: [{ sortNo: 9, amt: 100 }] }, 'op', at)).toThrow(/^refundDetail\[0\]\.sortNo: 票据没有第 9 条收费项目/);
  expect(() => computeReissue(o, ref, { items: [{ sortNo: 1, amt: 600 }, { sortNo: 1, amt: 600 }] }, 'op', at)).toThrow(/^refundDetail\[1\]\.amt: 第 1 条收费项目退费 12\.00 元，超过其金额 10\.00 元/);
  expect(() => computeReissue(o, ref, { items: [{ sortNo: 1, amt: 500 }], channelCode: '04' }, 'op', at)).toThrow(/^refundChannelCode: 票据未通过支付渠道 04 支付/);
  expect(() => computeReissue(o, ref, { amount: 5000, channelCode: '02' }, 'op', at)).toThrow(/^refundChannelCode: 支付渠道 02 支付 26\.50 元，少于退费金额 50\.00 元/);
  expect(() => computeReissue(o, ref, {}, 'op', at)).toThrow(/^refundAmt: 请填写 refundAmt 或 refundDetail/);
});
