/**
 * Simulator settings (`cfg.sim`): the stand-ins for the outside systems (SMS / WeChat / SMTP,
 * printer, fiscal platform, WeChat Pay, Alipay) that `npm start` runs for development, demos and
 * tests. None of these matter in production: there MEDBILL_SIM_PORT=0 and every outside system's
 * URL is set in its own group. Imports only ./parse: the simulators (sim/) read their own
 * standalone defaults from here.
 */
import { bool, duration, durationOrZero, fraction, int, positive } from './parse';

/** The simulators listen on this host; their URLs are the defaults of the production URLs. */
export const SIM_HOST = '127.0.0.1';
export const DEFAULT_SIM_PORT = 8090;
/** Each simulator's default port is MEDBILL_SIM_PORT plus its offset. */
export const SIM_PORT_OFFSET = { smtp: 1, printer: 2, fiscal: 3, wechatpay: 4, alipay: 5 } as const;
export const DEFAULT_FISCAL_SIM_AUTO_APPROVE = true;
export const DEFAULT_FISCAL_SIM_REVIEW_DELAY_MS = 2000;
export const DEFAULT_PAYSIM_TIME_SCALE = 1;
export const DEFAULT_PAYSIM_REFUND_DELAY_MS = 3000;
export const DEFAULT_PAYSIM_DUPLICATE_RATE = 0.05;
export const DEFAULT_PAYSIM_PARTIAL_GAP_MS = 60_000;
export const DEFAULT_PAYSIM_ALIPAY_REFUND_DAYS = 90;
/** The identity platform simulator's client (sim/oidc/server.ts); a production start refuses this secret. */
export const SIM_OIDC_CLIENT_ID = 'medbill';
export const SIM_OIDC_CLIENT_SECRET = 'medbill-demo-oidc-secret-2026';
/** The simulated SMTP server's login (any login is accepted; this one is in the default MEDBILL_SMTP_URL). */
export const SIM_SMTP_LOGIN = 'medbill:medbill';

export interface SimulatorConfig {
  /** MEDBILL_SIM_PORT: port of the notification simulators (SMS, WeChat) and base of the others' default ports; 0 = start no simulator. */
  port: number;
  /** MEDBILL_SIM_SMTP_PORT: port of the simulated SMTP server (default: MEDBILL_SIM_PORT + 1). */
  smtpPort: number;
  /** MEDBILL_PRINTER_SIM_PORT: port of the printer simulator (default MEDBILL_SIM_PORT + 2; a busy default falls back to a free port). */
  printerPort: number;
  fiscal: {
    /** MEDBILL_FISCAL_SIM_PORT: port of the fiscal simulator (default MEDBILL_SIM_PORT + 3; a busy default falls back to a free port). */
    port: number;
    /** MEDBILL_FISCAL_SIM_AUTO_APPROVE: `1` lets the fiscal simulator approve requisitions by itself. */
    autoApprove: boolean;
    /** MEDBILL_FISCAL_SIM_REVIEW_DELAY: how long after submission the simulator approves (e.g. 2s). */
    reviewDelayMs: number;
    /** MEDBILL_FISCAL_SIM_ACCOUNT_AFTER: the simulator marks uploaded bills accounted (入账) this long after upload; empty = only via POST /_sim/account. */
    accountAfterMs?: number;
  };
  payment: {
    /** MEDBILL_WECHATPAY_SIM_PORT: port of the WeChat Pay simulator (default MEDBILL_SIM_PORT + 4; a busy default falls back to a free port). */
    wechatpayPort: number;
    /** MEDBILL_ALIPAY_SIM_PORT: port of the Alipay simulator (default MEDBILL_SIM_PORT + 5; a busy default falls back to a free port). */
    alipayPort: number;
    /** MEDBILL_PAYSIM_TIME_SCALE: how many times faster the payment simulators' notice retry schedules run (1 = real: 15s ... 6h). */
    timeScale: number;
    /** MEDBILL_PAYSIM_REFUND_DELAY: how long a simulated refund stays PROCESSING before it succeeds (0 = at once). */
    refundDelayMs: number;
    /** MEDBILL_PAYSIM_DUPLICATE_RATE: probability (0-1) that a simulator delivers an answered notice once more, as the real platforms sometimes do. */
    duplicateRate: number;
    /** MEDBILL_PAYSIM_PARTIAL_GAP: least time between two partial refunds of one WeChat order (real: 1m; 0 = none). */
    partialGapMs: number;
    /** MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS: how many days after payment the Alipay simulator accepts refunds (real: per contract, typically 90). */
    alipayRefundDays: number;
  };
}

/** The base URL of a simulator listening on `port`. */
export function simUrl(port: number): string {
  return `http://${SIM_HOST}:${port}`;
}

export function loadSimulatorConfig(env: NodeJS.ProcessEnv): SimulatorConfig {
  const port = int('MEDBILL_SIM_PORT', env.MEDBILL_SIM_PORT, DEFAULT_SIM_PORT);
  const offset = (n: number) => (port > 0 ? port + n : 0);
  return {
    port,
    smtpPort: int('MEDBILL_SIM_SMTP_PORT', env.MEDBILL_SIM_SMTP_PORT, offset(SIM_PORT_OFFSET.smtp)),
    printerPort: int('MEDBILL_PRINTER_SIM_PORT', env.MEDBILL_PRINTER_SIM_PORT, offset(SIM_PORT_OFFSET.printer)),
    fiscal: {
      port: int('MEDBILL_FISCAL_SIM_PORT', env.MEDBILL_FISCAL_SIM_PORT, offset(SIM_PORT_OFFSET.fiscal)),
      autoApprove: bool(env.MEDBILL_FISCAL_SIM_AUTO_APPROVE, DEFAULT_FISCAL_SIM_AUTO_APPROVE),
      reviewDelayMs: duration('MEDBILL_FISCAL_SIM_REVIEW_DELAY', env.MEDBILL_FISCAL_SIM_REVIEW_DELAY, DEFAULT_FISCAL_SIM_REVIEW_DELAY_MS),
      accountAfterMs: env.MEDBILL_FISCAL_SIM_ACCOUNT_AFTER ? duration('MEDBILL_FISCAL_SIM_ACCOUNT_AFTER', env.MEDBILL_FISCAL_SIM_ACCOUNT_AFTER, 0) : undefined,
    },
    payment: {
      wechatpayPort: int('MEDBILL_WECHATPAY_SIM_PORT', env.MEDBILL_WECHATPAY_SIM_PORT, offset(SIM_PORT_OFFSET.wechatpay)),
      alipayPort: int('MEDBILL_ALIPAY_SIM_PORT', env.MEDBILL_ALIPAY_SIM_PORT, offset(SIM_PORT_OFFSET.alipay)),
      timeScale: positive('MEDBILL_PAYSIM_TIME_SCALE', env.MEDBILL_PAYSIM_TIME_SCALE, DEFAULT_PAYSIM_TIME_SCALE),
      refundDelayMs: durationOrZero('MEDBILL_PAYSIM_REFUND_DELAY', env.MEDBILL_PAYSIM_REFUND_DELAY, DEFAULT_PAYSIM_REFUND_DELAY_MS),
      duplicateRate: fraction('MEDBILL_PAYSIM_DUPLICATE_RATE', env.MEDBILL_PAYSIM_DUPLICATE_RATE, DEFAULT_PAYSIM_DUPLICATE_RATE),
      partialGapMs: durationOrZero('MEDBILL_PAYSIM_PARTIAL_GAP', env.MEDBILL_PAYSIM_PARTIAL_GAP, DEFAULT_PAYSIM_PARTIAL_GAP_MS),
      alipayRefundDays: int('MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS', env.MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS, DEFAULT_PAYSIM_ALIPAY_REFUND_DAYS),
    },
  };
}

/** The notification simulators' URLs: the defaults of MEDBILL_SMS_URL, MEDBILL_WECHAT_URL and MEDBILL_SMTP_URL. */
export function notifySimUrls(sim: Pick<SimulatorConfig, 'port' | 'smtpPort'>): { sms: string; wechat: string; smtp: string } {
  return { sms: `${simUrl(sim.port)}/sms`, wechat: `${simUrl(sim.port)}/wechat`, smtp: `smtp://${SIM_SMTP_LOGIN}@${SIM_HOST}:${sim.smtpPort}` };
}
