import { safeEqual } from './compare';

test('equal strings are equal; any difference, in content or length, is not', () => {
  expect(safeEqual('A1B2C3', 'A1B2C3')).toBe(true);
  expect(safeEqual('', '')).toBe(true);
  expect(safeEqual('A1B2C3', 'A1B2C4')).toBe(false);
  expect(safeEqual('A1B2C3', 'A1B2C')).toBe(false); // shorter: false, not a throw
  expect(safeEqual('A1B2C', 'A1B2C3')).toBe(false);
  expect(safeEqual('甲', 'a')).toBe(false); // same length in characters, not in bytes
  expect(safeEqual(undefined as unknown as string, 'x')).toBe(false);
});
