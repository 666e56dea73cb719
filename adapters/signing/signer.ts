/**
 * The one interface bills are signed through. A Signer produces SM3withSM2 signatures
 * (GB/T 32918, default user ID 1234567812345678, Z computed from `publicKey`) as r||s in
 * 128 lowercase hex characters, exactly what sm-crypto's
 * `sm2.doVerifySignature(message, signature, publicKey, { hash: true })` accepts.
 *
 * Two implementations: LocalSigner (the private key in memory, a worker-thread pool) and
 * RemoteSigner (an external signing server holds the key). `createSigner` picks one.
 */
/** The business keys of what is signed (the exchange log's busNo and billNo). */
export interface SignKeys {
  busNo?: string;
  billNo?: string;
}

export interface Signer {
  /**
   * Signs the UTF-8 bytes of `message`; resolves to r||s (128 hex). `keys` name the bill signed,
   * for the exchange log of a signing server (a local signer has no exchange to record).
   */
  sign(message: string, keys?: SignKeys): Promise<string>;
  /**
   * Signs in the calling thread (~0.5 ms), for the issuing transaction, which holds the billing
   * point's row lock while it signs: a thread round trip there costs far more under load.
   * Absent where the key is not in this process (an external signing server).
   */
  signInline?(message: string): string;
  /** The hospital's SM2 public key: 130 hex, uncompressed (04 || x || y). */
  readonly publicKey: string;
  /** Releases threads / sockets; later sign() calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The signer itself is misconfigured (unknown key id, a key that does not match the
 * configured public key, a refusal by the signing server): retrying will not help until
 * someone fixes the configuration. Everything else (network, timeouts, HTTP 5xx, a crashed
 * worker) is a plain Error and worth retrying. `name` is the Temporal error type, so an
 * activity retry policy can list it in `nonRetryableErrorTypes`.
 */
export class SignerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerConfigError';
  }
}

/** SM2 signature as produced here: r||s, 64 hex each. */
export const SIGNATURE_HEX = /^[0-9a-f]{128}$/;
