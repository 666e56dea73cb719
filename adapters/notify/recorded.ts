/**
 * The exchange log of patient notices: one entry per notice sent (SMS gateway, SMTP, WeChat
 * template message, WeChat card pack). The recorded request is the notice as the platform hands it
 * over (recipient, bill facts: personal data, sealed by the sink); no gateway secret, access token
 * or SMTP password is part of it. A WeChat access-token fetch is part of the send it serves.
 */
import type { ExchangeSink, ExchangeSystem } from '../../common/exchange';
import { NO_EXCHANGE_LOG } from '../../common/exchange';
import { failureCode } from '../exchange-code';
import type { NoticeChannel, NoticeInput, Notifier } from './notifier';

const SYSTEM: Record<NoticeChannel, ExchangeSystem> = { sms: 'sms', email: 'email', wechat: 'wechat', card: 'card-pack' };
const METHOD: Record<NoticeChannel, string> = {
  sms: 'POST /send',
  email: 'SMTP sendMail',
  wechat: 'POST /cgi-bin/message/template/send',
  card: 'POST /nontax/insertbill',
};

/** `n` whose every send records one exchange on `sink` (the same object back when there is no log). */
export function recordedNotifier(n: Notifier, sink: ExchangeSink): Notifier {
  if (sink === NO_EXCHANGE_LOG) return n;
  return {
    channel: n.channel,
    async send(input: NoticeInput) {
      const at = new Date();
      const started = performance.now();
      // a shallow copy: the caller may reuse its notice object after the send
      const request = { ...input, ...(input.refund ? { refund: { ...input.refund } } : {}) };
      const base = {
        at, system: SYSTEM[n.channel], method: METHOD[n.channel], direction: 'out' as const,
        billNo: input.billNo || undefined, ...(input.refund ? { refundNo: input.refund.refundNo } : {}),
      };
      try {
        const r = await n.send(input);
        sink.record({ ...base, resultCode: 'ok', durationMs: Math.round(performance.now() - started), request, response: { ...r } });
        return r;
      } catch (e) {
        sink.record({ ...base, resultCode: failureCode(e), durationMs: Math.round(performance.now() - started), request, response: { error: String((e as Error).message ?? e).slice(0, 2000) } });
        throw e;
      }
    },
  };
}
