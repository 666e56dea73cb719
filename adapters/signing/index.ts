/**
 * Signing adapter entry point: `createSigner` picks the external signing server when
 * `signerUrl` is set, else the local worker-thread pool with the (decrypted) private key.
 */
import type { ExchangeSink } from '../../common/exchange';
import { LocalSigner } from './local-signer';
import { RemoteSigner } from './remote-signer';
import { SignerConfigError, type Signer } from './signer';

export { LocalSigner, type LocalSignerOptions, type LocalSignerStats } from './local-signer';
export { RemoteSigner, type RemoteSignerOptions } from './remote-signer';
export { SignerConfigError, SIGNATURE_HEX, type Signer } from './signer';

export interface CreateSignerOptions {
  /** cfg.signing.signerUrl: external signing server; empty = local signing. */
  signerUrl: string;
  /** cfg.signing.threads: threads of the local pool. */
  signThreads: number;
  /** The hospital's SM2 private key, decrypted (unseal(hospital.privateKeyEnc, masterKey)); local only. */
  privateKey?: string;
  /** The hospital's SM2 public key (Hospital.publicKey). */
  publicKey: string;
  /** The key's id on the signing server; remote only. */
  keyId?: string;
  /** Remote request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** The exchange log for the signing server's calls. Local signing records nothing: an in-process SM2 signature is no exchange with an outside system. */
  exchangeLog?: ExchangeSink;
}

export function createSigner(opts: CreateSignerOptions): Signer {
  if (opts.signerUrl) {
    if (!opts.keyId) throw new SignerConfigError(`a key id is required to sign with the signing server ${opts.signerUrl}`);
    return new RemoteSigner({ url: opts.signerUrl, keyId: opts.keyId, publicKey: opts.publicKey, timeoutMs: opts.timeoutMs, exchangeLog: opts.exchangeLog });
  }
  if (!opts.privateKey) {
    throw new SignerConfigError('no SM2 private key for local signing, and no signing server (MEDBILL_SIGNER_URL) configured');
  }
  return new LocalSigner({ privateKey: opts.privateKey, publicKey: opts.publicKey, threads: opts.signThreads || undefined });
}
