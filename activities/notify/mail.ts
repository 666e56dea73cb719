/**
 * E-mail notices through an HTTP mail API:
 *   POST {mailUrl}/send { to, subject, html, messageId } -> { accepted: [to], messageId }
 * A bad address is HTTP 400 { error }. The Message-ID is derived from the idempotency key, and
 * the gateway deduplicates on it.
 */
import { fetchJson, snippet } from './http';
import { NotifyPermanentError, type NoticeInput, type Notifier } from './notifier';
import { mailHtml, mailSubject } from './texts';

export interface MailNotifierOptions {
  /** Gateway base URL (Config.mailUrl); the path /send is appended. */
  url: string;
  /** Domain part of the Message-ID; default "medbill". */
  messageIdDomain?: string;
  timeoutMs?: number;
}

export class MailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly endpoint: string;
  private readonly domain: string;
  private readonly timeoutMs: number;

  constructor(opts: MailNotifierOptions) {
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/send`;
    this.domain = opts.messageIdDomain ?? 'medbill';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** RFC 5322 Message-ID from the idempotency key: bytes other than [A-Za-z0-9_-] become =XX (one to one). */
  messageId(idempotencyKey: string): string {
    const local = idempotencyKey.replace(/[^A-Za-z0-9_-]/gu, (c) =>
      [...Buffer.from(c, 'utf8')].map((b) => '=' + b.toString(16).toUpperCase().padStart(2, '0')).join(''),
    );
    return `<${local}@${this.domain}>`;
  }

  async send(n: NoticeInput): Promise<{ providerId: string }> {
    const to = n.target.trim();
    if (!to) throw new NotifyPermanentError('email', '400', 'email: no address');
    const messageId = this.messageId(n.idempotencyKey);
    const r = await fetchJson('mail gateway', this.endpoint, {
      method: 'POST',
      body: { to, subject: mailSubject(n), html: mailHtml(n), messageId },
      timeoutMs: this.timeoutMs,
    });
    const b = r.body as { accepted?: unknown; messageId?: unknown; error?: unknown } | undefined;
    if (r.status === 200 && b && Array.isArray(b.accepted)) {
      if (b.accepted.length === 0) throw new NotifyPermanentError('email', 'rejected', `mail gateway ${this.endpoint} did not accept ${to}`);
      return { providerId: typeof b.messageId === 'string' && b.messageId ? b.messageId : messageId };
    }
    const reason = b && typeof b.error === 'string' ? b.error : snippet(r.text);
    const msg = `mail gateway ${this.endpoint} refused ${to}: HTTP ${r.status} ${reason}`;
    // 400/422: this message can never be sent (bad address, bad content); everything else may pass later
    if (r.status === 400 || r.status === 422) throw new NotifyPermanentError('email', String(r.status), msg);
    throw new Error(msg);
  }
}
