import { loadConfig } from '.';

describe('cfg.oidc', () => {
  it('is off by default, with the callback and post-logout URLs under the public URL', () => {
    expect(loadConfig({}).oidc).toEqual({
      issuer: '', clientId: '', clientSecret: '', scopes: 'openid profile', buttonText: '使用医院统一身份认证登录', localPasswords: 'admins', mfaAmr: ['mfa', 'otp', 'hwk', 'swk', 'sms'],
      redirectUrl: 'http://127.0.0.1:8080/api/auth/oidc/callback', postLogoutUrl: 'http://127.0.0.1:8080/console/login',
    });
    expect(loadConfig({ MEDBILL_PUBLIC_URL: 'https://bills.example.org/' }).oidc.redirectUrl).toBe('https://bills.example.org/api/auth/oidc/callback');
  });

  it('reads an identity platform', () => {
    const o = loadConfig({ MEDBILL_OIDC_ISSUER: 'https://idp.example.org/realms/hospital/', MEDBILL_OIDC_CLIENT_ID: 'medbill', MEDBILL_OIDC_SCOPES: ' openid  profile email ', MEDBILL_OIDC_LOCAL_PASSWORDS: 'all' }).oidc;
    expect(o).toMatchObject({ issuer: 'https://idp.example.org/realms/hospital', clientId: 'medbill', scopes: 'openid profile email', localPasswords: 'all' });
  });

  it.each([
    [{ MEDBILL_OIDC_ISSUER: 'http://idp.example.org', MEDBILL_OIDC_CLIENT_ID: 'x' }, 'MEDBILL_OIDC_ISSUER'],
    [{ MEDBILL_OIDC_ISSUER: 'not a url', MEDBILL_OIDC_CLIENT_ID: 'x' }, 'MEDBILL_OIDC_ISSUER'],
    [{ MEDBILL_OIDC_ISSUER: 'https://idp.example.org' }, 'MEDBILL_OIDC_CLIENT_ID'],
    [{ MEDBILL_OIDC_SCOPES: 'profile' }, 'MEDBILL_OIDC_SCOPES'],
    [{ MEDBILL_OIDC_LOCAL_PASSWORDS: 'none' }, 'MEDBILL_OIDC_LOCAL_PASSWORDS'],
    [{ MEDBILL_OIDC_REDIRECT_URL: 'http://bills.example.org/cb' }, 'MEDBILL_OIDC_REDIRECT_URL'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('allows http only on this machine', () => {
    expect(loadConfig({ MEDBILL_OIDC_ISSUER: 'http://127.0.0.1:8096', MEDBILL_OIDC_CLIENT_ID: 'medbill' }).oidc.issuer).toBe('http://127.0.0.1:8096');
  });
});
