/**
 * Refund money back through the payment channels (`cfg.payment`): refund rules, WeChat Pay v3 and
 * Alipay. Empty channel URLs and key paths mean the simulators and their demo keys (data/payment-keys/).
 */
import { parseChannelCodes, parseChannelNumbers, type RefundChannel } from '../domain/refund/rules';
import { baseUrl, duration, int } from './parse';

export const DEFAULT_REFUND_CHANNEL_CODES = 'wechat=05;alipay=04;cash=02;unionpay=08';
export const DEFAULT_REFUND_MAX_AGE_DAYS = 'wechat=365;alipay=90;unionpay=180';
export const DEFAULT_REFUND_POLL_MS = 60_000;
export const DEFAULT_PAY_TIMEOUT_MS = 10000;
/** Empty: the WeChat Pay simulator (cfg.sim.payment.wechatpayPort). */
export const DEFAULT_WECHATPAY_URL = '';
export const DEFAULT_WECHATPAY_MCHID = '1900000109';
export const DEFAULT_WECHATPAY_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
export const DEFAULT_WECHATPAY_APIV3_KEY = 'medbillDemoApiV3Key0123456789abc';
export const DEFAULT_WECHATPAY_PLATFORM_SERIAL = 'PUB_KEY_ID_0119000001092026112200000000000001';
/** Empty: the Alipay simulator (cfg.sim.payment.alipayPort). */
export const DEFAULT_ALIPAY_URL = '';
export const DEFAULT_ALIPAY_APPID = '2021004100000001';

export interface WechatpayConfig {
  /** MEDBILL_WECHATPAY_URL: WeChat Pay API v3 base URL (https://api.mch.weixin.qq.com); empty (default) = the WeChat Pay simulator. */
  url: string;
  /** MEDBILL_WECHATPAY_MCHID: the hospital's merchant number (商户号). */
  mchId: string;
  /** MEDBILL_WECHATPAY_SERIAL: serial number of the merchant API certificate (商户API证书序列号). */
  serial: string;
  /** MEDBILL_WECHATPAY_PRIVATE_KEY: path of the merchant API private key (apiclient_key.pem); empty = demo key made in data/payment-keys/. */
  privateKey: string;
  /** MEDBILL_WECHATPAY_APIV3_KEY: the APIv3 key (32 characters) that decrypts notices. */
  apiV3Key: string;
  /** MEDBILL_WECHATPAY_PLATFORM_SERIAL: ID of the WeChat Pay public key (微信支付公钥ID, PUB_KEY_ID_...) or platform certificate serial. */
  platformSerial: string;
  /** MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY: path of the WeChat Pay public key PEM; empty = the simulator's demo key in data/payment-keys/. */
  platformPublicKey: string;
}

export interface AlipayConfig {
  /** MEDBILL_ALIPAY_URL: Alipay OpenAPI gateway (https://openapi.alipay.com/gateway.do); empty (default) = the Alipay simulator. */
  url: string;
  /** MEDBILL_ALIPAY_APPID: the hospital's Alipay app id. */
  appId: string;
  /** MEDBILL_ALIPAY_PRIVATE_KEY: path of the app private key (RSA2, PEM); empty = demo key made in data/payment-keys/. */
  privateKey: string;
  /** MEDBILL_ALIPAY_PUBLIC_KEY: path of the Alipay public key PEM (支付宝公钥); empty = the simulator's demo key. */
  publicKey: string;
}

export interface PaymentConfig {
  /** MEDBILL_PAY_NOTIFY_URL: base URL the payment platforms post refund notices to (`{base}/pay/notify/wechat|alipay`); default MEDBILL_PUBLIC_URL. */
  notifyBaseUrl: string;
  /** MEDBILL_PAY_TIMEOUT_MS: how long one payment-channel request may take before it counts as an outage (retried with the same refund number). */
  timeoutMs: number;
  /** MEDBILL_REFUND_CHANNEL_CODES: the HIS pay channel codes (payChannelCode) of each refund channel, `wechat=05;alipay=04;cash=02;unionpay=08`. */
  refundChannelCodes: Record<RefundChannel, string[]>;
  /** MEDBILL_REFUND_MAX_AGE_DAYS: how many days after payment each channel still refunds, `wechat=365;alipay=90;unionpay=180` (a channel not named: no limit). */
  refundMaxAgeDays: Partial<Record<RefundChannel, number>>;
  /** MEDBILL_REFUND_POLL: how often a refund accepted by a channel is queried while no result notice came (notices are a shortcut, the query is the truth). */
  refundPollMs: number;
  wechatpay: WechatpayConfig;
  alipay: AlipayConfig;
}

function apiV3Key(v: string): string {
  if (Buffer.byteLength(v) !== 32) throw new Error('MEDBILL_WECHATPAY_APIV3_KEY must be 32 bytes (the APIv3 key set in the merchant platform)');
  return v;
}

export function loadPaymentConfig(env: NodeJS.ProcessEnv, server: { publicUrl: string }): PaymentConfig {
  return {
    notifyBaseUrl: baseUrl(env.MEDBILL_PAY_NOTIFY_URL || server.publicUrl),
    timeoutMs: int('MEDBILL_PAY_TIMEOUT_MS', env.MEDBILL_PAY_TIMEOUT_MS, DEFAULT_PAY_TIMEOUT_MS),
    refundChannelCodes: parseChannelCodes('MEDBILL_REFUND_CHANNEL_CODES', env.MEDBILL_REFUND_CHANNEL_CODES || DEFAULT_REFUND_CHANNEL_CODES),
    refundMaxAgeDays: parseChannelNumbers('MEDBILL_REFUND_MAX_AGE_DAYS', env.MEDBILL_REFUND_MAX_AGE_DAYS ?? DEFAULT_REFUND_MAX_AGE_DAYS),
    refundPollMs: duration('MEDBILL_REFUND_POLL', env.MEDBILL_REFUND_POLL, DEFAULT_REFUND_POLL_MS),
    wechatpay: {
      url: baseUrl(env.MEDBILL_WECHATPAY_URL || DEFAULT_WECHATPAY_URL),
      mchId: env.MEDBILL_WECHATPAY_MCHID || DEFAULT_WECHATPAY_MCHID,
      serial: env.MEDBILL_WECHATPAY_SERIAL || DEFAULT_WECHATPAY_SERIAL,
      privateKey: env.MEDBILL_WECHATPAY_PRIVATE_KEY || '',
      apiV3Key: apiV3Key(env.MEDBILL_WECHATPAY_APIV3_KEY || DEFAULT_WECHATPAY_APIV3_KEY),
      platformSerial: env.MEDBILL_WECHATPAY_PLATFORM_SERIAL || DEFAULT_WECHATPAY_PLATFORM_SERIAL,
      platformPublicKey: env.MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY || '',
    },
    alipay: {
      url: env.MEDBILL_ALIPAY_URL || DEFAULT_ALIPAY_URL,
      appId: env.MEDBILL_ALIPAY_APPID || DEFAULT_ALIPAY_APPID,
      privateKey: env.MEDBILL_ALIPAY_PRIVATE_KEY || '',
      publicKey: env.MEDBILL_ALIPAY_PUBLIC_KEY || '',
    },
  };
}
