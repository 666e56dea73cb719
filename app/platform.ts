/**
 * Boots the whole platform in one process: the Temporal dev server (unless an address is given),
 * the database (migrated, demo-seeded when empty), the simulators, the worker and the API.
 * Used by `npm start` (scripts/start.ts) and by the test harness.
 */
import * as http from 'node:http';
import * as path from 'node:path';
import type { SqlOrm } from '../orm/sql';
import type { Worker } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { resumeRefunds } from '../temporal/refund-client';
import type { Config } from '../config';
import { masterKey } from '../common/keys';
import { applyTemporalSetup, connectClient, loadTemporalSetup, type TemporalSetup } from '../temporal/setup';
import { openOrm } from '../orm/db';
import { sealerFromConfig } from '../orm/sealed';
import { seedDemo } from '../orm/seed';
import { alignSigningKeys } from '../services/signing-keys';
import { receivedRanges } from '../orm/repositories/stock-receipts';
import { createDeps, type Deps } from '../services/deps';
import { createWorker } from './worker';
import { createApp } from '../api/app';
import type { ApiContext } from '../api/context';
import { startNotifySim } from '../sim/notify/server';
import { startPrinterSim } from '../sim/printer/server';
import { startFiscalSim } from '../sim/fiscal/server';
import { startWeChatPaySim } from '../sim/wechatpay/server';
import { startAlipaySim } from '../sim/alipay/server';
import { demoKeyPair, paymentKeys } from '../adapters/payment/keys';
import { configProblems, dataProblems, refuseProduction } from '../services/production-check';
import { createPublicKey } from 'node:crypto';
import { BillKind, Hospital, StockSegment } from '../orm/entities';
import { ensureSchedules } from '../temporal/schedules';
import { findTemporalCli, startDevServer, type DevServer } from '../scripts/temporal-dev';

export interface Platform {
  cfg: Config;
  setup: TemporalSetup;
  namespace: string;
  taskQueue: string;
  apiUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  simUrl?: string;
  deps: Deps;
  api: ApiContext;
  orm: SqlOrm;
  worker?: Worker;
  devServer?: DevServer;
  seeded: boolean;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  log?: (msg: string) => void;
  /** Run the dev server headless (tests). */
  headless?: boolean;
}

/** mTLS to an outside Temporal frontend only: the embedded dev server speaks plain gRPC on loopback. */
const temporalTlsOf = (cfg: Config) => (cfg.temporal.embedded ? undefined : cfg.temporal.tls);

export async function startPlatform(cfg: Config, opts: PlatformOptions = {}): Promise<Platform> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const setup = loadTemporalSetup();
  const namespace = cfg.temporal.namespace ?? setup.namespace.name;
  const taskQueue = cfg.temporal.taskQueue ?? setup.taskQueue;
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch (e) {
        log(`stop step failed: ${(e as Error).message}`);
      }
    }
    stops.length = 0;
  };
  try {
    if (cfg.server.production) refuseProduction(configProblems(cfg));
    let devServer: DevServer | undefined;
    let temporalAddress = cfg.temporal.address;
    let temporalUiUrl: string | undefined = cfg.temporal.uiUrl;
    if (cfg.temporal.embedded) {
      const cli = findTemporalCli(setup, { cli: cfg.temporal.cli, cacheDir: cfg.temporal.cacheDir, log });
      const [, portText] = cfg.temporal.address.split(':');
      devServer = await startDevServer(cli, setup, {
        dbFile: path.join(cfg.server.dataDir, setup.devServer.dataFile),
        port: Number(portText) || setup.devServer.port,
        uiPort: Number(new URL(cfg.temporal.uiUrl).port) || setup.devServer.uiPort,
        headless: opts.headless ?? !cfg.temporal.ui,
        namespace,
        logFile: path.join(cfg.server.dataDir, 'temporal.log'),
      });
      stops.push(() => devServer!.stop());
      temporalAddress = devServer.address;
      temporalUiUrl = devServer.uiUrl ?? cfg.temporal.uiUrl;
    }
    const { connection, client } = await connectClient(temporalAddress, namespace, temporalTlsOf(cfg));
    stops.push(() => (connection as Connection).close());
    await applyTemporalSetup(connection, setup, namespace);

    const orm = await openOrm(cfg.database.url, { sealer: sealerFromConfig(cfg), sealBatch: cfg.keys.sealBatch });
    stops.push(() => orm.close(true));
    const key = masterKey(cfg);
    if (cfg.server.production) refuseProduction(await dataProblems(orm.em.fork(), key));
    const seeded = cfg.server.seedDemo ? await seedDemo(orm.em.fork(), key) : false;
    await alignSigningKeys(orm.em, cfg.signing.signerUrl, seeded, { info: (m) => log(m), warn: (m, meta) => log(`${m} ${JSON.stringify(meta ?? {})}`) });

    let simUrl: string | undefined;
    if (cfg.sim.port > 0) {
      const sim = await startNotifySim({ port: cfg.sim.port, smtpPort: cfg.sim.smtpPort });
      stops.push(() => sim.close());
      simUrl = sim.url;
    }
    let printerUrl = cfg.layout.printerUrl;
    if (cfg.sim.port > 0 && cfg.sim.printerPort > 0) {
      const printer = await startPrinterSim({ port: cfg.sim.printerPort, dataDir: cfg.server.dataDir, fallbackToFreePort: true });
      stops.push(() => printer.close());
      printerUrl ||= printer.url;
    }

    let fiscalUrl = cfg.fiscal.url;
    if (cfg.sim.port > 0 && cfg.sim.fiscal.port > 0 && !cfg.fiscal.url) {
      const fiscal = await startFiscalSim({
        port: cfg.sim.fiscal.port,
        dataDir: cfg.server.dataDir,
        fallbackToFreePort: true,
        autoApprove: cfg.sim.fiscal.autoApprove,
        reviewDelayMs: cfg.sim.fiscal.reviewDelayMs,
        accountAfterMs: cfg.sim.fiscal.accountAfterMs,
      });
      stops.push(() => fiscal.close());
      fiscalUrl = fiscal.url;
      await registerWithFiscalSim(orm, cfg, fiscalUrl);
    }

    const { wechatpayUrl, alipayUrl } = await startPaymentSims(cfg, stops);
    const deps = createDeps(withSimulatorUrls(cfg, { printerUrl, fiscalUrl, wechatpayUrl, alipayUrl }), orm, key);
    stops.push(() => deps.close());
    const api: ApiContext = { deps, client, namespace, taskQueue, temporalUiUrl: temporalUiUrl ?? cfg.temporal.uiUrl };

    await ensureSchedules(client, taskQueue, cfg, undefined, (m) => log(m));

    let worker: Worker | undefined;
    if (cfg.server.runWorker) {
      worker = await createWorker(api, { address: temporalAddress, namespace, taskQueue, tls: temporalTlsOf(cfg) });
      const running = worker.run();
      stops.push(async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
      });
      running.catch((e) => log(`worker stopped with an error: ${e}`));
      // A refund stored just before a crash, whose process never started, gets it now.
      resumeRefunds(api).catch((e) => log(`resuming refund processes failed: ${(e as Error)?.stack ?? e}`));
    }

    let apiUrl = '';
    if (cfg.server.runApi) {
      const app = createApp(api, { log: (m, e) => log(`${m}: ${(e as Error)?.stack ?? e}`) });
      const server = http.createServer(app.callback());
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(cfg.server.port, cfg.server.host, () => resolve());
      });
      const port = (server.address() as { port: number }).port;
      apiUrl = `http://${cfg.server.host === '0.0.0.0' ? '127.0.0.1' : cfg.server.host}:${port}`;
      stops.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
    }
    return { cfg, setup, namespace, taskQueue, apiUrl, temporalAddress, temporalUiUrl, simUrl, deps, api, orm, worker, devServer, seeded, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The configuration with the URLs of the simulators started here in place of the empty production URLs. */
function withSimulatorUrls(cfg: Config, urls: { printerUrl: string; fiscalUrl: string; wechatpayUrl: string; alipayUrl: string }): Config {
  return {
    ...cfg,
    layout: { ...cfg.layout, printerUrl: urls.printerUrl },
    fiscal: { ...cfg.fiscal, url: urls.fiscalUrl },
    payment: { ...cfg.payment, wechatpay: { ...cfg.payment.wechatpay, url: urls.wechatpayUrl }, alipay: { ...cfg.payment.alipay, url: urls.alipayUrl } },
  };
}

/**
 * Starts the WeChat Pay and Alipay simulators (sim port + SIM_PORT_OFFSET.wechatpay / .alipay, a busy default falls back to a
 * free port) unless MEDBILL_WECHATPAY_URL / MEDBILL_ALIPAY_URL name real platforms. The simulated
 * platforms know the merchant's / app's public keys (derived from the configured or demo private
 * keys) and sign with their own demo keys from data/payment-keys/.
 */
async function startPaymentSims(cfg: Config, stops: Array<() => Promise<unknown>>): Promise<{ wechatpayUrl: string; alipayUrl: string }> {
  let wechatpayUrl = cfg.payment.wechatpay.url;
  let alipayUrl = cfg.payment.alipay.url;
  if (cfg.sim.port <= 0) return { wechatpayUrl, alipayUrl };
  const keys = paymentKeys(cfg);
  const publicOf = (pem: string) => createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;
  const common = { dataDir: cfg.server.dataDir, fallbackToFreePort: true, timeScale: cfg.sim.payment.timeScale, refundDelayMs: cfg.sim.payment.refundDelayMs, duplicateRate: cfg.sim.payment.duplicateRate };
  if (cfg.sim.payment.wechatpayPort > 0 && !cfg.payment.wechatpay.url) {
    const sim = await startWeChatPaySim({
      ...common,
      port: cfg.sim.payment.wechatpayPort,
      partialGapMs: cfg.sim.payment.partialGapMs,
      merchant: { mchId: cfg.payment.wechatpay.mchId, serial: cfg.payment.wechatpay.serial, publicKey: publicOf(keys.wechatpay.privateKey), apiV3Key: cfg.payment.wechatpay.apiV3Key },
      platform: { serial: cfg.payment.wechatpay.platformSerial, privateKey: demoKeyPair(cfg.server.dataDir, 'wechatpay-platform').privateKey },
    });
    stops.push(() => sim.close());
    wechatpayUrl = sim.url;
  }
  if (cfg.sim.payment.alipayPort > 0 && !cfg.payment.alipay.url) {
    const sim = await startAlipaySim({
      ...common,
      port: cfg.sim.payment.alipayPort,
      refundWindowMs: cfg.sim.payment.alipayRefundDays * 86_400_000,
      app: { appId: cfg.payment.alipay.appId, publicKey: publicOf(keys.alipay.privateKey) },
      platformPrivateKey: demoKeyPair(cfg.server.dataDir, 'alipay-platform').privateKey,
    });
    stops.push(() => sim.close());
    alipayUrl = sim.gateway;
  }
  return { wechatpayUrl, alipayUrl };
}

/**
 * Registers the database's hospitals with the fiscal simulator (idempotent, on every start): the
 * first hospital with MEDBILL_FISCAL_APPID / MEDBILL_FISCAL_SECRET, further ones with
 * `{appId}-{code}` and the same secret; their SM2 public keys; every stock segment already in the
 * database counts as issued to that hospital.
 */
async function issuedRanges(em: ReturnType<SqlOrm['em']['fork']>, hospitalId: number, kinds: Map<number, string>, segs: StockSegment[]) {
  const receipts = await receivedRanges(em, hospitalId);
  type Range = { billKindCode: string; billBatchCode: string; startNo: number; endNo: number };
  const covered = (s: StockSegment) => (receipts as Range[]).some((r: Range) => r.billBatchCode === s.billBatchCode && r.startNo <= s.startNo && s.endNo <= r.endNo);
  const loose = segs.filter((s) => s.endNo >= s.startNo && !covered(s)).map((s) => ({ billKindCode: kinds.get(s.billKind.id), billBatchCode: s.billBatchCode, startNo: s.startNo, endNo: s.endNo }));
  return [...receipts, ...loose];
}

export async function registerWithFiscalSim(orm: SqlOrm, cfg: Config, simUrl: string): Promise<void> {
  const em = orm.em.fork();
  const hospitals = await em.find(Hospital, {}, { orderBy: { id: 'asc' } });
  const kinds = new Map((await em.find(BillKind, {})).map((k) => [k.id, k.code]));
  for (const [i, h] of hospitals.entries()) {
    const segs = await em.find(StockSegment, { hospital: h.id }, { orderBy: { id: 'asc' } });
    const res = await fetch(`${simUrl}/_sim/hospitals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: h.code,
        name: h.name,
        regionCode: h.regionCode,
        appId: i === 0 ? cfg.fiscal.appId : `${cfg.fiscal.appId}-${h.code}`,
        secret: cfg.fiscal.secret,
        publicKey: h.publicKey,
        // Every range the fiscal platform issued: stock_receipt (also what now lies in the hospital
        // pool or at the points); a point segment no receipt covers (data older than the stock
        // tables) is registered as it is.
        segments: await issuedRanges(em, h.id, kinds, segs),
      }),
    });
    if (!res.ok) throw new Error(`registering ${h.code} with the fiscal simulator failed: ${res.status} ${await res.text()}`);
  }
}
