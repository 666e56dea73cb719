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

/**
 * Settings Config does not have (yet). The WeChat defaults are accepted by the simulator; a
 * real official account needs its own appid, secret and template id.
 */
export interface NotifierSettings {
  timeoutMs: number;
  smsTemplateCode?: string;
  wechatAppId: string;
  wechatSecret: string;
  wechatTemplateId: string;
}

export const DEFAULT_NOTIFIER_SETTINGS: NotifierSettings = {
  timeoutMs: 10_000,
  wechatAppId: 'wxmedbillsim0001',
  wechatSecret: 'medbill-sim-secret',
  wechatTemplateId: 'MEDBILL_BILL_ISSUED',
};

export function createNotifiers(cfg: Config, settings: Partial<NotifierSettings> = {}): Notifier[] {
  const s = { ...DEFAULT_NOTIFIER_SETTINGS, ...settings };
  const out: Notifier[] = [];
  if (cfg.smsUrl) out.push(new SmsNotifier({ url: cfg.smsUrl, templateCode: s.smsTemplateCode, timeoutMs: s.timeoutMs }));
  if (cfg.mailUrl) out.push(new MailNotifier({ url: cfg.mailUrl, timeoutMs: s.timeoutMs }));
  if (cfg.wechatUrl) {
    out.push(new WechatNotifier({ url: cfg.wechatUrl, appId: s.wechatAppId, secret: s.wechatSecret, templateId: s.wechatTemplateId, timeoutMs: s.timeoutMs }));
  }
  return out;
}
