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
