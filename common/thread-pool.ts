/**
 * A small pool of worker threads running one compiled module that answers
 * `{ id, fn, args }` with `{ id, ok, result | error }`. CPU-heavy work (layout PDFs, QR codes) runs
 * here so that it never blocks the event loop that carries HIS calls and the issuing transaction.
 * A thread that dies rejects what it held and is replaced.
 */
import { Worker } from 'node:worker_threads';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

export class ThreadPool {
  private slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    size: number,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.file), pending: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    const fail = (e: Error) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => !this.closed && code !== 0 && fail(new Error(`worker thread exited with ${code}`)));
    return slot;
  }

  run<T>(fn: string, args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('thread pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, fn, args });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
