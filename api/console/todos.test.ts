import { canAct } from './todos';

const user = (roles: string[], placeCode?: string) => ({ id: 1, username: 'u', displayName: 'u', roles, roleNames: roles, roleKinds: roles.map(() => 'business' as const), permissions: [], placeCode, scope: { kind: 'parties' as const }, scopeSetting: null, mfa: { required: false, enrolled: false } });

test('paper recovery is confirmed by the cashiers of its point, and finance only', () => {
  const t = { kind: 'paper_recovery', placeCode: 'MZ01' };
  expect(canAct(user(['cashier'], 'MZ01'), t, 'confirm')).toBe(true);
  expect(canAct(user(['cashier'], 'ZY01'), t, 'confirm')).toBe(false);
  expect(canAct(user(['finance']), t, 'confirm')).toBe(true);
  expect(canAct(user(['doctor']), t, 'confirm')).toBe(false);
  expect(canAct(user(['sysadmin']), t, 'retry')).toBe(false);
});

test('a blocked reissue is retried by the point cashier or the office, and given up only by the office', () => {
  const t = { kind: 'reissue_blocked', placeCode: 'MZ01' };
  expect(canAct(user(['cashier'], 'MZ01'), t, 'retry')).toBe(true);
  expect(canAct(user(['cashier'], 'MZ01'), t, 'abandon')).toBe(false);
  expect(canAct(user(['finance']), t, 'abandon')).toBe(true);
  expect(canAct(user(['department']), t, 'retry')).toBe(false);
  expect(canAct(user(['finance']), t, 'confirm')).toBe(false);
});
