import { billStateName } from './states';

test('a reversed bill is named 已冲红 (the refusal of a refund on it says so)', () => {
  expect(billStateName('reversed')).toBe('已冲红');
  expect(billStateName('normal')).toBe('正常');
  expect(billStateName('odd')).toBe('odd');
});
