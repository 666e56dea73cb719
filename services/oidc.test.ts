/**
 * The second factor of a single sign-on: finance (second factor required) is let in only when the
 * identity platform's ID token says it used one (`amr`); a cashier needs nothing more; with the
 * requirement off nobody does.
 */
import { ssoSecondFactorOk } from './oidc';
import { DEFAULT_OIDC_MFA_AMR } from '../config/oidc';

const finance = [{ code: 'finance', kind: 'business' as const }];
const cashier = [{ code: 'cashier', kind: 'business' as const }];

test('finance through single sign-on needs an amr naming a second factor', () => {
  expect(ssoSecondFactorOk(finance, ['pwd', 'otp'], DEFAULT_OIDC_MFA_AMR, true)).toBe(true);
  expect(ssoSecondFactorOk(finance, ['mfa'], DEFAULT_OIDC_MFA_AMR, true)).toBe(true);
  expect(ssoSecondFactorOk(finance, ['pwd'], DEFAULT_OIDC_MFA_AMR, true)).toBe(false);
  expect(ssoSecondFactorOk(finance, [], DEFAULT_OIDC_MFA_AMR, true)).toBe(false);
  expect(ssoSecondFactorOk(finance, ['pwd', 'face'], ['face'], true)).toBe(true);
});

test('others need nothing more; with the requirement off nobody does', () => {
  expect(ssoSecondFactorOk(cashier, ['pwd'], DEFAULT_OIDC_MFA_AMR, true)).toBe(true);
  expect(ssoSecondFactorOk(finance, ['pwd'], DEFAULT_OIDC_MFA_AMR, false)).toBe(true);
});
