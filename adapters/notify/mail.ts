/**
 * E-mail notices over SMTP (nodemailer): MEDBILL_SMTP_URL, e.g. smtp://user:pass@host:587
 * (STARTTLS when offered) or smtps://user:pass@host:465. The mail has a text and an HTML part with
 * the bill and its H5 link, and the bill's layout file (PDF) as attachment.
 *
 * Errors: an SMTP 5xx answer (550 unknown mailbox, 553 bad address, 554 rejected, 535 bad
 * credentials) is permanent -> NotifyPermanentError; 4xx (421 service not available, 450/451/452
 * try later), connection failures and timeouts are plain Errors, retried by the activity.
 *
 * Duplicates: SMTP has no idempotency key. The Message-ID is derived from the idempotency key
 * (`<bill-42-email@medbill>`), so that a send repeated after a crash between the server's 250 and
 * our database update carries the same Message-ID: mailbox providers and mail clients collapse
 * messages with one Message-ID (our simulator stores it once and counts the repeat). The window is
 * small: the notification row is marked sent right after the 250.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { NotifyPermanentError, type NoticeInput, type Notifier } from './notifier';
import { mailHtml, mailSubject, mailText } from './texts';

export interface MailNotifierOptions {
  /** smtp://user:pass@host:port or smtps://... (cfg.notify.mail.smtpUrl). */
  smtpUrl: string;
  /** Envelope and header sender address (cfg.notify.mail.from). */
  from: string;
  /** Domain part of the Message-ID; default "medbill". */
  messageIdDomain?: string;
  timeoutMs?: number;
}

/** The SMTP server, without the password, for error messages. */
function redactSmtp(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || (u.protocol === 'smtps:' ? '465' : '587')}`;
  } catch {
    return 'smtp (bad MEDBILL_SMTP_URL)';
  }
}

export class MailNotifier implements Notifier {
  readonly channel = 'email' as const;
  private readonly transport: nodemailer.Transporter<SMTPTransport.SentMessageInfo>;
  private readonly domain: string;
  private readonly where: string;

  constructor(private readonly opts: MailNotifierOptions) {
    const timeout = opts.timeoutMs ?? 10_000;
    const u = new URL(opts.smtpUrl);
    this.where = redactSmtp(opts.smtpUrl);
    this.domain = opts.messageIdDomain ?? 'medbill';
    this.transport = nodemailer.createTransport({
      host: u.hostname,
      port: Number(u.port) || (u.protocol === 'smtps:' ? 465 : 587),
      secure: u.protocol === 'smtps:',
      auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      name: 'medbill',
    });
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
    if (!to) throw new NotifyPermanentError('email', '553', 'email: no address');
    const messageId = this.messageId(n.idempotencyKey);
    try {
      const info = await this.transport.sendMail({
        from: { name: n.hospitalName, address: this.opts.from },
        to,
        subject: mailSubject(n),
        text: mailText(n),
        html: mailHtml(n),
        messageId,
        headers: { 'X-Medbill-Bill': `${n.billBatchCode}-${n.billNo}` },
        attachments: n.pdfPath ? [{ filename: `${n.billBatchCode}-${n.billNo}.pdf`, path: n.pdfPath, contentType: 'application/pdf' }] : [],
      });
      if (info.rejected?.length) throw new NotifyPermanentError('email', '550', `smtp ${this.where} rejected ${to}: ${info.response ?? ''}`.trim());
      return { providerId: info.messageId || messageId };
    } catch (e) {
      if (e instanceof NotifyPermanentError) throw e;
      const err = e as Error & { responseCode?: number; code?: string; response?: string };
      const detail = (err.response ?? `${err.code ? `${err.code} ` : ''}${err.message}`).replace(/\s+/g, ' ').slice(0, 300);
      const msg = `smtp ${this.where} did not take the mail to ${to}: ${detail}`;
      if (err.responseCode && err.responseCode >= 500) throw new NotifyPermanentError('email', String(err.responseCode), msg);
      if (err.code === 'EENVELOPE' && !err.responseCode) throw new NotifyPermanentError('email', 'EENVELOPE', msg); // nodemailer found no valid recipient
      throw new Error(msg);
    }
  }

  close(): void {
    this.transport.close();
  }
}
