/**
 * Two-factor sign-in (issue 14 point 3; 等保 2.0 level 3: two factors for administrators): a TOTP
 * authenticator (RFC 6238, common/totp.ts) enrolled from the console by QR code, with ten one-time
 * recovery codes shown once. Required (MEDBILL_MFA_ENFORCE=1) for the three administrators and
 * finance (domain/permissions.ts mfaRequired): until they enrol they reach only the enrolment and
 * password pages; optional for everyone else. Once enrolled, every password sign-in also asks for a
 * current code or an unused recovery code; a code's time step is accepted once (replay), and a
 * wrong code counts as a wrong password toward the lockout (services/sign-in.ts).
 */
import { DomainError } from '../common/errors';
import { hashRecoveryCode, newRecoveryCodes, newTotpSecret, otpauthUri, verifyTotp } from '../common/totp';
import { mfaRequired, type RoleKind } from '../domain/permissions';
import { qrPngBase64 } from '../adapters/layout/qr';
import type { SqlEm } from '../orm/sql';
import { confirmTotp, deleteTotp, putPendingTotp, replaceRecoveryCodes, totpOf, useRecoveryCode, useTotpStep, type TotpRow } from '../orm/repositories/mfa';
import type { Deps } from './deps';
import { logOperation } from './operation-log';

/** The name authenticator apps show above the account. */
export const TOTP_ISSUER = '医疗电子票据平台';

export interface MfaState {
  /** The user must have a second factor (an administrator or finance, with MEDBILL_MFA_ENFORCE=1). */
  required: boolean;
  /** The user has a confirmed authenticator: every sign-in asks for its code. */
  enrolled: boolean;
}

export interface MfaUser {
  id: number;
  username: string;
  roles: string[];
  roleKinds: RoleKind[];
}

export async function mfaStateOf(em: SqlEm, u: MfaUser, enforce: boolean): Promise<MfaState> {
  const t = await totpOf(em, u.id);
  return { required: enforce && mfaRequired(u.roles.map((code, i) => ({ code, kind: u.roleKinds[i] }))), enrolled: !!t?.confirmedAt };
}

/**
 * Checks a second factor of an enrolled user (their row, as the caller read it): a 6-digit TOTP
 * code of now (±1 step, later than the last accepted one), or one unused recovery code (then
 * spent). True when accepted. The step and the code are spent by compare-and-swap, so a row read
 * a moment ago is as good as a fresh one.
 */
export async function acceptSecondFactor(em: SqlEm, t: TotpRow, code: string, now: Date): Promise<boolean> {
  if (!t.confirmedAt) return false;
  const userId = t.userId;
  const c = code.trim().replace(/\s/g, '');
  if (/^\d{6}$/.test(c)) {
    const step = verifyTotp(t.secret, c, now.getTime(), t.lastStep);
    return step !== null && (await useTotpStep(em, userId, step, now));
  }
  if (c.length > 32) return false;
  return useRecoveryCode(em, userId, hashRecoveryCode(c), now);
}

export class MfaService {
  constructor(private readonly deps: Pick<Deps, 'orm' | 'masterKey'>) {}

  /**
   * Starts (or restarts) enrolment: a new secret, kept unconfirmed until a code proves it. Answers
   * the otpauth:// URI, its QR code (PNG, base64) and the secret for typing in by hand. An enrolled
   * user must first have it reset by the security administrator.
   */
  async begin(u: MfaUser, now = new Date()): Promise<{ secret: string; uri: string; qrPng: string }> {
    const secret = newTotpSecret();
    const ok = await putPendingTotp(this.deps.orm.em.fork(), u.id, secret, now);
    if (!ok) throw new DomainError('E0013', '已绑定身份验证器；如需更换，请联系安全管理员重置后重新绑定');
    const uri = otpauthUri(TOTP_ISSUER, u.username, secret);
    return { secret, uri, qrPng: await qrPngBase64(uri, 5) };
  }

  /** Confirms enrolment with a code from the new authenticator; answers the ten recovery codes (shown once). */
  async confirm(u: MfaUser, code: unknown, now = new Date(), address?: string): Promise<{ recoveryCodes: string[] }> {
    if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) throw new DomainError('E0010', 'code: 请输入身份验证器显示的 6 位数字', 'code');
    const em = this.deps.orm.em.fork();
    const t = await totpOf(em, u.id);
    if (!t) throw new DomainError('E0013', '请先开始绑定（扫描二维码）');
    if (t.confirmedAt) throw new DomainError('E0013', '已绑定身份验证器');
    const step = verifyTotp(t.secret, code.trim(), now.getTime(), null);
    if (step === null) throw new DomainError('E0010', 'code: 动态口令不正确：请核对手机时间后输入当前显示的 6 位数字', 'code');
    const codes = newRecoveryCodes();
    if (!(await confirmTotp(em, u.id, step, codes.map(hashRecoveryCode), now))) throw new DomainError('E0013', '已绑定身份验证器');
    await logOperation(this.deps, { at: now, username: u.username, address, action: 'mfa-enrol', objectType: 'user', objectId: u.username, detail: '绑定身份验证器（动态口令），生成 10 个恢复码' });
    return { recoveryCodes: codes };
  }

  /** A new set of recovery codes (the old ones stop working), after a current code proves the authenticator. */
  async newRecoveryCodes(u: MfaUser, code: unknown, now = new Date(), address?: string): Promise<{ recoveryCodes: string[] }> {
    if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) throw new DomainError('E0010', 'code: 请输入身份验证器显示的 6 位数字', 'code');
    const em = this.deps.orm.em.fork();
    const t = await totpOf(em, u.id);
    if (!t || !(await acceptSecondFactor(em, t, code, now))) throw new DomainError('E0010', 'code: 动态口令不正确或已使用', 'code');
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(em, u.id, codes.map(hashRecoveryCode), now);
    await logOperation(this.deps, { at: now, username: u.username, address, action: 'mfa-recovery-codes', objectType: 'user', objectId: u.username, detail: '重新生成恢复码（旧的恢复码失效）' });
    return { recoveryCodes: codes };
  }

  /** How many recovery codes are left (the console warns when few are). */
  async status(em: SqlEm, u: MfaUser, enforce: boolean): Promise<MfaState & { recoveryCodesLeft: number }> {
    const t = await totpOf(em, u.id);
    return { ...(await mfaStateOf(em, u, enforce)), recoveryCodesLeft: t?.confirmedAt ? t.recovery.length : 0 };
  }
}

/** Removes a user's authenticator (the security administrator's 重置动态口令; inside the caller's transaction). */
export const resetMfa = (tx: SqlEm, userId: number): Promise<boolean> => deleteTotp(tx, userId);
