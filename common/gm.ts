/**
 * National cryptography (国密): SM2 signatures per GB/T 32918 with the default user ID
 * (verifiable by sm-crypto's doVerifySignature and GmSSL), SM3 hashes, SM4 encryption.
 * sm-crypto-v2 implements the same algorithms as sm-crypto, about 40x faster.
 */
import { sm2, sm3, sm4 } from 'sm-crypto-v2';
import { randomBytes } from 'node:crypto';

export const SM2_DEFAULT_USER_ID = '1234567812345678';

export interface Sm2KeyPair {
  privateKey: string; // 64 hex
  publicKey: string; // 130 hex, uncompressed (04...)
}

export function sm2KeyPair(): Sm2KeyPair {
  const k = sm2.generateKeyPairHex();
  return { privateKey: k.privateKey, publicKey: k.publicKey };
}

/** SM3withSM2 signature (r||s, 128 hex) over the UTF-8 message, Z computed with the default user ID. */
export function sm2Sign(message: string, privateKey: string, publicKey: string): string {
  return sm2.doSignature(message, privateKey, { hash: true, publicKey, userId: SM2_DEFAULT_USER_ID });
}

export function sm2Verify(message: string, signature: string, publicKey: string): boolean {
  try {
    return sm2.doVerifySignature(message, signature, publicKey, { hash: true, userId: SM2_DEFAULT_USER_ID });
  } catch {
    return false;
  }
}

export function sm3Hex(message: string | Uint8Array): string {
  return sm3(message);
}

export function hmacSm3Hex(key: string | Uint8Array, message: string | Uint8Array): string {
  return sm3(message, { key, mode: 'hmac' });
}

/** SM4-CBC with a random IV; output is `iv:ciphertext` in hex. The key is 32 hex chars. */
export function sm4Encrypt(plain: string, keyHex: string): string {
  const iv = randomBytes(16).toString('hex');
  const ct = sm4.encrypt(plain, keyHex, { mode: 'cbc', iv }) as string;
  return `${iv}:${ct}`;
}

export function sm4Decrypt(cipher: string, keyHex: string): string {
  const [iv, ct] = cipher.split(':');
  if (!iv || !ct) throw new Error('malformed SM4 ciphertext');
  return sm4.decrypt(ct, keyHex, { mode: 'cbc', iv }) as string;
}

export function randomKeyHex(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}
