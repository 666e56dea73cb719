/** SM2 signing of bills (`cfg.signing`): an external signing server, or local threads. */
import * as os from 'node:os';
import { int } from './parse';

/** Empty: sign locally with the hospital's encrypted key. */
export const DEFAULT_SIGNER_URL = '';
/** One signing thread per CPU. */
export const defaultSignThreads = () => Math.max(1, os.availableParallelism());

export interface SigningConfig {
  /** MEDBILL_SIGNER_URL: external SM2 signing server; empty = sign locally with the encrypted key. */
  signerUrl: string;
  /** MEDBILL_SIGN_THREADS: worker threads for local SM2 signing (default: the CPU count). */
  threads: number;
}

export function loadSigningConfig(env: NodeJS.ProcessEnv): SigningConfig {
  return {
    signerUrl: env.MEDBILL_SIGNER_URL || DEFAULT_SIGNER_URL,
    threads: int('MEDBILL_SIGN_THREADS', env.MEDBILL_SIGN_THREADS, defaultSignThreads()),
  };
}
