/**
 * RemoteSigner: for a hospital whose SM2 key lives in an external signing server (签名服务器).
 *
 *   POST {signerUrl}/sign  { keyId, data: base64(UTF-8 message), alg: 'SM3withSM2' }
 *   ->   { code: 0, signature: r||s hex, publicKey }      (code != 0: refused, with `message`)
 *
 * Global fetch (undici, built into Node) keeps connections alive by default, so a busy worker
 * reuses its sockets. Every call has a timeout (5 s by default). The answer is checked before
 * it is returned: the public key must be the hospital's, and the signature must verify under
 * it (with a precomputed public-key table, ~1 ms), so a misconfigured server cannot put a
 * wrong signature on a bill.
 *
 * Errors name the server. Transport problems (refused connection, timeout, HTTP 5xx/429,
 * garbage) are plain Errors, worth retrying; a refusal or a key mismatch is a
 * SignerConfigError.
 */
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { failureCode } from '../exchange-code';
import { sm2 } from 'sm-crypto-v2';
import { SM2_DEFAULT_USER_ID } from '../../common/gm';
import { SIGNATURE_HEX, SignerConfigError, type Signer, type SignKeys } from './signer';

export interface RemoteSignerOptions {
  /** Base URL of the signing server, e.g. http://10.0.0.5:9000 (the path /sign is appended). */
  url: string;
  /** The key's id on the signing server. */
  keyId: string;
  /** The hospital's public key (130 hex): answers for any other key are rejected. */
  publicKey: string;
  /** Per-request timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Verify every returned signature locally; default true. */
  verify?: boolean;
  /** The exchange log: one entry per call to the signing server. */
  exchangeLog?: ExchangeSink;
}

interface SignResponse {
  code?: unknown;
  message?: unknown;
  signature?: unknown;
  publicKey?: unknown;
}

export class RemoteSigner implements Signer {
  readonly publicKey: string;
  readonly endpoint: string;
  private readonly keyId: string;
  private readonly timeoutMs: number;
  private readonly verify: boolean;
  private readonly closeCtl = new AbortController();
  private readonly exchangeLog: ExchangeSink;
  private pubPoint?: ReturnType<typeof sm2.precomputePublicKey>;

  constructor(opts: RemoteSignerOptions) {
    this.exchangeLog = opts.exchangeLog ?? NO_EXCHANGE_LOG;
    if (!opts.url) throw new SignerConfigError('RemoteSigner: the signing server URL is empty');
    if (!opts.keyId) throw new SignerConfigError(`RemoteSigner: no key id for signing server ${opts.url}`);
    if (!opts.publicKey || !sm2.verifyPublicKey(opts.publicKey)) {
      throw new SignerConfigError(`RemoteSigner: the configured public key for key "${opts.keyId}" is not a valid SM2 point`);
    }
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/sign`;
    this.keyId = opts.keyId;
    this.publicKey = opts.publicKey.toLowerCase();
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.verify = opts.verify ?? true;
  }

  async sign(message: string, keys?: SignKeys): Promise<string> {
    const sink = this.exchangeLog;
    if (sink === NO_EXCHANGE_LOG) return this.signOnce(message);
    const at = new Date();
    const started = performance.now();
    const request = { keyId: this.keyId, alg: 'SM3withSM2', data: message };
    const named = { ...(keys?.busNo ? { busNo: keys.busNo } : {}), ...(keys?.billNo ? { billNo: keys.billNo } : {}) };
    try {
      const signature = await this.signOnce(message);
      sink.record({ at, system: 'signer', method: 'POST /sign', direction: 'out', ...named, resultCode: '0', durationMs: Math.round(performance.now() - started), request, response: { code: 0, signature } });
      return signature;
    } catch (e) {
      sink.record({ at, system: 'signer', method: 'POST /sign', direction: 'out', ...named, resultCode: failureCode(e), durationMs: Math.round(performance.now() - started), request, response: { error: String((e as Error).message ?? e).slice(0, 2000) } });
      throw e;
    }
  }

  private async signOnce(message: string): Promise<string> {
    if (typeof message !== 'string') throw new TypeError(`message to sign must be a string, got ${typeof message}`);
    if (this.closeCtl.signal.aborted) throw new Error('RemoteSigner is closed');
    const where = `signing server ${this.endpoint} (key "${this.keyId}")`;
    const request = JSON.stringify({ keyId: this.keyId, data: Buffer.from(message, 'utf8').toString('base64'), alg: 'SM3withSM2' });
    let res: Response | undefined;
    let text = '';
    // Signing twice is harmless, so a kept-alive socket the server closed just as it was
    // reused (reset before any answer) is retried once on a fresh connection.
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await fetch(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: request,
          signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closeCtl.signal]),
        });
        text = await res.text();
      } catch (e) {
        if (attempt === 1 && !res && isStaleSocket(e) && !this.closeCtl.signal.aborted) continue;
        throw new Error(`${where}: ${describeFetchError(e, this.timeoutMs, this.closeCtl.signal.aborted)}`);
      }
    }
    if (res.status !== 200) {
      const msg = `${where} answered HTTP ${res.status}: ${snippet(text)}`;
      // 5xx, 429, 408: the server is busy or down; 4xx: this client sends something it does not accept
      if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(msg);
      throw new SignerConfigError(msg);
    }
    let body: SignResponse;
    try {
      body = JSON.parse(text) as SignResponse;
    } catch {
      throw new Error(`${where} answered with something other than JSON: ${snippet(text)}`);
    }
    if (body.code !== 0) {
      throw new SignerConfigError(`${where} refused to sign: code ${String(body.code)}${body.message ? `, ${String(body.message)}` : ''}`);
    }
    const sig = typeof body.signature === 'string' ? body.signature.toLowerCase() : '';
    if (!SIGNATURE_HEX.test(sig)) throw new Error(`${where} returned a malformed signature: ${snippet(String(body.signature))}`);
    if (typeof body.publicKey === 'string' && body.publicKey && !samePublicKey(body.publicKey, this.publicKey)) {
      throw new SignerConfigError(`${where} signs with public key ${body.publicKey.slice(0, 18)}…, not the hospital's ${this.publicKey.slice(0, 18)}…`);
    }
    if (this.verify) {
      this.pubPoint ??= sm2.precomputePublicKey(this.publicKey);
      if (!sm2.doVerifySignature(message, sig, this.pubPoint, { hash: true, userId: SM2_DEFAULT_USER_ID })) {
        throw new SignerConfigError(`${where} returned a signature that does not verify under the hospital's public key`);
      }
    }
    return sig;
  }

  async close(): Promise<void> {
    this.closeCtl.abort();
  }
}

function isStaleSocket(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
}

function samePublicKey(a: string, b: string): boolean {
  try {
    return sm2.comparePublicKeyHex(a, b);
  } catch {
    return false;
  }
}

function snippet(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t || '(empty body)';
}

/** A readable cause for a failed fetch: timeout, refused connection, DNS, reset... */
export function describeFetchError(e: unknown, timeoutMs: number, closed = false): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (closed) return 'request cancelled: the client was closed';
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms (timeout)`;
  if (err?.name === 'AbortError') return 'request aborted';
  const cause = err?.cause;
  if (cause?.code) return `unreachable (${cause.code}${cause.message ? `: ${cause.message}` : ''})`;
  return `request failed (${cause?.message ?? err?.message ?? String(e)})`;
}

/**
 * The public key the signing server holds for `keyId` (GET /keys/:keyId -> { code: 0, publicKey }):
 * with an external signing server the private key never leaves it, so the hospital's public key
 * is taken from it. Throws a readable error when the server is down or does not know the key.
 */
export async function signerPublicKey(url: string, keyId: string, timeoutMs = 5000): Promise<string> {
  const endpoint = `${url.replace(/\/+$/, '')}/keys/${encodeURIComponent(keyId)}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(endpoint, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (e) {
    throw new Error(`signing server ${endpoint}: ${describeFetchError(e, timeoutMs)}`);
  }
  let body: { code?: unknown; publicKey?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    /* answered below */
  }
  if (res.status !== 200 || body.code !== 0) {
    throw new SignerConfigError(`signing server ${endpoint} answered HTTP ${res.status}, code ${String(body.code)}: ${snippet(String(body.message ?? text))}`);
  }
  const pk = typeof body.publicKey === 'string' ? body.publicKey.toLowerCase() : '';
  if (!sm2.verifyPublicKey(pk)) throw new SignerConfigError(`signing server ${endpoint} answered a public key that is not a valid SM2 point`);
  return pk;
}
