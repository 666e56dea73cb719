/**
 * LocalSigner: SM3withSM2 signatures with the hospital's private key, held in memory only
 * (the database keeps it SM4-encrypted; the caller decrypts it and passes it in), computed on
 * a pool of worker threads so signing never blocks the event loop of the Temporal worker.
 *
 * - Dispatch goes to the least-busy thread (fewest requests in flight; ties rotate
 *   round-robin). Requests queued in the same tick go to a thread as one batch message.
 * - Back-pressure: at most `maxInFlightPerWorker` requests sit in a thread's inbox; the rest
 *   wait in a FIFO here, and beyond `maxQueue` sign() rejects at once instead of growing
 *   memory without bound.
 * - An error while signing one message rejects that request only. A thread that dies
 *   (uncaught error, terminate, OOM) rejects the requests it held and is replaced; if new
 *   threads keep dying before they are ready the signer gives up and rejects everything.
 * - close() lets queued and in-flight requests finish (bounded by `drainMs`), then
 *   terminates the threads. Threads are unref'd while idle, so a signer never keeps the
 *   process alive by itself.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sm2 } from 'sm-crypto-v2';
import { SM2_DEFAULT_USER_ID } from '../../common/gm';
import { SIGN_WORKER_SOURCE } from './sign-worker-source';
import { makeFastSign } from './fast-sign';
import { randomBytes } from 'node:crypto';
import { sm3 } from 'sm-crypto-v2';
import { SignerConfigError, type Signer } from './signer';

export interface LocalSignerOptions {
  /** SM2 private key, 64 hex (already decrypted). Never logged. */
  privateKey: string;
  /** The matching public key (130 hex, or compressed 66); derived from the private key if absent. */
  publicKey?: string;
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  /** SM2 user ID for Z; default 1234567812345678 (GB/T 35276). */
  userId?: string;
  /** Requests handed to one thread before it has answered; default 32. */
  maxInFlightPerWorker?: number;
  /** Requests per message to a thread; default 8. */
  batchSize?: number;
  /** Requests waiting for a thread before sign() rejects with "overloaded"; default 100000. */
  maxQueue?: number;
  /** wNAF window of the precomputed base point (8..14); default 10 (≈+3 MB per thread, ~0.2 s start). */
  precomputeWindow?: number;
  /** How long close() waits for outstanding requests; default 2000 ms. */
  drainMs?: number;
}

interface Pending {
  id: number;
  msg: unknown;
  resolve: (sig: string) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  threadId: number;
  inFlight: Map<number, Pending>;
  ready: boolean;
  mode?: 'fast' | 'library';
  lastError?: Error;
}

type FromWorker =
  | { type: 'ready'; mode: 'fast' | 'library' }
  | { type: 'done'; results: Array<{ id: number; sig?: string; err?: string }> };

const HEX64 = /^[0-9a-fA-F]{64}$/;
const SM2_N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');
const MAX_STARTUP_FAILURES = 3;

export interface LocalSignerStats {
  threads: number;
  ready: number;
  modes: Array<'fast' | 'library' | 'starting'>;
  inFlight: number;
  queued: number;
  signed: number;
  failed: number;
  replaced: number;
}

export class LocalSigner implements Signer {
  readonly publicKey: string;
  readonly threads: number;

  /** Holds the private key: an ES private field, so util.inspect / JSON never show it. */
  readonly #workerData: { modulePath: string; privateKey: string; publicKey: string; userId: string; window: number };
  private readonly maxInFlight: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly drainMs: number;
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private queueHead = 0;
  private nextId = 1;
  private rr = 0;
  private dispatchScheduled = false;
  private closing = false;
  private closed?: Promise<void>;
  private fatal?: Error;
  private startupFailures = 0;
  private counters = { signed: 0, failed: 0, replaced: 0 };
  private drainWaiters: Array<() => void> = [];

  constructor(opts: LocalSignerOptions) {
    const privateKey = String(opts.privateKey ?? '').toLowerCase();
    if (!HEX64.test(privateKey)) throw new SignerConfigError('LocalSigner: the SM2 private key must be 64 hex characters');
    const d = BigInt('0x' + privateKey);
    if (d < 1n || d > SM2_N - 2n) throw new SignerConfigError('LocalSigner: the SM2 private key is out of range');
    const derived = sm2.getPublicKeyFromPrivateKey(privateKey);
    let publicKey = derived;
    if (opts.publicKey) {
      let same = false;
      try {
        same = sm2.comparePublicKeyHex(opts.publicKey, derived);
      } catch {
        same = false;
      }
      if (!same) throw new SignerConfigError('LocalSigner: the public key does not belong to the private key');
      publicKey = opts.publicKey.length === 130 ? opts.publicKey.toLowerCase() : derived;
    }
    this.publicKey = publicKey;
    this.threads = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
    this.maxInFlight = Math.max(1, opts.maxInFlightPerWorker ?? 32);
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 8, this.maxInFlight));
    this.maxQueue = Math.max(0, opts.maxQueue ?? 100_000);
    this.drainMs = opts.drainMs ?? 2000;
    const window = opts.precomputeWindow ?? 10;
    if (!Number.isInteger(window) || window < 2 || window > 16) throw new RangeError('LocalSigner: precomputeWindow must be an integer 2..16');
    this.#workerData = {
      modulePath: require.resolve('sm-crypto-v2'),
      privateKey,
      publicKey,
      userId: opts.userId ?? SM2_DEFAULT_USER_ID,
      window,
    };
    for (let i = 0; i < this.threads; i++) this.slots.push(this.spawn());
  }

  #inline?: (message: string) => string;

  signInline(message: string): string {
    if (typeof message !== 'string') throw new TypeError(`message to sign must be a string, got ${typeof message}`);
    if (!this.#inline) {
      const d = this.#workerData;
      const fast = makeFastSign({ sm2, sm3, randomBytes, privateKey: d.privateKey, publicKey: d.publicKey, userId: d.userId, window: d.window });
      const probe = `medbill inline signer self-test ${Date.now()}`;
      const ok = sm2.doVerifySignature(probe, fast(probe), d.publicKey, { hash: true, userId: d.userId });
      this.#inline = ok ? fast : (m: string) => sm2.doSignature(m, d.privateKey, { hash: true, publicKey: d.publicKey, userId: d.userId });
    }
    return this.#inline(message);
  }

  sign(message: string): Promise<string> {
    if (typeof message !== 'string') return Promise.reject(new TypeError(`message to sign must be a string, got ${typeof message}`));
    return this.submit(message);
  }

  /** @internal For tests: sends `msg` to a thread without the type check (the thread rejects non-strings). */
  _signUnchecked(msg: unknown): Promise<string> {
    return this.submit(msg);
  }

  private submit(message: unknown): Promise<string> {
    if (this.closing) return Promise.reject(new Error('LocalSigner is closed'));
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.queue.length - this.queueHead >= this.maxQueue) {
      return Promise.reject(new Error(`LocalSigner overloaded: ${this.maxQueue} requests already waiting`));
    }
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, msg: message, resolve, reject });
      this.scheduleDispatch();
    });
  }

  /** Resolves once every thread has started and passed its self-test. */
  async ready(): Promise<void> {
    while (!this.fatal && !this.closing && this.slots.some((s) => !s.ready)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.fatal) throw this.fatal;
  }

  stats(): LocalSignerStats {
    return {
      threads: this.slots.length,
      ready: this.slots.filter((s) => s.ready).length,
      modes: this.slots.map((s) => s.mode ?? 'starting'),
      inFlight: this.slots.reduce((n, s) => n + s.inFlight.size, 0),
      queued: this.queue.length - this.queueHead,
      ...this.counters,
    };
  }

  /** @internal For tests: the live worker threads. */
  _workers(): readonly Worker[] {
    return this.slots.map((s) => s.worker);
  }

  close(): Promise<void> {
    return (this.closed ??= this.doClose());
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    if (this.outstanding() > 0) {
      await Promise.race([
        new Promise<void>((r) => this.drainWaiters.push(r)),
        new Promise<void>((r) => setTimeout(r, this.drainMs).unref()),
      ]);
    }
    const err = new Error('LocalSigner closed before the request was signed');
    this.failQueue(err);
    const slots = this.slots;
    this.slots = [];
    await Promise.all(
      slots.map(async (s) => {
        for (const p of s.inFlight.values()) p.reject(err);
        s.inFlight.clear();
        await s.worker.terminate();
      }),
    );
  }

  private outstanding(): number {
    return this.queue.length - this.queueHead + this.slots.reduce((n, s) => n + s.inFlight.size, 0);
  }

  private spawn(): Slot {
    const worker = new Worker(SIGN_WORKER_SOURCE, { eval: true, workerData: this.#workerData, name: 'medbill-sm2-signer' });
    const slot: Slot = { worker, threadId: worker.threadId, inFlight: new Map(), ready: false };
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
    worker.on('error', (e) => {
      slot.lastError = e;
    });
    worker.on('messageerror', (e) => {
      slot.lastError = e;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') {
      slot.ready = true;
      slot.mode = m.mode;
      this.startupFailures = 0;
      return;
    }
    for (const r of m.results) {
      const p = slot.inFlight.get(r.id);
      if (!p) continue;
      slot.inFlight.delete(r.id);
      if (r.sig !== undefined) {
        this.counters.signed++;
        p.resolve(r.sig);
      } else {
        this.counters.failed++;
        p.reject(new Error(`SM2 signing failed: ${r.err}`));
      }
    }
    if (slot.inFlight.size === 0) slot.worker.unref();
    this.dispatch();
    this.checkDrained();
  }

  private onExit(slot: Slot, code: number): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // closed
    this.slots.splice(i, 1);
    const why = slot.lastError ? slot.lastError.message : `exit code ${code}`;
    const err = new Error(`SM2 signing thread ${slot.threadId} died (${why}); the request was not signed`);
    for (const p of slot.inFlight.values()) {
      this.counters.failed++;
      p.reject(err);
    }
    slot.inFlight.clear();
    if (this.closing) return this.checkDrained();
    if (!slot.ready && ++this.startupFailures >= MAX_STARTUP_FAILURES) {
      this.fatal = new Error(`LocalSigner: signing threads fail to start (${why})`);
      this.failQueue(this.fatal);
      for (const s of this.slots.splice(0)) {
        for (const p of s.inFlight.values()) p.reject(this.fatal);
        void s.worker.terminate();
      }
      return;
    }
    this.counters.replaced++;
    this.slots.push(this.spawn());
    this.dispatch();
  }

  private failQueue(err: Error): void {
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i].reject(err);
    this.queue = [];
    this.queueHead = 0;
  }

  private checkDrained(): void {
    if (this.closing && this.outstanding() === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const n = this.slots.length;
    while (this.queueHead < this.queue.length && n > 0) {
      // least busy thread; ties broken round-robin
      let best: Slot | undefined;
      for (let j = 0; j < n; j++) {
        const s = this.slots[(this.rr + j) % n];
        if (s.inFlight.size >= this.maxInFlight) continue;
        if (!best || s.inFlight.size < best.inFlight.size) best = s;
      }
      if (!best) break;
      this.rr = (this.rr + 1) % n;
      const take = Math.min(this.batchSize, this.maxInFlight - best.inFlight.size, this.queue.length - this.queueHead);
      const batch: Array<{ id: number; msg: unknown }> = new Array(take);
      for (let k = 0; k < take; k++) {
        const p = this.queue[this.queueHead++];
        best.inFlight.set(p.id, p);
        batch[k] = { id: p.id, msg: p.msg };
      }
      if (best.inFlight.size === take) best.worker.ref();
      try {
        best.worker.postMessage({ type: 'sign', batch });
      } catch (e) {
        // not cloneable (only possible through _signUnchecked) or the thread is gone
        for (const b of batch) {
          const p = best.inFlight.get(b.id);
          best.inFlight.delete(b.id);
          this.counters.failed++;
          p?.reject(new Error(`SM2 signing failed: ${(e as Error).message}`));
        }
        if (best.inFlight.size === 0) best.worker.unref();
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }
}
