/** The payment channels the platform refunds through, configured from MEDBILL_WECHATPAY_* / MEDBILL_ALIPAY_*. */
import type { Config } from '../../config';
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { paymentKeys } from './keys';
import { AlipayChannel } from './alipay';
import type { PaymentChannel, PaymentChannelName } from './channel';
import { WeChatPayChannel } from './wechatpay';
import { simUrl } from '../../config/simulators';

export type PaymentChannels = Record<PaymentChannelName, PaymentChannel>;

export const wechatNotifyPath = '/pay/notify/wechat';
export const alipayNotifyPath = '/pay/notify/alipay';

/** Both channels; unset URLs point at the simulators (MEDBILL_WECHATPAY_SIM_PORT / MEDBILL_ALIPAY_SIM_PORT). */
export function createPaymentChannels(cfg: Config, urls: { wechatpayUrl?: string; alipayUrl?: string } = {}, exchangeLog: ExchangeSink = NO_EXCHANGE_LOG): PaymentChannels {
  const keys = paymentKeys(cfg);
  return {
    wechat: new WeChatPayChannel({
      baseUrl: urls.wechatpayUrl || cfg.payment.wechatpay.url || simUrl(cfg.sim.payment.wechatpayPort),
      mchId: cfg.payment.wechatpay.mchId,
      serial: cfg.payment.wechatpay.serial,
      privateKey: keys.wechatpay.privateKey,
      platformSerial: cfg.payment.wechatpay.platformSerial,
      platformPublicKey: keys.wechatpay.platformPublicKey,
      apiV3Key: cfg.payment.wechatpay.apiV3Key,
      notifyUrl: `${cfg.payment.notifyBaseUrl}${wechatNotifyPath}`,
      timeoutMs: cfg.payment.timeoutMs,
      exchangeLog,
    }),
    alipay: new AlipayChannel({
      gateway: urls.alipayUrl || cfg.payment.alipay.url || `${simUrl(cfg.sim.payment.alipayPort)}/gateway.do`,
      appId: cfg.payment.alipay.appId,
      privateKey: keys.alipay.privateKey,
      alipayPublicKey: keys.alipay.alipayPublicKey,
      notifyUrl: `${cfg.payment.notifyBaseUrl}${alipayNotifyPath}`,
      timeoutMs: cfg.payment.timeoutMs,
      exchangeLog,
    }),
  };
}

export * from './channel';
