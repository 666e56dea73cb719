/**
 * The exchange log's vocabulary (交互日志): what each outside system and direction is called in
 * the console and the command-line tool. Pure, for the services and the console alike.
 */
import type { ExchangeSystem } from '../common/exchange';

export const EXCHANGE_SYSTEMS: Record<ExchangeSystem, string> = {
  his: 'HIS',
  fiscal: '财政电子票据平台',
  wechatpay: '微信支付',
  alipay: '支付宝',
  sms: '短信',
  email: '电子邮件',
  wechat: '微信消息',
  'card-pack': '卡包',
  printer: '打印机',
  signer: '签名服务',
  insurance: '医保',
};

export const EXCHANGE_DIRECTIONS: Record<'in' | 'out', string> = {
  in: '外部调用本系统',
  out: '本系统调用外部',
};

export const isExchangeSystem = (s: string): s is ExchangeSystem => Object.prototype.hasOwnProperty.call(EXCHANGE_SYSTEMS, s);
