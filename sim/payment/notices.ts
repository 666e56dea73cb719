/**
 * The payment simulators' notice sender: posts a signed notice to the merchant's notify_url, and
 * when it is not answered with success (within 5 s) tries again on the platform's schedule,
 * divided by the time scale. An answered notice is sometimes delivered once more (the duplicate
 * probability), or a forced number of extra times; extra copies carry the same notice id, are
 * sent together (as crowded retries arrive) and each is retried until answered like any notice.
 * Every attempt and its answer is recorded for /_sim/notices.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { chinaTime } from '../../common/china-time';
export interface NoticeAttempt {
  at: string;
  /** HTTP status, or null when nothing came back (refused, timed out). */
  status: number | null;
  body: string;
  error?: string;
  ok: boolean;
}

export interface SimNotice {
  /** This delivery's sequence number (a duplicate copy has its own). */
  seq: number;
  /** The notice's id as the merchant sees it (a copy repeats it). */
  noticeId: string;
  outRefundNo: string;
  url: string;
  /** Set on a duplicate copy: the seq it copies. */
  copyOf?: number;
  /** What the sender needs to sign and post it again (the simulator's own fields). */
  payload: Record<string, unknown>;
  attempts: NoticeAttempt[];
  state: 'pending' | 'delivered' | 'given_up';
  nextAt?: string;
}

export interface NoticeSenderOptions {
  /** Delays before each retry (ms of real platform time); length = number of retries. */
  schedule: number[];
  timeScale: () => number;
  duplicateRate: () => number;
  /** Builds the HTTP request of one attempt (fresh signature each time). */
  build(n: SimNotice): { headers: Record<string, string>; body: string };
  /** Whether the merchant's answer means "received". */
  isSuccess(status: number, body: string): boolean;
  /** Called after every change (persist). */
  changed(): void;
  timeoutMs?: number;
}

export class NoticeSender {
  private timers = new Map<number, NodeJS.Timeout>();
  private inflight = new Set<Promise<void>>();
  private closed = false;
  /** Extra copies to send of the next answered notice (POST /_sim/faults { duplicateNotices }). */
  forcedDuplicates = 0;

  constructor(
    private readonly notices: SimNotice[],
    private readonly opts: NoticeSenderOptions,
  ) {}

  private nextSeq(): number {
    return this.notices.reduce((m, n) => Math.max(m, n.seq), 0) + 1;
  }

  /** Queues a new notice and sends its first attempt now. */
  send(n: Omit<SimNotice, 'seq' | 'attempts' | 'state'>): SimNotice {
    const notice: SimNotice = { ...n, seq: this.nextSeq(), attempts: [], state: 'pending', nextAt: new Date().toISOString() };
    this.notices.push(notice);
    this.opts.changed();
    this.schedule(notice, 0);
    return notice;
  }

  /** After a restart: picks up every pending delivery where its schedule left it. */
  resume(): void {
    for (const n of this.notices) if (n.state === 'pending') this.schedule(n, Math.max(0, Date.parse(n.nextAt ?? '') - Date.now() || 0));
  }

  private schedule(n: SimNotice, delayMs: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(n.seq);
      const p = this.attempt(n).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, delayMs);
    this.timers.set(n.seq, t);
  }

  private async attempt(n: SimNotice): Promise<void> {
    const { headers, body } = this.opts.build(n);
    const at = new Date().toISOString();
    let rec: NoticeAttempt;
    try {
      const res = await fetch(n.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
      const text = await res.text();
      rec = { at, status: res.status, body: text.slice(0, 500), ok: this.opts.isSuccess(res.status, text) };
    } catch (e) {
      rec = { at, status: null, body: '', error: (e as Error).message, ok: false };
    }
    if (this.closed) return;
    n.attempts.push(rec);
    if (rec.ok) {
      n.state = 'delivered';
      n.nextAt = undefined;
      if (n.copyOf === undefined) {
        let extra = 0;
        if (this.forcedDuplicates > 0) {
          extra = this.forcedDuplicates;
          this.forcedDuplicates = 0;
        } else if (Math.random() < this.opts.duplicateRate()) {
          extra = 1;
        }
        for (let i = 0; i < extra; i++) this.send({ noticeId: n.noticeId, outRefundNo: n.outRefundNo, url: n.url, payload: n.payload, copyOf: n.seq });
      }
    } else {
      const retry = n.attempts.length - 1;
      if (retry < this.opts.schedule.length) {
        const delay = Math.round(this.opts.schedule[retry]! / this.opts.timeScale());
        n.nextAt = new Date(Date.now() + delay).toISOString();
        this.schedule(n, delay);
      } else {
        n.state = 'given_up';
        n.nextAt = undefined;
      }
    }
    this.opts.changed();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }
}

const s = 1000;
const m = 60 * s;
const h = 60 * m;
/** WeChat Pay v3: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h. */
export const WECHAT_NOTICE_SCHEDULE = [15 * s, 15 * s, 30 * s, 3 * m, 10 * m, 20 * m, 30 * m, 30 * m, 30 * m, 60 * m, 3 * h, 3 * h, 3 * h, 6 * h, 6 * h];
/** Alipay: 8 deliveries in 25 h: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first. */
export const ALIPAY_NOTICE_SCHEDULE = [4 * m, 10 * m, 10 * m, 1 * h, 2 * h, 6 * h, 15 * h];

/** Loads a simulator's JSON state file, or the empty state. */
export function loadState<T>(file: string, empty: () => T): T {
  try {
    return { ...empty(), ...(JSON.parse(fs.readFileSync(file, 'utf8')) as T) };
  } catch {
    return empty();
  }
}

/** Writes the state atomically (temp file + rename). */
export function saveState(file: string, state: unknown): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

/** Reads a raw request body (at most 1 MB) as text. */
export async function readText(req: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** China Standard Time as RFC 3339 (WeChat) or `yyyy-MM-dd HH:mm:ss` (Alipay). */
export function cst(d: Date, style: 'rfc3339' | 'alipay'): string {
  const t = chinaTime(d);
  return style === 'rfc3339' ? `${t.date}T${t.time}+08:00` : t.text;
}

/** The fault switches both payment simulators share (`POST /_sim/faults`). */
export interface PaymentSimFault<Outcome extends string> {
  mode: 'ok' | 'down' | 'slow';
  delayMs: number;
  errorCode: string;
  errorCount: number;
  refundOutcome: Outcome;
  refundDelayMs: number;
  partialGapMs?: number;
  duplicateRate: number;
  timeScale: number;
}

/**
 * Applies a `/_sim/faults` body to `fault` (and the sender's forced duplicates); answers the reason
 * when a value is not allowed, leaving nothing half-applied for that field.
 */
export function applyPaymentFaults<O extends string>(b: Record<string, any>, fault: PaymentSimFault<O>, sender: { forcedDuplicates: number }, outcomes: readonly O[]): string | undefined {
  if (b.mode !== undefined) {
    if (!['ok', 'down', 'slow'].includes(b.mode)) return 'mode must be ok|down|slow';
    fault.mode = b.mode;
    fault.delayMs = b.mode === 'slow' ? (Number.isSafeInteger(b.delayMs) ? b.delayMs : 3000) : 0;
  }
  if (b.errorCode !== undefined) {
    fault.errorCode = String(b.errorCode);
    fault.errorCount = Number.isSafeInteger(b.errorCount) ? b.errorCount : 1;
  }
  if (b.refundOutcome !== undefined) {
    if (!outcomes.includes(b.refundOutcome)) return `refundOutcome must be ${outcomes.join('|')}`;
    fault.refundOutcome = b.refundOutcome;
  }
  if (Number.isSafeInteger(b.duplicateNotices)) sender.forcedDuplicates = b.duplicateNotices;
  if (Number.isSafeInteger(b.refundDelayMs)) fault.refundDelayMs = b.refundDelayMs;
  if (fault.partialGapMs !== undefined && Number.isSafeInteger(b.partialGapMs)) fault.partialGapMs = b.partialGapMs;
  if (typeof b.duplicateRate === 'number') fault.duplicateRate = b.duplicateRate;
  if (typeof b.timeScale === 'number' && b.timeScale > 0) fault.timeScale = b.timeScale;
  return undefined;
}
