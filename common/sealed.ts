/**
 * Patient data sealed at rest (ID numbers, phones, e-mail addresses and the texts that carry them):
 * the envelope of one sealed value and the blind index that lets an exact search find it.
 *
 *   v1:<keyId>:<iv>:<ciphertext>:<tag>
 *
 * SM4-GCM (GB/T 36624, RFC 8998: the sm-crypto-v2 implementation, checked against RFC 8998's
 * vector in sealed.test.ts) with a random 96-bit IV per value and a 128-bit tag; the associated
 * data is `v1:<keyId>`, so neither the version nor the key id can be swapped. iv, ciphertext and
 * tag are lower-case hex. A value that fails its tag throws SealedValueError (whose message never
 * holds the value).
 *
 * Blind index: lower-case hex HMAC-SM3(index key, `<kind>:<normalized value>`), 64 characters. The
 * index key is not one of the rotated data keys, so a rotation leaves every index as it is.
 *
 * Where the keys come from is a KeyProvider (common/keys.ts: derived from the master key; a KMS
 * implements the same interface).
 */
import { randomBytes } from 'node:crypto';
import { sm3, sm4 } from 'sm-crypto-v2';

/** The keys of sealed values: a data key (16 bytes, SM4) per key id, and the blind-index key. */
export interface KeyProvider {
  /** The SM4 data key of a key id (16 bytes); throws for an id it cannot provide. */
  getKey(id: string): Uint8Array;
  /** The HMAC-SM3 key of the blind indexes (at least 16 bytes). */
  indexKey(): Uint8Array;
}

export const KEY_ID = /^[a-z0-9]{1,16}$/;
export const ENVELOPE_VERSION = 'v1';
const ENVELOPE = /^v1:([a-z0-9]{1,16}):([0-9a-f]{24}):([0-9a-f]*):([0-9a-f]{32})$/;

export class SealedValueError extends Error {
  override name = 'SealedValueError';
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Seals one value under the key id's data key (a fresh random IV, so the same value seals differently each time). */
export function sealValue(plain: string, keyId: string, key: Uint8Array, iv: Uint8Array = randomBytes(12)): string {
  if (!KEY_ID.test(keyId)) throw new Error(`sealing key id must be 1-16 of a-z 0-9, got "${keyId}"`);
  if (key.length !== 16) throw new Error('an SM4 data key is 16 bytes');
  if (iv.length !== 12) throw new Error('an SM4-GCM IV is 12 bytes');
  const aad = utf8.encode(`${ENVELOPE_VERSION}:${keyId}`);
  const r = sm4.encrypt(utf8.encode(plain), key, { mode: 'gcm', iv, associatedData: aad, outputTag: true, output: 'array' });
  if (!r.tag || r.tag.length !== 16) throw new Error('SM4-GCM gave no 16-byte tag');
  return `${ENVELOPE_VERSION}:${keyId}:${hex(iv)}:${hex(r.output)}:${hex(r.tag)}`;
}

/** True for a value in the sealed envelope (whatever its key id). */
export const isSealed = (v: unknown): v is string => typeof v === 'string' && v.startsWith(`${ENVELOPE_VERSION}:`);

/** The key id a sealed value was written under (undefined for a plain value). */
export function sealedKeyId(v: string): string | undefined {
  return isSealed(v) ? ENVELOPE.exec(v)?.[1] : undefined;
}

/** Opens a sealed value with the key its envelope names; throws SealedValueError for a malformed or tampered one. */
export function openValue(sealed: string, keyOf: (keyId: string) => Uint8Array): string {
  const m = ENVELOPE.exec(sealed);
  if (!m) throw new SealedValueError('sealed value is malformed');
  const [, keyId, iv, ct, tag] = m;
  if (ct.length % 2) throw new SealedValueError('sealed value is malformed');
  let plain: Uint8Array;
  try {
    plain = sm4.decrypt(bytes(ct), keyOf(keyId), { mode: 'gcm', iv: bytes(iv), associatedData: utf8.encode(`${ENVELOPE_VERSION}:${keyId}`), tag: bytes(tag), output: 'array' });
  } catch (e) {
    if (e instanceof SealedValueError) throw e;
    throw new SealedValueError(`sealed value (key ${keyId}) failed authentication`);
  }
  try {
    return fromUtf8.decode(plain);
  } catch {
    throw new SealedValueError(`sealed value (key ${keyId}) is not UTF-8`);
  }
}

/** The kinds of blind index, each with its normalization (what counts as "the same" value). */
export type IndexKind = 'phone' | 'idcard' | 'email' | 'card';

export function normalizeForIndex(kind: IndexKind, v: string): string {
  const s = v.normalize('NFKC').trim();
  switch (kind) {
    case 'phone': {
      const digits = s.replace(/[\s\-().]/g, '');
      const m = /^(?:\+86|0086)(\d{11})$/.exec(digits);
      return m ? m[1] : digits;
    }
    case 'idcard':
    case 'card':
      return s.replace(/\s/g, '').toUpperCase();
    case 'email':
      return s.toLowerCase();
  }
}

export function blindIndexOf(kind: IndexKind, v: string, indexKey: Uint8Array): string {
  return sm3(utf8.encode(`${kind}:${normalizeForIndex(kind, v)}`), { key: indexKey, mode: 'hmac' });
}

/**
 * Seals and opens values with a KeyProvider: writes under `currentKeyId`, reads under whichever
 * key id a value names (so values of an older key stay readable while a rotation runs).
 */
export class Sealer {
  private readonly cache = new Map<string, Uint8Array>();
  private index?: Uint8Array;

  constructor(
    private readonly keys: KeyProvider,
    readonly currentKeyId: string,
  ) {
    if (!KEY_ID.test(currentKeyId)) throw new Error(`MEDBILL_DATA_KEY_ID must be 1-16 of a-z 0-9, got "${currentKeyId}"`);
    this.key(currentKeyId); // fails now, not at the first bill, when the provider cannot give it
  }

  private key(id: string): Uint8Array {
    let k = this.cache.get(id);
    if (!k) {
      k = this.keys.getKey(id);
      if (k.length !== 16) throw new Error(`data key ${id} must be 16 bytes`);
      this.cache.set(id, k);
    }
    return k;
  }

  /** Seals a value (null and undefined stay as they are; an already sealed value is left as it is). */
  seal<T extends string | null | undefined>(plain: T): T {
    if (plain === null || plain === undefined || isSealed(plain)) return plain;
    return sealValue(plain, this.currentKeyId, this.key(this.currentKeyId)) as T;
  }

  /**
   * Opens a value. A value not in the envelope is returned as it is: a row written by an older
   * version before the startup step (orm/sealed.ts sealPlaintextRows) sealed it.
   */
  open<T extends string | null | undefined>(stored: T): T {
    if (stored === null || stored === undefined || !isSealed(stored)) return stored;
    return openValue(stored, (id) => {
      try {
        return this.key(id);
      } catch {
        throw new SealedValueError(`no data key "${id}" for a sealed value`);
      }
    }) as T;
  }

  /** The blind index of a value (null for null or empty). */
  blindIndex(kind: IndexKind, v: string | null | undefined): string | null {
    if (v === null || v === undefined || normalizeForIndex(kind, v) === '') return null;
    this.index ??= this.keys.indexKey();
    return blindIndexOf(kind, v, this.index);
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function bytes(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}
