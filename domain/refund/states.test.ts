import { REFUND_STATE_NAMES } from './names';
import { countsAsRefunded, FINAL_STATES, isFinalState, NO_MONEY_STATES, REFUND_STATES } from './states';
import { ONLINE_CHANNELS, REFUND_CHANNELS } from './rules';

test('every state has a name; the final and no-money states are states, bill_blocked is final', () => {
  for (const s of REFUND_STATES) expect([s, REFUND_STATE_NAMES[s]]).toEqual([s, expect.any(String)]);
  for (const s of [...FINAL_STATES, ...NO_MONEY_STATES]) expect(REFUND_STATES).toContain(s);
  for (const s of NO_MONEY_STATES) expect(FINAL_STATES).toContain(s);
  expect(isFinalState('bill_blocked')).toBe(true);
  expect(isFinalState('reversing')).toBe(false);
  for (const c of ONLINE_CHANNELS) expect(REFUND_CHANNELS).toContain(c);
});

test('what counts as refunded: not withdrawn, rejected or failed money', () => {
  expect(countsAsRefunded('approving', 'none')).toBe(true);
  expect(countsAsRefunded('done', 'success')).toBe(true);
  expect(countsAsRefunded('bill_blocked', 'success')).toBe(true);
  expect(countsAsRefunded('withdrawn', 'none')).toBe(false);
  expect(countsAsRefunded('rejected', 'none')).toBe(false);
  expect(countsAsRefunded('refund_failed', 'failed')).toBe(false);
});
