/** The console's refund vocabularies are the API's (no platform: the console's dictionaries are pure). */
import { FINAL_STATES, NO_MONEY_STATES, REFUND_STATES } from '../domain/refund/states';
import { ONLINE_CHANNELS } from '../domain/refund/rules';
import { ONLINE_REFUND_CHANNELS, REFUND_FINAL_STATES, REFUND_NO_MONEY_STATES, REFUND_STATE } from '../web/src/utils/dict';

test("the console's final states, no-money states and online channels are the API's", () => {
  expect([...REFUND_FINAL_STATES].sort()).toEqual([...FINAL_STATES].sort());
  expect(REFUND_FINAL_STATES).toContain('bill_blocked');
  expect([...REFUND_NO_MONEY_STATES].sort()).toEqual([...NO_MONEY_STATES].sort());
  expect([...ONLINE_REFUND_CHANNELS].sort()).toEqual([...ONLINE_CHANNELS].sort());
  for (const s of REFUND_STATES) expect(REFUND_STATE[s]?.label).toBeTruthy();
});

import { displayMessage, fieldLabel, withoutField } from '../web/src/utils/error-text';
import { cardTypeName, payChannelName, busTypeName } from '../domain/bill/codes';

test('the console shows a refusal with the field\'s Chinese name, or without the key', () => {
  expect(displayMessage('chargeDetail[0].chargeCode: HIS 收费项目编码 X1（挂号费）未对照财政项目（编码对照）', 'chargeDetail[0].chargeCode')).toBe(
    '收费项目第 1 条的收费项目编码：HIS 收费项目编码 X1（挂号费）未对照财政项目（编码对照）',
  );
  expect(displayMessage('reason: 请填写冲红原因', 'reason')).toBe('原因：请填写冲红原因');
  expect(displayMessage('id: 须为正整数')).toBe('编号：须为正整数');
  expect(displayMessage('someUnknownKey: 须为文本', 'someUnknownKey')).toBe('须为文本');
  expect(displayMessage('请求失败')).toBe('请求失败');
  expect(fieldLabel('refundDetail[1].amt')).toBe('退费明细第 2 条的金额');
  // Next to its form field only the reason is shown, from the API's message or the console's.
  expect(withoutField('reason: 请填写冲红原因', 'reason')).toBe('请填写冲红原因');
  expect(withoutField('原因：请填写冲红原因', 'reason')).toBe('请填写冲红原因');
});

test('codes have their names once, in domain/bill/codes.ts', () => {
  expect(cardTypeName('01')).toBe('居民身份证');
  expect(cardTypeName('1')).toBe('居民身份证');
  expect(cardTypeName('居民身份证')).toBe('居民身份证');
  expect(payChannelName('05')).toBe('微信');
  expect(busTypeName('02')).toBe('门诊');
  expect(busTypeName('77')).toBe('77');
});
