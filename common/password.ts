/**
 * Console passwords: scrypt with a per-user salt, compared in constant time. Hashing runs on
 * libuv's thread pool (crypto.scrypt), never on the event loop, so a burst of sign-ins does not
 * stall other requests; verifyPassword against DUMMY_HASH costs the same as against a real one,
 * which is what a sign-in for an unknown user name does.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, length, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

/** A well-formed hash no password matches in practice: the same work as a real check. */
export const DUMMY_HASH = `scrypt$${'00'.repeat(16)}$${'00'.repeat(KEY_LENGTH)}`;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$');
  const wellFormed = scheme === 'scrypt' && !!saltHex && !!hashHex && hashHex.length === KEY_LENGTH * 2;
  const [salt, want] = wellFormed ? [Buffer.from(saltHex, 'hex'), Buffer.from(hashHex, 'hex')] : [Buffer.alloc(16), Buffer.alloc(KEY_LENGTH)];
  const got = await scryptAsync(password, salt, KEY_LENGTH);
  return timingSafeEqual(want, got) && wellFormed;
}
