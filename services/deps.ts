/** What activities and API handlers share: configuration, the ORM, master data and the adapters. */
import type { SqlOrm } from '../orm/sql';
import type { Config } from '../config';
import { unseal } from '../common/keys';
import { MasterData, type HospitalInfo } from './master-data';
import { createSigner } from '../adapters/signing';
import type { Signer } from '../adapters/signing/signer';
import { createNotifiers } from '../adapters/notify';
import type { Notifier } from '../adapters/notify/notifier';
import { createLayoutRenderer, type LayoutRenderer } from '../adapters/layout/renderer';
import { createPrinter } from '../adapters/printer/http-printer';
import type { Printer } from '../adapters/printer/printer';
import type { FiscalPlatform } from '../adapters/fiscal/platform';
import { HttpFiscalPlatform } from '../adapters/fiscal/client';
import { createPaymentChannels, type PaymentChannels } from '../adapters/payment';
import { simUrl } from '../config/simulators';
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../common/exchange';
import { createExchangeLog, type ExchangeLog } from './exchange-log';

export interface Deps {
  cfg: Config;
  orm: SqlOrm;
  masterKey: string;
  master: MasterData;
  signerFor(h: HospitalInfo): Signer;
  notifiers: Notifier[];
  /** PDF and QR rendering, off the main thread. */
  layout: LayoutRenderer;
  /** Window printers (paper forms, A4): MEDBILL_PRINTER_URL, else the printer simulator. */
  printer: Printer;
  /** The fiscal e-bill platform: MEDBILL_FISCAL_URL, else the fiscal simulator. */
  fiscal: FiscalPlatform;
  /** Refund channels (WeChat Pay v3, Alipay): MEDBILL_WECHATPAY_URL / MEDBILL_ALIPAY_URL, else their simulators. */
  payments: PaymentChannels;
  /** The exchange log every adapter records its outside calls on (and the HIS and payment-notice routes their inbound ones). */
  exchangeLog: ExchangeSink;
  close(): Promise<void>;
}

export function createDeps(cfg: Config, orm: SqlOrm, masterKey: string): Deps {
  const signers = new Map<number, Signer>();
  const layout = createLayoutRenderer(cfg.layout.threads);
  // The exchange log (交互日志): off only for the benchmark's comparison (MEDBILL_EXCHANGE_LOG=0, refused by a production start).
  const store: ExchangeLog | undefined = cfg.audit.exchangeLog ? createExchangeLog(orm, masterKey) : undefined;
  const exchangeLog: ExchangeSink = store ?? NO_EXCHANGE_LOG;
  return {
    exchangeLog,
    layout,
    cfg,
    orm,
    masterKey,
    master: new MasterData(orm, masterKey),
    notifiers: createNotifiers(cfg, {}, exchangeLog),
    printer: createPrinter(cfg.layout.printerUrl || simUrl(cfg.sim.printerPort), exchangeLog),
    fiscal: new HttpFiscalPlatform({
      url: cfg.fiscal.url || simUrl(cfg.sim.fiscal.port),
      appId: cfg.fiscal.appId,
      secret: cfg.fiscal.secret,
      timeoutMs: cfg.fiscal.timeoutMs,
      exchangeLog,
    }),
    payments: createPaymentChannels(cfg, {}, exchangeLog),
    signerFor(h) {
      let s = signers.get(h.id);
      if (!s) {
        s = createSigner({
          signerUrl: cfg.signing.signerUrl,
          signThreads: cfg.signing.threads,
          publicKey: h.publicKey,
          privateKey: cfg.signing.signerUrl ? undefined : unseal(h.privateKeyEnc, masterKey),
          keyId: h.code,
          exchangeLog,
        });
        signers.set(h.id, s);
      }
      return s;
    },
    async close() {
      await Promise.all([...signers.values()].map((s) => s.close()));
      signers.clear();
      await layout.close();
      // Last: the exchanges of everything closed above are written before the ORM closes.
      await store?.close();
    },
  };
}
