/** The payment channels the platform refunds through, configured from MEDBILL_WECHATPAY_* / MEDBILL_ALIPAY_*. */
import type { Config } from '../../config';
import { paymentKeys } from './keys';
import { AlipayChannel } from './alipay';
import type { PaymentChannel, PaymentChannelName } from './channel';
import { WeChatPayChannel } from './wechatpay';

export type PaymentChannels = Record<PaymentChannelName, PaymentChannel>;

export const wechatNotifyPath = '/pay/notify/wechat';
export const alipayNotifyPath = '/pay/notify/alipay';

/** Both channels; unset URLs point at the simulators (MEDBILL_WECHATPAY_SIM_PORT / MEDBILL_ALIPAY_SIM_PORT). */
export function createPaymentChannels(cfg: Config, urls: { wechatpayUrl?: string; alipayUrl?: string } = {}): PaymentChannels {
  const keys = paymentKeys(cfg);
  return {
    wechat: new WeChatPayChannel({
      baseUrl: urls.wechatpayUrl || cfg.wechatpayUrl || `http://127.0.0.1:${cfg.wechatpaySimPort}`,
      mchId: cfg.wechatpayMchId,
      serial: cfg.wechatpaySerial,
      privateKey: keys.wechatpay.privateKey,
      platformSerial: cfg.wechatpayPlatformSerial,
      platformPublicKey: keys.wechatpay.platformPublicKey,
      apiV3Key: cfg.wechatpayApiV3Key,
      notifyUrl: `${cfg.payNotifyBaseUrl}${wechatNotifyPath}`,
      timeoutMs: cfg.payTimeoutMs,
    }),
    alipay: new AlipayChannel({
      gateway: urls.alipayUrl || cfg.alipayUrl || `http://127.0.0.1:${cfg.alipaySimPort}/gateway.do`,
      appId: cfg.alipayAppId,
      privateKey: keys.alipay.privateKey,
      alipayPublicKey: keys.alipay.alipayPublicKey,
      notifyUrl: `${cfg.payNotifyBaseUrl}${alipayNotifyPath}`,
      timeoutMs: cfg.payTimeoutMs,
    }),
  };
}

export * from './channel';
