import { DUMMY_HASH, hashPassword, verifyPassword } from './password';
import { FailureWindow } from './failure-window';

test('a hash verifies its password only; the dummy hash and malformed hashes verify none', async () => {
  const h = await hashPassword('Kq7-river');
  expect(h).toMatch(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
  expect(await verifyPassword('Kq7-river', h)).toBe(true);
  expect(await verifyPassword('Kq7-rivers', h)).toBe(false);
  expect(await verifyPassword('', DUMMY_HASH)).toBe(false);
  expect(await verifyPassword('Kq7-river', 'plain')).toBe(false);
  expect(await verifyPassword('Kq7-river', h.slice(0, -2))).toBe(false);
});

test('hashing leaves the event loop free: a timer set after the hash started fires before it ends', async () => {
  const order: string[] = [];
  const hashing = Promise.all([hashPassword('a'), hashPassword('b'), verifyPassword('c', DUMMY_HASH)]).then(() => order.push('hashed'));
  await new Promise<void>((r) => setImmediate(() => (order.push('loop turned'), r())));
  await hashing;
  expect(order).toEqual(['loop turned', 'hashed']);
});

test('a failure window blocks a key after its limit until the window ends, and keeps a bounded number of keys', () => {
  const w = new FailureWindow(3, 60_000, 2);
  for (let i = 0; i < 2; i++) w.fail('a', 1000);
  expect(w.retryAfter('a', 1000)).toBe(0);
  w.fail('a', 2000);
  expect(w.retryAfter('a', 2000)).toBe(59_000);
  expect(w.retryAfter('a', 61_000)).toBe(0);
  w.fail('b', 61_000);
  w.fail('c', 61_000);
  w.fail('d', 61_000); // b, the oldest, is dropped
  for (let i = 0; i < 2; i++) w.fail('b', 61_000);
  expect(w.retryAfter('b', 61_000)).toBe(0);
});
