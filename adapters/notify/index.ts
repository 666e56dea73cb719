/**
 * Patient-notice adapters. `createNotifiers(cfg)` makes one per channel whose gateway URL is
 * set (Config.smsUrl, smtpUrl, wechatUrl; by default all point at the simulators), plus the
 * WeChat card-pack inserter (channel `card`) beside the WeChat template messages.
 */
import type { Config } from '../../config';
import { MailNotifier } from './mail';
import type { Notifier } from './notifier';
import { SmsNotifier } from './sms';
import { WechatNotifier } from './wechat';
import { WechatCardInserter } from './wechat-card';

export { NotifyPermanentError, type NoticeChannel, type NoticeInput, type Notifier } from './notifier';
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
  wechatAppId: string;
  wechatSecret: string;
  wechatTemplateId: string;
  wechatRefundTemplateId: string;
}

export function createNotifiers(cfg: Config, settings: Partial<NotifierSettings> = {}): Notifier[] {
  const s: NotifierSettings = {
    timeoutMs: 10_000,
    smsTemplateCode: cfg.smsTemplate,
    smsScarletTemplateCode: cfg.smsScarletTemplate,
    smsRefundTemplateCode: cfg.smsRefundTemplate,
    wechatAppId: cfg.wechatAppId,
    wechatSecret: cfg.wechatSecret,
    wechatTemplateId: cfg.wechatTemplateId,
    wechatRefundTemplateId: cfg.wechatRefundTemplateId,
    ...settings,
  };
  const out: Notifier[] = [];
  if (cfg.smsUrl) out.push(new SmsNotifier({ url: cfg.smsUrl, templateCode: s.smsTemplateCode, scarletTemplateCode: s.smsScarletTemplateCode, refundTemplateCode: s.smsRefundTemplateCode, timeoutMs: s.timeoutMs }));
  if (cfg.smtpUrl) out.push(new MailNotifier({ smtpUrl: cfg.smtpUrl, from: cfg.mailFrom, timeoutMs: s.timeoutMs }));
  if (cfg.wechatUrl) {
    const wechat = new WechatNotifier({ url: cfg.wechatUrl, appId: s.wechatAppId, secret: s.wechatSecret, templateId: s.wechatTemplateId, refundTemplateId: s.wechatRefundTemplateId, timeoutMs: s.timeoutMs });
    out.push(wechat);
    out.push(new WechatCardInserter({ url: cfg.wechatUrl, appId: s.wechatAppId, cardId: cfg.wechatCardId, tokens: wechat, timeoutMs: s.timeoutMs }));
  }
  return out;
}
