import { API_BASE, http } from './http';

export interface User {
  username: string;
  displayName: string;
  roles: string[];
  /** The roles' names (Chinese), in the order of `roles`. */
  roleNames?: string[];
  /** What the server lets the user open and do (domain/permissions.ts codes): the console's menus and buttons follow this, never a role list of its own. */
  permissions: string[];
  /** The data scope in force: the whole hospital, some billing points, or only the refunds the user is a party to. */
  scope?: { kind: 'hospital' } | { kind: 'points'; points: string[] } | { kind: 'parties' };
  /** The billing point the user works at (cashiers), if any. */
  placeCode?: string;
  /** Set when the user must choose a new password first: after a reset by an administrator, or when it expired. */
  passwordChange?: 'reset' | 'expired';
  /** The second factor: required of the user (administrators, finance) and enrolled; until enrolled, a required user reaches only the 双因素认证 page. */
  mfa?: { required: boolean; enrolled: boolean };
  /** How the session was opened: the platform's password, or the hospital's identity platform (统一身份认证). */
  signedInWith?: 'password' | 'sso';
}

export interface LoginParams {
  username: string;
  password: string;
  /** The authenticator's 6-digit code or a recovery code, once the server asked for it (E0015). */
  code?: string;
}

export interface LoginResult {
  user: User;
}

/** Signs in; the session is the HttpOnly cookie the API sets (never seen by this code). Errors are shown by the login form. */
export const login = (params: LoginParams) =>
  http.post<LoginResult>('/auth/login', params, { silent: true, skipAuthRedirect: true });

/** Ends the session; for a single sign-on session also answers the identity platform's logout URL, to be opened next. */
export const logout = () => http.post<{ ok: boolean; endSessionUrl?: string }>('/auth/logout', undefined, { silent: true, skipAuthRedirect: true });

/** Whether single sign-on with the hospital's identity platform is on, and its button's text (public). */
export const fetchSsoInfo = () => http.get<{ enabled: boolean; buttonText: string }>('/auth/oidc', undefined, { silent: true, skipAuthRedirect: true });

/** Where the browser goes to sign in through the identity platform (the API answers a redirect to it). */
export const SSO_START_URL = `${API_BASE}/auth/oidc/start`;

/** The login page's text for the `sso_error` the API's callback sent the browser back with. */
export function ssoErrorText(code: string, subject?: string): string {
  switch (code) {
    case 'unknown':
      return `统一身份认证账号（${subject || '未知'}）尚未开通本平台权限，请联系安全管理员`;
    case 'inactive':
      return '您的账号已停用，请联系安全管理员';
    case 'admin':
      return '管理员账号不能使用统一身份认证登录：请使用用户名、密码和动态口令登录';
    case 'mfa':
      return '财务人员须经双因素认证登录：请在统一身份认证平台使用双因素（如动态口令、短信验证码）登录后再试';
    case 'state':
      return '统一身份认证登录请求已失效或已使用，请重新点击统一身份认证登录';
    case 'denied':
      return '统一身份认证未完成（已取消或被拒绝），请重试';
    case 'disabled':
      return '本平台未启用统一身份认证，请使用用户名和密码登录';
    case 'unavailable':
      return '医院统一身份认证服务暂时无法访问，请稍后重试';
    default:
      return '统一身份认证登录失败，请重试或联系信息科';
  }
}

/** The signed-in user, or a 401 ApiError; never redirects (used by the route guard). */
export const fetchCurrentUser = () => http.get<{ user: User; passwordPolicy: string }>('/auth/me', undefined, { silent: true, skipAuthRedirect: true });

export interface ChangePasswordParams {
  currentPassword: string;
  newPassword: string;
}

/** Sets a new password; the user's other sessions end. Errors (naming the field) are shown by the form. */
export const changePassword = (params: ChangePasswordParams) => http.post<{ ok: boolean }>('/auth/password', params, { silent: true });

export interface MfaStatus {
  required: boolean;
  enrolled: boolean;
  recoveryCodesLeft: number;
}

/** The user's second factor. */
export const fetchMfa = () => http.get<MfaStatus>('/auth/mfa');
/** Starts enrolment: a new secret as an otpauth:// URI, its QR code (PNG, base64) and the secret to type in by hand. */
export const beginMfa = () => http.post<{ secret: string; uri: string; qrPng: string }>('/auth/mfa/enrol', undefined, { silent: true });
/** Confirms enrolment with a code from the authenticator; answers the ten recovery codes (shown once). */
export const confirmMfa = (code: string) => http.post<{ recoveryCodes: string[] }>('/auth/mfa/confirm', { code }, { silent: true });
/** A new set of recovery codes (the old ones stop working), proven by a current code. */
export const renewRecoveryCodes = (code: string) => http.post<{ recoveryCodes: string[] }>('/auth/mfa/recovery-codes', { code }, { silent: true });
