/**
 * Patient-notice adapters. `createNotifiers(cfg)` makes one per channel whose gateway URL is
 * set (cfg.notify: sms.url, mail.smtpUrl, wechat.url; by default all point at the simulators), plus the
 * WeChat card-pack inserter (channel `card`) beside the WeChat template messages.
 */
import type { Config } from '../../config';
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { recordedNotifier } from './recorded';
import { MailNotifier } from './mail';
import type { Notifier } from './notifier';
import { SmsNotifier } from './sms';
import { WechatNotifier } from './wechat';
import { WechatCardInserter } from './wechat-card';

export { NotifyPermanentError, type NoticeChannel, type NoticeInput, type Notifier } from './notifier';
export { recordedNotifier } from './recorded';
export { SmsNotifier, type SmsNotifierOptions } from './sms';
export { MailNotifier, type MailNotifierOptions } from './mail';
export { WechatNotifier, type WechatNotifierOptions } from './wechat';
export { WechatCardInserter, type WechatCardOptions } from './wechat-card';
export { smsText, mailSubject, mailHtml, mailText, wechatData, beijingTime, SMS_TEMPLATE_CODE, SMS_TEMPLATE_TEXT } from './texts';

export interface NotifierSettings {
  timeoutMs: number;
  smsTemplateCode?: string;
  smsScarletTemplateCode?: string;
  smsRefundTemplateCode?: string;
  smsCodeTemplateCode?: string;
  wechatAppId: string;
  wechatSecret: string;
  wechatTemplateId: string;
  wechatRefundTemplateId: string;
}

export function createNotifiers(cfg: Config, settings: Partial<NotifierSettings> = {}, exchangeLog: ExchangeSink = NO_EXCHANGE_LOG): Notifier[] {
  const s: NotifierSettings = {
    timeoutMs: 10_000,
    smsTemplateCode: cfg.notify.sms.template,
    smsScarletTemplateCode: cfg.notify.sms.scarletTemplate,
    smsRefundTemplateCode: cfg.notify.sms.refundTemplate,
    smsCodeTemplateCode: cfg.notify.sms.codeTemplate,
    wechatAppId: cfg.notify.wechat.appId,
    wechatSecret: cfg.notify.wechat.secret,
    wechatTemplateId: cfg.notify.wechat.templateId,
    wechatRefundTemplateId: cfg.notify.wechat.refundTemplateId,
    ...settings,
  };
  const out: Notifier[] = [];
  if (cfg.notify.sms.url) out.push(new SmsNotifier({ url: cfg.notify.sms.url, templateCode: s.smsTemplateCode, scarletTemplateCode: s.smsScarletTemplateCode, refundTemplateCode: s.smsRefundTemplateCode, codeTemplateCode: s.smsCodeTemplateCode, timeoutMs: s.timeoutMs }));
  if (cfg.notify.mail.smtpUrl) out.push(new MailNotifier({ smtpUrl: cfg.notify.mail.smtpUrl, from: cfg.notify.mail.from, timeoutMs: s.timeoutMs }));
  if (cfg.notify.wechat.url) {
    const wechat = new WechatNotifier({ url: cfg.notify.wechat.url, appId: s.wechatAppId, secret: s.wechatSecret, templateId: s.wechatTemplateId, refundTemplateId: s.wechatRefundTemplateId, timeoutMs: s.timeoutMs });
    out.push(wechat);
    out.push(new WechatCardInserter({ url: cfg.notify.wechat.url, appId: s.wechatAppId, cardId: cfg.notify.wechat.cardId, tokens: wechat, timeoutMs: s.timeoutMs }));
  }
  return out.map((n) => recordedNotifier(n, exchangeLog));
}
