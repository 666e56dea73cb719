/**
 * 单位通码取票 (issue 15 point 7): a patient scans the hospital's one QR code and finds their bills
 * by identity, without a bill's check code:
 * - by ID number and the payer's name (both must match a bill: the blind index of the ID number,
 *   the name as printed);
 * - by clinic card number (就诊卡号, the HIS's cardNo) and the payer's name, the same way;
 * - by phone, after a verification code sent to that phone (6 digits, valid 5 minutes, a new one
 *   at most once a minute, dead after 5 wrong tries; only its HMAC-SM3 is stored, under the phone's
 *   blind index).
 * The bills of the last 366 days, at most 50, each with its H5 address. The routes count failed
 * lookups and codes sent per address (api/h5/lookup.ts).
 */
import { randomInt } from 'node:crypto';
import { DomainError, fieldError } from '../common/errors';
import { hmacSm3Hex } from '../common/gm';
import { checkIdCardNo } from '../domain/his-input';
import { billsOfIdentity, countSmsCodeTry, dropSmsCode, phoneIndex, putSmsCode, smsCodeOf, type LookupBillRow } from '../orm/repositories/bill-lookup';
import type { Deps } from './deps';

export const SMS_CODE_TTL_MS = 5 * 60_000;
export const SMS_CODE_RESEND_MS = 60_000;
export const SMS_CODE_MAX_TRIES = 5;
export const LOOKUP_DAYS = 366;
export const LOOKUP_MAX_BILLS = 50;

const MOBILE = /^1[3-9]\d{9}$/;

export function cleanPhone(v: unknown): string {
  const tel = typeof v === 'string' ? v.replace(/[\s-]/g, '') : '';
  if (!MOBILE.test(tel)) throw fieldError('tel', '请填写 11 位手机号码');
  return tel;
}

const codeHash = (deps: Deps, bidx: string, code: string) => hmacSm3Hex(Buffer.from(deps.masterKey, 'hex'), `medbill/h5-code/v1|${bidx}|${code}`);

/** Sends a verification code to the phone; E0007 (with the wait) when one was sent less than a minute ago. */
export async function sendLookupCode(deps: Deps, hospitalName: string, telInput: unknown, now = new Date()): Promise<{ tel: string }> {
  const tel = cleanPhone(telInput);
  const bidx = phoneIndex(deps.orm.em, tel)!;
  const had = await smsCodeOf(deps.orm.em, bidx);
  if (had && now.getTime() - had.sentAt.getTime() < SMS_CODE_RESEND_MS) {
    const s = Math.ceil((SMS_CODE_RESEND_MS - (now.getTime() - had.sentAt.getTime())) / 1000);
    throw new DomainError('E0007', `tel: 验证码已发送，请 ${s} 秒后再获取`, 'tel');
  }
  const sms = deps.notifiers.find((n) => n.channel === 'sms');
  if (!sms) throw new DomainError('E0010', 'tel: 本院未开通短信，请用证件号码查询', 'tel');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await putSmsCode(deps.orm.em, bidx, codeHash(deps, bidx, code), now, new Date(now.getTime() + SMS_CODE_TTL_MS));
  await sms.send({
    idempotencyKey: `h5code-${bidx.slice(0, 16)}-${now.getTime()}`,
    target: tel,
    hospitalName,
    payer: '',
    billBatchCode: '',
    billNo: '',
    random: '',
    totalAmt: '',
    h5Url: '',
    issuedAt: now,
    verificationCode: code,
  });
  return { tel };
}

/** Accepts the phone's code once (it is dropped when right, and after the fifth wrong try). */
export async function acceptLookupCode(deps: Deps, telInput: unknown, codeInput: unknown, now = new Date()): Promise<string> {
  const tel = cleanPhone(telInput);
  const code = typeof codeInput === 'string' ? codeInput.trim() : '';
  if (!/^\d{6}$/.test(code)) throw fieldError('smsCode', '请填写短信中的 6 位验证码');
  const bidx = phoneIndex(deps.orm.em, tel)!;
  const row = await smsCodeOf(deps.orm.em, bidx);
  if (!row || row.expiresAt <= now) throw fieldError('smsCode', '验证码已过期，请重新获取');
  if (row.codeHash !== codeHash(deps, bidx, code)) {
    if (row.attempts + 1 >= SMS_CODE_MAX_TRIES) {
      await dropSmsCode(deps.orm.em, bidx);
      throw new DomainError('E0007', 'smsCode: 验证码错误次数过多，请重新获取', 'smsCode');
    }
    await countSmsCodeTry(deps.orm.em, bidx);
    throw fieldError('smsCode', '验证码错误');
  }
  await dropSmsCode(deps.orm.em, bidx);
  return tel;
}

/** A clinic card number as the HIS prints it: 1-32 letters, digits or `-`. */
const CARD_NO = /^[A-Za-z0-9-]{1,32}$/;

/** The bills of a person, by ID number and name, by clinic card and name, or by a phone already verified. */
export async function lookupBills(deps: Deps, hospitalId: number, who: { idCardNo: unknown; payer: unknown } | { cardNo: unknown; payer: unknown } | { tel: string }, now = new Date()): Promise<LookupBillRow[]> {
  const since = new Date(now.getTime() - LOOKUP_DAYS * 86_400_000);
  if ('tel' in who) return billsOfIdentity(deps.orm.em, hospitalId, { tel: who.tel }, since, LOOKUP_MAX_BILLS);
  const payer = typeof who.payer === 'string' ? who.payer.trim() : '';
  if ('cardNo' in who) {
    const cardNo = typeof who.cardNo === 'string' ? who.cardNo.replace(/\s/g, '').toUpperCase() : '';
    if (!cardNo) throw fieldError('cardNo', '请填写就诊卡号');
    if (!CARD_NO.test(cardNo)) throw fieldError('cardNo', '就诊卡号为 1-32 位字母、数字或“-”');
    if (!payer || payer.length > 64) throw fieldError('payer', '请填写交款人姓名');
    return billsOfIdentity(deps.orm.em, hospitalId, { cardNo, payer }, since, LOOKUP_MAX_BILLS);
  }
  const idCardNo = typeof who.idCardNo === 'string' ? who.idCardNo.trim().toUpperCase() : '';
  if (!idCardNo) throw fieldError('idCardNo', '请填写证件号码');
  checkIdCardNo(idCardNo, undefined);
  if (!payer || payer.length > 64) throw fieldError('payer', '请填写交款人姓名');
  return billsOfIdentity(deps.orm.em, hospitalId, { idCardNo, payer }, since, LOOKUP_MAX_BILLS);
}
