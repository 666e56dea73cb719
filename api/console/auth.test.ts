import { issueToken, readToken } from './auth';
import type { ApiContext } from '../context';

const api = { deps: { masterKey: 'test-master-key' } } as unknown as ApiContext;

test('a session token is read back; a changed, shortened or foreign one is not (and nothing throws)', () => {
  const token = issueToken(api, 42);
  expect(readToken(api, token)).toBe(42);
  const [id, exp, mac] = token.split('.');
  const flip = mac.slice(0, -1) + (mac.endsWith('0') ? '1' : '0');
  expect(readToken(api, `${id}.${exp}.${flip}`)).toBeUndefined();
  expect(readToken(api, `${id}.${exp}.${mac.slice(0, -2)}`)).toBeUndefined();
  expect(readToken(api, `${id}.${exp}.${mac}00`)).toBeUndefined();
  expect(readToken(api, `43.${exp}.${mac}`)).toBeUndefined();
  expect(readToken(api, `${id}.${Date.now() - 1000}.${mac}`)).toBeUndefined();
  const other = { deps: { masterKey: 'other' } } as unknown as ApiContext;
  expect(readToken(other, token)).toBeUndefined();
});
