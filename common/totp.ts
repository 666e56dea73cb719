/**
 * TOTP (RFC 6238) over HOTP (RFC 4226): HMAC-SHA1, 30 s step, 6 digits, a ±1 step window, a
 * base32 secret of 20 random bytes. Replay protection: `verifyTotp` answers the matched step, and
 * the caller stores it per user and passes it back as `lastUsedStep`; a code whose step is not
 * later than the last used one is refused, so a code (user, step) is never accepted twice.
 * Also: otpauth:// URIs for authenticator apps and one-time recovery codes (stored hashed).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_WINDOW = 1;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, spaces and padding ignored); null when malformed. */
export function base32Decode(s: string): Buffer | null {
  const clean = s.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) return null;
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A fresh secret: 20 random bytes, base32. */
export const newTotpSecret = (): string => base32Encode(randomBytes(20));

/** HOTP (RFC 4226) with HMAC-SHA1 and the given number of digits. */
export function hotp(key: Buffer, counter: number, digits = TOTP_DIGITS): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export const totpStep = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);

/** The code for a base32 secret at a time (ms). */
export function totpAt(secret: string, nowMs: number, digits = TOTP_DIGITS): string {
  const key = base32Decode(secret);
  if (!key) throw new Error('totp: malformed secret');
  return hotp(key, totpStep(nowMs), digits);
}

/**
 * The step a code matches within ±TOTP_WINDOW of now and later than `lastUsedStep`, else null.
 * Store the answer as the user's last used step (in the same transaction that accepts it).
 */
export function verifyTotp(secret: string, code: string, nowMs: number, lastUsedStep: number | null = null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const key = base32Decode(secret);
  if (!key || key.length === 0) return null;
  const now = totpStep(nowMs);
  const want = Buffer.from(code);
  for (let d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
    const step = now + d;
    if (step < 0 || (lastUsedStep !== null && step <= lastUsedStep)) continue;
    if (timingSafeEqual(Buffer.from(hotp(key, step)), want)) return step;
  }
  return null;
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`);
  const q = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_STEP_SECONDS) });
  return `otpauth://totp/${label}?${q.toString()}`;
}

/** Ten recovery codes, shown once: `xxxxx-xxxxx` from an unambiguous alphabet. */
export function newRecoveryCodes(n = 10): string[] {
  const alpha = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: n }, () => {
    const b = randomBytes(10);
    const s = Array.from(b, (x) => alpha[x % alpha.length]).join('');
    return `${s.slice(0, 5)}-${s.slice(5)}`;
  });
}

/** Normalises what a person typed (case, spaces, a missing dash) before hashing. */
export const normaliseRecoveryCode = (code: string): string => {
  const c = code.toLowerCase().replace(/[\s-]/g, '');
  return c.length === 10 ? `${c.slice(0, 5)}-${c.slice(5)}` : c;
};

/** Recovery codes are high-entropy, so a plain SHA-256 is the stored form. */
export const hashRecoveryCode = (code: string): string => createHash('sha256').update(normaliseRecoveryCode(code)).digest('hex');
