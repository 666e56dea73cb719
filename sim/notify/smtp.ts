/**
 * The simulated mail server: a real SMTP server (smtp-server) that accepts mail, parses it and
 * hands it to the notify simulator's message store. It behaves like a provider's submission
 * server: AUTH PLAIN/LOGIN accepted (any user), no TLS, and answers
 *   421 4.3.2 at connect while the `mail` fault is `down` (service not available: try later),
 *   451 4.3.0 after DATA for a share of messages while `flaky`,
 *   550 5.1.1 at RCPT for an unknown mailbox (local part starting with `unknown` or `nosuch`),
 *   553 5.1.3 at RCPT for an address that is not one,
 *   a late 250 while `slow` (the mail is kept: like a server whose answer got lost).
 */
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { parseMail, type ParsedMail } from './mime';

export interface SmtpFault {
  mode: 'ok' | 'down' | 'slow' | 'flaky';
  delayMs: number;
  failRate: number;
}

export interface SmtpSimOptions {
  port: number;
  host: string;
  fault(): SmtpFault;
  sleep(ms: number): Promise<void>;
  /** Called once per accepted message, with the SMTP envelope and the parsed mail. */
  deliver(envelope: { from: string; to: string[]; user?: string }, mail: ParsedMail, raw: Buffer): void;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const UNKNOWN_MAILBOX = /^(unknown|nosuch)/i;

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

export async function startSmtpSim(opts: SmtpSimOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    name: 'smtp.sim.medbill',
    banner: 'medbill SMTP simulator',
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: true,
    size: 20 * 1024 * 1024,
    logger: false,
    closeTimeout: 200, // stopping the simulator ends open sessions soon instead of after 30 s
    onConnect(_session, cb) {
      if (opts.fault().mode === 'down') return cb(smtpError(421, '4.3.2 Service not available, try again later (simulated outage)'));
      cb();
    },
    onAuth(auth, _session, cb) {
      if (!auth.username) return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
      cb(null, { user: auth.username });
    },
    onRcptTo(address, _session, cb) {
      const a = address.address;
      if (!EMAIL.test(a) || a.length > 254) return cb(smtpError(553, `5.1.3 Bad recipient address syntax: <${a}>`));
      if (UNKNOWN_MAILBOX.test(a)) return cb(smtpError(550, `5.1.1 <${a}>: Recipient address rejected: mailbox unavailable`));
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        void (async () => {
          if (stream.sizeExceeded) return cb(smtpError(552, '5.3.4 Message size exceeds fixed limit'));
          const f = opts.fault();
          if (f.mode === 'flaky' && Math.random() < f.failRate) return cb(smtpError(451, '4.3.0 Temporary local problem, try again later (simulated)'));
          const raw = Buffer.concat(chunks);
          let mail: ParsedMail;
          try {
            mail = parseMail(raw);
          } catch (e) {
            return cb(smtpError(554, `5.6.0 Message not readable: ${(e as Error).message}`));
          }
          opts.deliver(
            {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              user: typeof session.user === 'string' ? session.user : undefined,
            },
            mail,
            raw,
          );
          if (f.mode === 'slow') await opts.sleep(f.delayMs);
          cb(null, `2.0.0 Ok: queued as ${mail.messageId || 'message'}`);
        })();
      });
    },
  });
  server.on('error', () => undefined); // a client that goes away mid-session is not our problem
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
      })),
  };
}
