/** What activities and API handlers share: configuration, the ORM, master data and the adapters. */
import type { MikroORM } from '@mikro-orm/core';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import { unseal } from '../common/keys';
import { MasterData, type HospitalInfo } from './issue/master-data';
import { createSigner } from './signing';
import type { Signer } from './signing/signer';
import { createNotifiers } from './notify';
import type { Notifier } from './notify/notifier';
import { createLayoutRenderer, type LayoutRenderer } from './layout/renderer';
import { createPrinter } from './printer/http-printer';
import type { Printer } from './printer/printer';
import type { FiscalPlatform } from './fiscal/platform';
import { HttpFiscalPlatform } from './fiscal/client';
import { createPaymentChannels, type PaymentChannels } from './payment';

export interface Deps {
  cfg: Config;
  orm: MikroORM;
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
  /**
   * The platform's Temporal client, for activities that drive another process the way the API
   * does (a refund's bill reversal runs through the bill's own `writeoff-…` process). Set by the
   * platform once connected; absent in unit tests.
   */
  temporal?: { client: Client; namespace: string; taskQueue: string; temporalUiUrl: string };
  close(): Promise<void>;
}

export function createDeps(cfg: Config, orm: MikroORM, masterKey: string): Deps {
  const signers = new Map<number, Signer>();
  const layout = createLayoutRenderer(cfg.layoutThreads);
  return {
    layout,
    cfg,
    orm,
    masterKey,
    master: new MasterData(orm, masterKey),
    notifiers: createNotifiers(cfg),
    printer: createPrinter(cfg.printerUrl || `http://127.0.0.1:${cfg.printerSimPort}`),
    fiscal: new HttpFiscalPlatform({
      url: cfg.fiscalUrl || `http://127.0.0.1:${cfg.fiscalSimPort}`,
      appId: cfg.fiscalAppId,
      secret: cfg.fiscalSecret,
      timeoutMs: cfg.fiscalTimeoutMs,
    }),
    payments: createPaymentChannels(cfg),
    signerFor(h) {
      let s = signers.get(h.id);
      if (!s) {
        s = createSigner({
          signerUrl: cfg.signerUrl,
          signThreads: cfg.signThreads,
          publicKey: h.publicKey,
          privateKey: cfg.signerUrl ? undefined : unseal(h.privateKeyEnc, masterKey),
          keyId: h.code,
        });
        signers.set(h.id, s);
      }
      return s;
    },
    async close() {
      await Promise.all([...signers.values()].map((s) => s.close()));
      signers.clear();
      await layout.close();
    },
  };
}
