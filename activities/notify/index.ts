/**
 * Patient-notice adapters. `createNotifiers(cfg)` makes one per channel whose gateway URL is
 * set (Config.smsUrl, mailUrl, wechatUrl; by default all point at the simulator).
 */
import type { Config } from '../../common/config';
import { MailNotifier } from './mail';
import type { Notifier } from './notifier';
import { SmsNotifier } from './sms';
import { WechatNotifier } from './wechat';

export { NotifyPermanentError, type NoticeChannel, type NoticeInput, type Notifier } from './notifier';
export { SmsNotifier, type SmsNotifierOptions } from './sms';
export { MailNotifier, type MailNotifierOptions } from './mail';
export { WechatNotifier, type WechatNotifierOptions } from './wechat';
export { smsText, mailSubject, mailHtml, wechatData, beijingTime, SMS_TEMPLATE_CODE, SMS_TEMPLATE_TEXT } from './texts';

export interface NotifierSettings {
  timeoutMs: number;
  smsTemplateCode?: string;
  wechatAppId: string;
  wechatSecret: string;
  wechatTemplateId: string;
}

export function createNotifiers(cfg: Config, settings: Partial<NotifierSettings> = {}): Notifier[] {
  const s: NotifierSettings = {
    timeoutMs: 10_000,
    smsTemplateCode: cfg.smsTemplate,
    wechatAppId: cfg.wechatAppId,
    wechatSecret: cfg.wechatSecret,
    wechatTemplateId: cfg.wechatTemplateId,
    ...settings,
  };
  const out: Notifier[] = [];
  if (cfg.smsUrl) out.push(new SmsNotifier({ url: cfg.smsUrl, templateCode: s.smsTemplateCode, timeoutMs: s.timeoutMs }));
  if (cfg.mailUrl) out.push(new MailNotifier({ url: cfg.mailUrl, timeoutMs: s.timeoutMs }));
  if (cfg.wechatUrl) {
    out.push(new WechatNotifier({ url: cfg.wechatUrl, appId: s.wechatAppId, secret: s.wechatSecret, templateId: s.wechatTemplateId, timeoutMs: s.timeoutMs }));
  }
  return out;
}
