/**
 * Patient notices (`cfg.notify`): SMS, e-mail, the WeChat official account and its card package.
 * The gateway URLs default to the notification simulators (config/simulators.ts); set them in production.
 */
import { notifySimUrls, type SimulatorConfig } from './simulators';

export const DEFAULT_SMS_TEMPLATE = 'SMS_MEDBILL_ISSUED';
export const DEFAULT_SMS_SCARLET_TEMPLATE = 'SMS_MEDBILL_REVERSED';
export const DEFAULT_SMS_REFUND_TEMPLATE = 'SMS_MEDBILL_REFUND';
export const DEFAULT_SMS_CODE_TEMPLATE = 'SMS_MEDBILL_CODE';
export const DEFAULT_MAIL_FROM = 'ebill@medbill.local';
export const DEFAULT_WECHAT_APPID = 'wxmedbilldemo0001';
export const DEFAULT_WECHAT_SECRET = 'medbill-demo-wechat-secret';
export const DEFAULT_WECHAT_TEMPLATE_ID = 'MEDBILL_BILL_ISSUED';
export const DEFAULT_WECHAT_REFUND_TEMPLATE_ID = 'MEDBILL_REFUND_RESULT';
export const DEFAULT_WECHAT_CARD_ID = 'pMedbillNontaxBillCard01';

export interface NotifyConfig {
  sms: {
    /** MEDBILL_SMS_URL: SMS gateway base URL; default: the SMS simulator. */
    url: string;
    /** MEDBILL_SMS_TEMPLATE: the SMS template code registered with the SMS provider. */
    template: string;
    /** MEDBILL_SMS_SCARLET_TEMPLATE / MEDBILL_SMS_REFUND_TEMPLATE: the codes of the red-bill and refund-outcome templates. */
    scarletTemplate: string;
    refundTemplate: string;
    /** MEDBILL_SMS_CODE_TEMPLATE: the template of the verification code of 单位通码取票 (the phone path). */
    codeTemplate: string;
  };
  mail: {
    /** MEDBILL_SMTP_URL: SMTP server for e-mail notices, `smtp://user:pass@host:587` or `smtps://...:465`; set but empty = no e-mail; unset: the simulator's SMTP server. */
    smtpUrl: string;
    /** MEDBILL_MAIL_FROM: the sender address of e-mail notices (the hospital's name is its display name). */
    from: string;
  };
  wechat: {
    /** MEDBILL_WECHAT_URL: WeChat template-message API base URL; default: the WeChat simulator. */
    url: string;
    /** MEDBILL_WECHAT_APPID / _SECRET / _TEMPLATE_ID: the official account that sends bill notices. */
    appId: string;
    secret: string;
    templateId: string;
    /** MEDBILL_WECHAT_REFUND_TEMPLATE_ID: the official account's template for a refund's outcome (its own keywords). */
    refundTemplateId: string;
    /** MEDBILL_WECHAT_CARD_ID: card_id of the non-tax bill card template (微信卡包 财政电子票据) created for the hospital. */
    cardId: string;
  };
}

export function loadNotifyConfig(env: NodeJS.ProcessEnv, sim: Pick<SimulatorConfig, 'port' | 'smtpPort'>): NotifyConfig {
  const simUrls = notifySimUrls(sim);
  return {
    sms: {
      url: env.MEDBILL_SMS_URL || simUrls.sms,
      template: env.MEDBILL_SMS_TEMPLATE || DEFAULT_SMS_TEMPLATE,
      scarletTemplate: env.MEDBILL_SMS_SCARLET_TEMPLATE || DEFAULT_SMS_SCARLET_TEMPLATE,
      refundTemplate: env.MEDBILL_SMS_REFUND_TEMPLATE || DEFAULT_SMS_REFUND_TEMPLATE,
      codeTemplate: env.MEDBILL_SMS_CODE_TEMPLATE || DEFAULT_SMS_CODE_TEMPLATE,
    },
    mail: {
      // unset: the simulator; set but empty: no e-mail notices
      smtpUrl: env.MEDBILL_SMTP_URL ?? simUrls.smtp,
      from: env.MEDBILL_MAIL_FROM || DEFAULT_MAIL_FROM,
    },
    wechat: {
      url: env.MEDBILL_WECHAT_URL || simUrls.wechat,
      appId: env.MEDBILL_WECHAT_APPID || DEFAULT_WECHAT_APPID,
      secret: env.MEDBILL_WECHAT_SECRET || DEFAULT_WECHAT_SECRET,
      templateId: env.MEDBILL_WECHAT_TEMPLATE_ID || DEFAULT_WECHAT_TEMPLATE_ID,
      refundTemplateId: env.MEDBILL_WECHAT_REFUND_TEMPLATE_ID || DEFAULT_WECHAT_REFUND_TEMPLATE_ID,
      cardId: env.MEDBILL_WECHAT_CARD_ID || DEFAULT_WECHAT_CARD_ID,
    },
  };
}
