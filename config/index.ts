/**
 * The one typed configuration module. Every setting has a default, a one-line doc and an
 * environment variable with the MEDBILL_ prefix; nothing else in the code reads process.env.
 */
import { parseChannelCodes, parseChannelNumbers, type RefundChannel } from '../domain/refund/rules';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../common/paths';
import { loadKeysConfig, type KeysConfig } from './keys';

export interface Config {
  /** MEDBILL_DATA_DIR: folder for the embedded database, Temporal's file, layout files, keys. */
  dataDir: string;
  /** MEDBILL_DB_URL: `sqlite:<file>` (embedded default) or `mysql://user:pass@host:port/db`. */
  dbUrl: string;
  /** MEDBILL_MASTER_KEY: 32 hex chars, the SM4 key that encrypts stored secrets and derives the patient-data keys; default: MEDBILL_MASTER_KEY_FILE, else a demo key (common/keys.ts). */
  masterKey?: string;
  /** Keys of patient data sealed at rest (config/keys.ts). */
  keys: KeysConfig;
  /** MEDBILL_TEMPORAL_ADDRESS: host:port of the Temporal frontend. */
  temporalAddress: string;
  /** MEDBILL_TEMPORAL_NAMESPACE: overrides temporal.yaml's namespace (tests use this). */
  temporalNamespace?: string;
  /** MEDBILL_TEMPORAL_TASK_QUEUE: overrides temporal.yaml's task queue. */
  taskQueue?: string;
  /** MEDBILL_TEMPORAL_UI_URL: base URL of the Temporal Web UI, for links from the console. */
  temporalUiUrl: string;
  /** MEDBILL_EMBEDDED_TEMPORAL: `1` lets `npm start` run the Temporal dev server itself. */
  embeddedTemporal: boolean;
  /** MEDBILL_TEMPORAL_UI: `0` runs the embedded dev server without its Web UI (tests). */
  temporalUi: boolean;
  /** MEDBILL_TEMPORAL_CLI: path of the temporal CLI; default: found on PATH or built into the cache. */
  temporalCli?: string;
  /** MEDBILL_CACHE_DIR: where the built Temporal CLI is cached, outside the repository. */
  cacheDir: string;
  /** MEDBILL_HOST: address the API listens on. */
  host: string;
  /** MEDBILL_PORT: port of the API (HIS interface, console, H5 page). */
  port: number;
  /** MEDBILL_PUBLIC_URL: base URL patients reach the H5 page at (printed into QR codes). */
  publicUrl: string;
  /** MEDBILL_SIM_PORT: port of the outside-system simulators (0 = do not start them). */
  simPort: number;
  /** MEDBILL_SMS_URL: SMS gateway base URL (default: the simulator). */
  smsUrl: string;
  /** MEDBILL_SMTP_URL: SMTP server for e-mail notices, `smtp://user:pass@host:587` or `smtps://...:465`; empty = no e-mail (default: the simulator's SMTP server). */
  smtpUrl: string;
  /** MEDBILL_SIM_SMTP_PORT: port of the simulated SMTP server (default: MEDBILL_SIM_PORT + 1). */
  simSmtpPort: number;
  /** MEDBILL_MAIL_FROM: the sender address of e-mail notices (the hospital's name is its display name). */
  mailFrom: string;
  /** MEDBILL_WECHAT_CARD_ID: card_id of the non-tax bill card template (微信卡包 财政电子票据) created for the hospital. */
  wechatCardId: string;
  /** MEDBILL_PRINTER_URL: print service base URL (paper forms, A4 layouts); empty = the printer simulator. */
  printerUrl: string;
  /** MEDBILL_PRINTER_SIM_PORT: port of the printer simulator (default MEDBILL_SIM_PORT + 2; a busy default falls back to a free port). */
  printerSimPort: number;
  /** MEDBILL_WECHAT_URL: WeChat template-message API base URL (default: the simulator). */
  wechatUrl: string;
  /** MEDBILL_WECHAT_APPID / _SECRET / _TEMPLATE_ID: the official account that sends bill notices. */
  wechatAppId: string;
  wechatSecret: string;
  wechatTemplateId: string;
  /** MEDBILL_WECHAT_REFUND_TEMPLATE_ID: the official account's template for a refund's outcome (its own keywords). */
  wechatRefundTemplateId: string;
  /** MEDBILL_SMS_TEMPLATE: the SMS template code registered with the SMS provider. */
  smsTemplate: string;
  /** MEDBILL_SMS_SCARLET_TEMPLATE / MEDBILL_SMS_REFUND_TEMPLATE: the codes of the red-bill and refund-outcome templates. */
  smsScarletTemplate: string;
  smsRefundTemplate: string;
  /** MEDBILL_SIGNER_URL: external SM2 signing server; empty = sign locally with the encrypted key. */
  signerUrl: string;
  /** MEDBILL_SIGN_THREADS: worker threads for local SM2 signing. */
  signThreads: number;
  /** MEDBILL_LAYOUT_THREADS: worker threads rendering layout PDFs and QR codes (0 = in the main thread). */
  layoutThreads: number;
  /** MEDBILL_FONT: a TrueType/OpenType font with CJK glyphs for layout files. */
  fontPath: string;
  /** MEDBILL_WORKER: `0` runs the API without a Temporal worker in the same process. */
  runWorker: boolean;
  /** MEDBILL_API: `0` runs the worker without the API in the same process. */
  runApi: boolean;
  /** MEDBILL_DEMO: `1` seeds the demo hospital on an empty database. */
  seedDemo: boolean;
  /** MEDBILL_LOG_LEVEL: debug, info, warn or error. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** MEDBILL_ISSUE_TIMEOUT_MS: how long the HIS call waits for a bill before answering "in progress". */
  issueTimeoutMs: number;
  /** MEDBILL_PAPER_REMIND_AFTER: how long a reversal waits for a paper form before it reminds the cashiers, then again each time (e.g. 30m, 4h, 1d). */
  paperRemindAfterMs: number;
  /** MEDBILL_CRASH_AT: fault drill; the process kills itself (SIGKILL) once at the named point (see common/crash-points.ts). */
  crashAt: string;
  /** MEDBILL_FISCAL_URL: the fiscal e-bill platform's gateway; empty = the fiscal simulator. */
  fiscalUrl: string;
  /** MEDBILL_FISCAL_APPID / MEDBILL_FISCAL_SECRET: the hospital's credentials at the fiscal platform (HMAC-SM3 request signatures). */
  fiscalAppId: string;
  fiscalSecret: string;
  /** MEDBILL_FISCAL_TIMEOUT_MS: how long one fiscal request may take before it counts as an outage. */
  fiscalTimeoutMs: number;
  /** MEDBILL_FISCAL_SIM_PORT: port of the fiscal simulator (default MEDBILL_SIM_PORT + 3; a busy default falls back to a free port). */
  fiscalSimPort: number;
  /** MEDBILL_FISCAL_SIM_AUTO_APPROVE: `1` lets the fiscal simulator approve requisitions by itself. */
  fiscalSimAutoApprove: boolean;
  /** MEDBILL_FISCAL_SIM_REVIEW_DELAY: how long after submission the simulator approves (e.g. 2s). */
  fiscalSimReviewDelayMs: number;
  /** MEDBILL_FISCAL_SIM_ACCOUNT_AFTER: the simulator marks uploaded bills accounted (入账) this long after upload; empty = only via POST /_sim/account. */
  fiscalSimAccountAfterMs?: number;
  /** MEDBILL_BASIC_SYNC_EVERY: how often bill kinds and fiscal charge items are fetched from the fiscal platform (e.g. 1h). */
  basicSyncEveryMs: number;
  /** MEDBILL_STOCK_ALARM_EVERY: how often the `stock-alarm` schedule compares each point's stock with its threshold. */
  stockAlarmEveryMs: number;
  /** MEDBILL_STOCK_DEFAULT_THRESHOLD: the threshold of a point and bill kind that holds stock but has none set. */
  stockDefaultThreshold: number;
  /** MEDBILL_REQUISITION_POLL_MAX: longest wait between two polls of a requisition's review (backoff from 2 s). */
  requisitionPollMaxMs: number;
  /** MEDBILL_UPLOAD_EVERY: how often the fiscal batch upload runs (Temporal Schedule `fiscal-upload`). */
  uploadEveryMs: number;
  /** MEDBILL_UPLOAD_BATCH: bills per upload batch. */
  uploadBatch: number;
  /** MEDBILL_UPLOAD_RETRY_MAX: the longest wait between two tries of a batch while the fiscal platform is unavailable. */
  uploadRetryMaxMs: number;
  /** MEDBILL_ACCOUNT_EVERY: how often the accounting status (入账) of uploaded bills is fetched (Schedule `fiscal-account-status`). */
  accountEveryMs: number;
  /** MEDBILL_PAY_NOTIFY_URL: base URL the payment platforms post refund notices to (`{base}/pay/notify/wechat|alipay`); default MEDBILL_PUBLIC_URL. */
  payNotifyBaseUrl: string;
  /** MEDBILL_REFUND_CHANNEL_CODES: the HIS pay channel codes (payChannelCode) of each refund channel, `wechat=05;alipay=04;cash=02;unionpay=08`. */
  refundChannelCodes: Record<RefundChannel, string[]>;
  /** MEDBILL_REFUND_MAX_AGE_DAYS: how many days after payment each channel still refunds, `wechat=365;alipay=90;unionpay=180` (a channel not named: no limit). */
  refundMaxAgeDays: Partial<Record<RefundChannel, number>>;
  /** MEDBILL_REFUND_POLL: how often a refund accepted by a channel is queried while no result notice came (notices are a shortcut, the query is the truth). */
  refundPollMs: number;
  /** MEDBILL_PAY_TIMEOUT_MS: how long one payment-channel request may take before it counts as an outage (retried with the same refund number). */
  payTimeoutMs: number;
  /** MEDBILL_WECHATPAY_URL: WeChat Pay API v3 base URL (https://api.mch.weixin.qq.com); empty = the WeChat Pay simulator. */
  wechatpayUrl: string;
  /** MEDBILL_WECHATPAY_MCHID: the hospital's merchant number (商户号). */
  wechatpayMchId: string;
  /** MEDBILL_WECHATPAY_SERIAL: serial number of the merchant API certificate (商户API证书序列号). */
  wechatpaySerial: string;
  /** MEDBILL_WECHATPAY_PRIVATE_KEY: path of the merchant API private key (apiclient_key.pem); empty = demo key made in data/payment-keys/. */
  wechatpayPrivateKey: string;
  /** MEDBILL_WECHATPAY_APIV3_KEY: the APIv3 key (32 characters) that decrypts notices. */
  wechatpayApiV3Key: string;
  /** MEDBILL_WECHATPAY_PLATFORM_SERIAL: ID of the WeChat Pay public key (微信支付公钥ID, PUB_KEY_ID_...) or platform certificate serial. */
  wechatpayPlatformSerial: string;
  /** MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY: path of the WeChat Pay public key PEM; empty = the simulator's demo key in data/payment-keys/. */
  wechatpayPlatformPublicKey: string;
  /** MEDBILL_WECHATPAY_SIM_PORT: port of the WeChat Pay simulator (default MEDBILL_SIM_PORT + 4; a busy default falls back to a free port). */
  wechatpaySimPort: number;
  /** MEDBILL_ALIPAY_URL: Alipay OpenAPI gateway (https://openapi.alipay.com/gateway.do); empty = the Alipay simulator. */
  alipayUrl: string;
  /** MEDBILL_ALIPAY_APPID: the hospital's Alipay app id. */
  alipayAppId: string;
  /** MEDBILL_ALIPAY_PRIVATE_KEY: path of the app private key (RSA2, PEM); empty = demo key made in data/payment-keys/. */
  alipayPrivateKey: string;
  /** MEDBILL_ALIPAY_PUBLIC_KEY: path of the Alipay public key PEM (支付宝公钥); empty = the simulator's demo key. */
  alipayPublicKey: string;
  /** MEDBILL_ALIPAY_SIM_PORT: port of the Alipay simulator (default MEDBILL_SIM_PORT + 5; a busy default falls back to a free port). */
  alipaySimPort: number;
  /** MEDBILL_PAYSIM_TIME_SCALE: how many times faster the payment simulators' notice retry schedules run (1 = real: 15s ... 6h). */
  paySimTimeScale: number;
  /** MEDBILL_PAYSIM_REFUND_DELAY: how long a simulated refund stays PROCESSING before it succeeds (0 = at once). */
  paySimRefundDelayMs: number;
  /** MEDBILL_PAYSIM_DUPLICATE_RATE: probability (0-1) that a simulator delivers an answered notice once more, as the real platforms sometimes do. */
  paySimDuplicateRate: number;
  /** MEDBILL_PAYSIM_PARTIAL_GAP: least time between two partial refunds of one WeChat order (real: 1m). */
  paySimPartialGapMs: number;
  /** MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS: how many days after payment the Alipay simulator accepts refunds (real: per contract, typically 90). */
  paySimAlipayRefundDays: number;
}

function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/** A duration as `500ms`, `30s`, `15m`, `4h`, `1d`, or plain milliseconds. */
export function duration(name: string, v: string | undefined, dfltMs: number): number {
  if (v === undefined || v === '') return dfltMs;
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`${name} must be a duration such as 30m, 4h or 1d, got "${v}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${v}"`);
  return n;
}

function fraction(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${name} must be a number from 0 to 1, got "${v}"`);
  return n;
}

function apiV3Key(v: string): string {
  if (Buffer.byteLength(v) !== 32) throw new Error('MEDBILL_WECHATPAY_APIV3_KEY must be 32 bytes (the APIv3 key set in the merchant platform)');
  return v;
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/arphic/uming.ttc',
];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.MEDBILL_DATA_DIR || path.join(REPO_ROOT, 'data'));
  const port = int('MEDBILL_PORT', env.MEDBILL_PORT, 8080);
  const simPort = int('MEDBILL_SIM_PORT', env.MEDBILL_SIM_PORT, 8090);
  const sim = `http://127.0.0.1:${simPort}`;
  const simSmtpPort = int('MEDBILL_SIM_SMTP_PORT', env.MEDBILL_SIM_SMTP_PORT, simPort > 0 ? simPort + 1 : 0);
  const level = (env.MEDBILL_LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error(`MEDBILL_LOG_LEVEL must be debug|info|warn|error, got "${level}"`);
  return {
    dataDir,
    dbUrl: env.MEDBILL_DB_URL || `sqlite:${path.join(dataDir, 'medbill.sqlite')}`,
    masterKey: env.MEDBILL_MASTER_KEY || undefined,
    keys: loadKeysConfig(env),
    temporalAddress: env.MEDBILL_TEMPORAL_ADDRESS || '127.0.0.1:7233',
    temporalNamespace: env.MEDBILL_TEMPORAL_NAMESPACE || undefined,
    taskQueue: env.MEDBILL_TEMPORAL_TASK_QUEUE || undefined,
    temporalUiUrl: env.MEDBILL_TEMPORAL_UI_URL || 'http://127.0.0.1:8233',
    embeddedTemporal: bool(env.MEDBILL_EMBEDDED_TEMPORAL, true),
    temporalUi: bool(env.MEDBILL_TEMPORAL_UI, true),
    temporalCli: env.MEDBILL_TEMPORAL_CLI || undefined,
    cacheDir: path.resolve(env.MEDBILL_CACHE_DIR || path.join(os.homedir(), '.cache', 'medbill')),
    host: env.MEDBILL_HOST || '127.0.0.1',
    port,
    publicUrl: (env.MEDBILL_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/$/, ''),
    simPort,
    smsUrl: env.MEDBILL_SMS_URL || `${sim}/sms`,
    simSmtpPort,
    // unset: the simulator; set but empty: no e-mail notices
    smtpUrl: env.MEDBILL_SMTP_URL ?? `smtp://medbill:medbill@127.0.0.1:${simSmtpPort}`,
    mailFrom: env.MEDBILL_MAIL_FROM || 'ebill@medbill.local',
    wechatCardId: env.MEDBILL_WECHAT_CARD_ID || 'pMedbillNontaxBillCard01',
    printerUrl: (env.MEDBILL_PRINTER_URL || '').replace(/\/$/, ''),
    printerSimPort: int('MEDBILL_PRINTER_SIM_PORT', env.MEDBILL_PRINTER_SIM_PORT, simPort > 0 ? simPort + 2 : 0),
    wechatUrl: env.MEDBILL_WECHAT_URL || `${sim}/wechat`,
    wechatAppId: env.MEDBILL_WECHAT_APPID || 'wxmedbilldemo0001',
    wechatSecret: env.MEDBILL_WECHAT_SECRET || 'medbill-demo-wechat-secret',
    wechatTemplateId: env.MEDBILL_WECHAT_TEMPLATE_ID || 'MEDBILL_BILL_ISSUED',
    wechatRefundTemplateId: env.MEDBILL_WECHAT_REFUND_TEMPLATE_ID || 'MEDBILL_REFUND_RESULT',
    smsTemplate: env.MEDBILL_SMS_TEMPLATE || 'SMS_MEDBILL_ISSUED',
    smsScarletTemplate: env.MEDBILL_SMS_SCARLET_TEMPLATE || 'SMS_MEDBILL_REVERSED',
    smsRefundTemplate: env.MEDBILL_SMS_REFUND_TEMPLATE || 'SMS_MEDBILL_REFUND',
    signerUrl: env.MEDBILL_SIGNER_URL || '',
    signThreads: int('MEDBILL_SIGN_THREADS', env.MEDBILL_SIGN_THREADS, Math.max(1, os.availableParallelism())),
    layoutThreads: int('MEDBILL_LAYOUT_THREADS', env.MEDBILL_LAYOUT_THREADS, 1),
    fontPath: env.MEDBILL_FONT || FONT_CANDIDATES.find((f) => fs.existsSync(f)) || '',
    runWorker: bool(env.MEDBILL_WORKER, true),
    runApi: bool(env.MEDBILL_API, true),
    seedDemo: bool(env.MEDBILL_DEMO, true),
    logLevel: level,
    issueTimeoutMs: int('MEDBILL_ISSUE_TIMEOUT_MS', env.MEDBILL_ISSUE_TIMEOUT_MS, 10000),
    paperRemindAfterMs: duration('MEDBILL_PAPER_REMIND_AFTER', env.MEDBILL_PAPER_REMIND_AFTER, 4 * 3_600_000),
    crashAt: env.MEDBILL_CRASH_AT || '',
    fiscalUrl: (env.MEDBILL_FISCAL_URL || '').replace(/\/$/, ''),
    fiscalAppId: env.MEDBILL_FISCAL_APPID || 'MEDBILL_DEMO_FISCAL',
    fiscalSecret: env.MEDBILL_FISCAL_SECRET || 'medbill-demo-fiscal-secret-2026',
    fiscalTimeoutMs: int('MEDBILL_FISCAL_TIMEOUT_MS', env.MEDBILL_FISCAL_TIMEOUT_MS, 15000),
    fiscalSimPort: int('MEDBILL_FISCAL_SIM_PORT', env.MEDBILL_FISCAL_SIM_PORT, simPort > 0 ? simPort + 3 : 0),
    fiscalSimAutoApprove: bool(env.MEDBILL_FISCAL_SIM_AUTO_APPROVE, true),
    fiscalSimReviewDelayMs: duration('MEDBILL_FISCAL_SIM_REVIEW_DELAY', env.MEDBILL_FISCAL_SIM_REVIEW_DELAY, 2000),
    fiscalSimAccountAfterMs: env.MEDBILL_FISCAL_SIM_ACCOUNT_AFTER ? duration('MEDBILL_FISCAL_SIM_ACCOUNT_AFTER', env.MEDBILL_FISCAL_SIM_ACCOUNT_AFTER, 0) : undefined,
    basicSyncEveryMs: duration('MEDBILL_BASIC_SYNC_EVERY', env.MEDBILL_BASIC_SYNC_EVERY, 3_600_000),
    stockAlarmEveryMs: duration('MEDBILL_STOCK_ALARM_EVERY', env.MEDBILL_STOCK_ALARM_EVERY, 10 * 60_000),
    stockDefaultThreshold: int('MEDBILL_STOCK_DEFAULT_THRESHOLD', env.MEDBILL_STOCK_DEFAULT_THRESHOLD, 1000),
    requisitionPollMaxMs: duration('MEDBILL_REQUISITION_POLL_MAX', env.MEDBILL_REQUISITION_POLL_MAX, 5 * 60_000),
    uploadEveryMs: duration('MEDBILL_UPLOAD_EVERY', env.MEDBILL_UPLOAD_EVERY, 60_000),
    uploadBatch: Math.max(1, Math.min(1000, int('MEDBILL_UPLOAD_BATCH', env.MEDBILL_UPLOAD_BATCH, 100) || 100)),
    uploadRetryMaxMs: duration('MEDBILL_UPLOAD_RETRY_MAX', env.MEDBILL_UPLOAD_RETRY_MAX, 5 * 60_000),
    accountEveryMs: duration('MEDBILL_ACCOUNT_EVERY', env.MEDBILL_ACCOUNT_EVERY, 10 * 60_000),
    payNotifyBaseUrl: (env.MEDBILL_PAY_NOTIFY_URL || env.MEDBILL_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/$/, ''),
    refundChannelCodes: parseChannelCodes('MEDBILL_REFUND_CHANNEL_CODES', env.MEDBILL_REFUND_CHANNEL_CODES || 'wechat=05;alipay=04;cash=02;unionpay=08'),
    refundMaxAgeDays: parseChannelNumbers('MEDBILL_REFUND_MAX_AGE_DAYS', env.MEDBILL_REFUND_MAX_AGE_DAYS ?? 'wechat=365;alipay=90;unionpay=180'),
    refundPollMs: duration('MEDBILL_REFUND_POLL', env.MEDBILL_REFUND_POLL, 60_000),
    payTimeoutMs: int('MEDBILL_PAY_TIMEOUT_MS', env.MEDBILL_PAY_TIMEOUT_MS, 10000),
    wechatpayUrl: (env.MEDBILL_WECHATPAY_URL || '').replace(/\/$/, ''),
    wechatpayMchId: env.MEDBILL_WECHATPAY_MCHID || '1900000109',
    wechatpaySerial: env.MEDBILL_WECHATPAY_SERIAL || '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
    wechatpayPrivateKey: env.MEDBILL_WECHATPAY_PRIVATE_KEY || '',
    wechatpayApiV3Key: apiV3Key(env.MEDBILL_WECHATPAY_APIV3_KEY || 'medbillDemoApiV3Key0123456789abc'),
    wechatpayPlatformSerial: env.MEDBILL_WECHATPAY_PLATFORM_SERIAL || 'PUB_KEY_ID_0119000001092026112200000000000001',
    wechatpayPlatformPublicKey: env.MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY || '',
    wechatpaySimPort: int('MEDBILL_WECHATPAY_SIM_PORT', env.MEDBILL_WECHATPAY_SIM_PORT, simPort > 0 ? simPort + 4 : 0),
    alipayUrl: env.MEDBILL_ALIPAY_URL || '',
    alipayAppId: env.MEDBILL_ALIPAY_APPID || '2021004100000001',
    alipayPrivateKey: env.MEDBILL_ALIPAY_PRIVATE_KEY || '',
    alipayPublicKey: env.MEDBILL_ALIPAY_PUBLIC_KEY || '',
    alipaySimPort: int('MEDBILL_ALIPAY_SIM_PORT', env.MEDBILL_ALIPAY_SIM_PORT, simPort > 0 ? simPort + 5 : 0),
    paySimTimeScale: positive('MEDBILL_PAYSIM_TIME_SCALE', env.MEDBILL_PAYSIM_TIME_SCALE, 1),
    paySimRefundDelayMs: env.MEDBILL_PAYSIM_REFUND_DELAY === '0' ? 0 : duration('MEDBILL_PAYSIM_REFUND_DELAY', env.MEDBILL_PAYSIM_REFUND_DELAY, 3000),
    paySimDuplicateRate: fraction('MEDBILL_PAYSIM_DUPLICATE_RATE', env.MEDBILL_PAYSIM_DUPLICATE_RATE, 0.05),
    paySimPartialGapMs: env.MEDBILL_PAYSIM_PARTIAL_GAP === '0' ? 0 : duration('MEDBILL_PAYSIM_PARTIAL_GAP', env.MEDBILL_PAYSIM_PARTIAL_GAP, 60_000),
    paySimAlipayRefundDays: int('MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS', env.MEDBILL_PAYSIM_ALIPAY_REFUND_DAYS, 90),
  };
}

let current: Config | undefined;
/** The process-wide configuration, read once from the environment. */
export function config(): Config {
  return (current ??= loadConfig());
}
/** Tests and launchers replace the configuration before anything else reads it. */
export function setConfig(c: Config): void {
  current = c;
}
