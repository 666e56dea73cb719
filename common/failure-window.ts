/**
 * Failures counted per key (an address, a bill number) in a window that starts at the key's first
 * failure: once `limit` failures are in, the key is blocked until the window ends. In memory, per
 * process, with a bounded number of keys (the oldest windows are dropped first), so a flood of
 * distinct keys cannot grow it without end.
 */
export class FailureWindow {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 50_000,
  ) {}

  private live(key: string, now: number) {
    const w = this.windows.get(key);
    if (w && now - w.start >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string, now = Date.now()): number {
    const w = this.live(key, now);
    return w && w.failures >= this.limit ? w.start + this.windowMs - now : 0;
  }

  /** Counts one failure of `key`. */
  fail(key: string, now = Date.now()): void {
    const w = this.live(key, now);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxKeys) {
      // Maps keep insertion order: the first keys are the oldest windows.
      for (const k of this.windows.keys()) {
        this.windows.delete(k);
        if (this.windows.size < this.maxKeys) break;
      }
    }
    this.windows.set(key, { start: now, failures: 1 });
  }
}

/** "5 分钟" / "40 秒": a wait as a person reads it. */
export const waitText = (ms: number) => (ms >= 60_000 ? `${Math.ceil(ms / 60_000)} 分钟` : `${Math.max(1, Math.ceil(ms / 1000))} 秒`);
