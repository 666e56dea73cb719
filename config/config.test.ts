import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { loadConfig } from '.';
import { DEFAULT_DATA_DIR } from './server';
import { DEFAULT_CACHE_DIR } from './temporal';
import { FONT_CANDIDATES } from './layout';

describe('loadConfig', () => {
  it('loads every default from an empty environment (the values of today, pinned)', () => {
    const cfg = loadConfig({});
    expect(cfg.server).toEqual({
      host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080', dataDir: path.resolve(DEFAULT_DATA_DIR),
      logLevel: 'info', runApi: true, runWorker: true, seedDemo: true, trustProxy: false, production: false, crashAt: '',
    });
    expect(cfg.database).toEqual({ url: `sqlite:${path.join(path.resolve(DEFAULT_DATA_DIR), 'medbill.sqlite')}`, masterKey: undefined });
    expect(cfg.temporal).toEqual({
      address: '127.0.0.1:7233', namespace: undefined, taskQueue: undefined, uiUrl: 'http://127.0.0.1:8233',
      embedded: true, ui: true, cli: undefined, cacheDir: path.join(os.homedir(), '.cache', 'medbill'),
    });
    expect(DEFAULT_CACHE_DIR).toBe(path.join(os.homedir(), '.cache', 'medbill'));
    expect(cfg.bills).toEqual({ issueTimeoutMs: 10000, paperRemindAfterMs: 4 * 3_600_000 });
    expect(cfg.fiscal).toEqual({
      url: '', appId: 'MEDBILL_DEMO_FISCAL', secret: 'medbill-demo-fiscal-secret-2026', timeoutMs: 15000, basicSyncEveryMs: 3_600_000,
      uploadEveryMs: 60_000, uploadBatch: 100, uploadRetryMaxMs: 300_000, accountEveryMs: 600_000,
    });
    expect(cfg.stock).toEqual({ alarmEveryMs: 600_000, defaultThreshold: 1000, requisitionPollMaxMs: 300_000 });
    expect(cfg.payment).toEqual({
      notifyBaseUrl: 'http://127.0.0.1:8080', timeoutMs: 10000,
      refundChannelCodes: { wechat: ['05'], alipay: ['04'], cash: ['02'], unionpay: ['08'] },
      refundMaxAgeDays: { wechat: 365, alipay: 90, unionpay: 180 }, refundPollMs: 60_000,
      wechatpay: {
        url: '', mchId: '1900000109', serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', privateKey: '', apiV3Key: 'medbillDemoApiV3Key0123456789abc',
        platformSerial: 'PUB_KEY_ID_0119000001092026112200000000000001', platformPublicKey: '',
      },
      alipay: { url: '', appId: '2021004100000001', privateKey: '', publicKey: '' },
    });
    expect(cfg.notify).toEqual({
      sms: { url: 'http://127.0.0.1:8090/sms', template: 'SMS_MEDBILL_ISSUED', scarletTemplate: 'SMS_MEDBILL_REVERSED', refundTemplate: 'SMS_MEDBILL_REFUND', codeTemplate: 'SMS_MEDBILL_CODE' },
      mail: { smtpUrl: 'smtp://medbill:medbill@127.0.0.1:8091', from: 'ebill@medbill.local' },
      wechat: {
        url: 'http://127.0.0.1:8090/wechat', appId: 'wxmedbilldemo0001', secret: 'medbill-demo-wechat-secret', templateId: 'MEDBILL_BILL_ISSUED',
        refundTemplateId: 'MEDBILL_REFUND_RESULT', cardId: 'pMedbillNontaxBillCard01',
      },
    });
    expect(cfg.signing).toEqual({ signerUrl: '', threads: Math.max(1, os.availableParallelism()) });
    expect(cfg.layout).toEqual({ fontPath: FONT_CANDIDATES.find((f) => fs.existsSync(f)) ?? '', threads: 1, printerUrl: '' });
    expect(cfg.sim).toEqual({
      port: 8090, smtpPort: 8091, printerPort: 8092,
      fiscal: { port: 8093, autoApprove: true, reviewDelayMs: 2000, accountAfterMs: undefined },
      payment: { wechatpayPort: 8094, alipayPort: 8095, timeScale: 1, refundDelayMs: 3000, duplicateRate: 0.05, partialGapMs: 60_000, alipayRefundDays: 90 },
    });
  });

  it('derives what follows from another setting, and keeps the special cases of today', () => {
    const cfg = loadConfig({
      MEDBILL_PORT: '9000', MEDBILL_DATA_DIR: '/tmp/medbill-cfg', MEDBILL_SIM_PORT: '0', MEDBILL_SMTP_URL: '', MEDBILL_PUBLIC_URL: 'https://bills.example.org/',
      MEDBILL_PAYSIM_REFUND_DELAY: '0', MEDBILL_PAYSIM_PARTIAL_GAP: '0', MEDBILL_UPLOAD_BATCH: '5000', MEDBILL_REFUND_MAX_AGE_DAYS: '', MEDBILL_FISCAL_SIM_ACCOUNT_AFTER: '30s',
      MEDBILL_FISCAL_URL: 'https://fiscal.example.org/', MEDBILL_LOG_LEVEL: 'debug', MEDBILL_WORKER: 'no',
    });
    expect(cfg.server).toMatchObject({ port: 9000, publicUrl: 'https://bills.example.org', dataDir: '/tmp/medbill-cfg', logLevel: 'debug', runWorker: false });
    expect(cfg.database.url).toBe('sqlite:/tmp/medbill-cfg/medbill.sqlite');
    expect(cfg.payment.notifyBaseUrl).toBe('https://bills.example.org');
    expect(cfg.sim).toMatchObject({ port: 0, smtpPort: 0, printerPort: 0, fiscal: { port: 0, accountAfterMs: 30_000 }, payment: { wechatpayPort: 0, alipayPort: 0, refundDelayMs: 0, partialGapMs: 0 } });
    expect(cfg.notify.mail.smtpUrl).toBe(''); // set but empty: no e-mail
    expect(cfg.fiscal).toMatchObject({ url: 'https://fiscal.example.org', uploadBatch: 1000 });
    expect(cfg.payment.refundMaxAgeDays).toEqual({}); // set but empty: no limit
    expect(loadConfig({ MEDBILL_UPLOAD_BATCH: '0' }).fiscal.uploadBatch).toBe(100);
    expect(loadConfig({ MEDBILL_SIM_PORT: '7000', MEDBILL_SIM_SMTP_PORT: '2525' }).sim).toMatchObject({ smtpPort: 2525, printerPort: 7002, payment: { alipayPort: 7005 } });
    expect(loadConfig({ MEDBILL_PAY_NOTIFY_URL: 'https://pay.example.org/' }).payment.notifyBaseUrl).toBe('https://pay.example.org');
  });

  it.each([
    ['MEDBILL_PORT', 'http'],
    ['MEDBILL_SIM_PORT', '-1'],
    ['MEDBILL_SIGN_THREADS', '1.5'],
    ['MEDBILL_LOG_LEVEL', 'loud'],
    ['MEDBILL_UPLOAD_EVERY', '5 minutes'],
    ['MEDBILL_PAPER_REMIND_AFTER', '0'],
    ['MEDBILL_PAYSIM_REFUND_DELAY', '-3s'],
    ['MEDBILL_FISCAL_SIM_ACCOUNT_AFTER', 'soon'],
    ['MEDBILL_PAYSIM_TIME_SCALE', '0'],
    ['MEDBILL_PAYSIM_DUPLICATE_RATE', '1.5'],
    ['MEDBILL_WECHATPAY_APIV3_KEY', 'too-short'],
    ['MEDBILL_REFUND_CHANNEL_CODES', 'bitcoin=01'],
    ['MEDBILL_REFUND_MAX_AGE_DAYS', 'wechat=a year'],
    ['MEDBILL_STOCK_DEFAULT_THRESHOLD', 'many'],
  ])('refuses %s=%j with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('reads mTLS to the Temporal frontend, and refuses half of it', () => {
    expect(loadConfig({}).temporal.tls).toBeUndefined();
    const tls = { MEDBILL_TEMPORAL_TLS_CERT: '/certs/client.pem', MEDBILL_TEMPORAL_TLS_KEY: '/certs/client-key.pem', MEDBILL_TEMPORAL_TLS_CA: '/certs/ca.pem', MEDBILL_TEMPORAL_TLS_SERVER_NAME: 'temporal' };
    expect(loadConfig(tls).temporal.tls).toEqual({ certFile: '/certs/client.pem', keyFile: '/certs/client-key.pem', caFile: '/certs/ca.pem', serverName: 'temporal' });
    expect(() => loadConfig({ MEDBILL_TEMPORAL_TLS_CERT: '/certs/client.pem' })).toThrow('MEDBILL_TEMPORAL_TLS_KEY');
    expect(() => loadConfig({ MEDBILL_TEMPORAL_TLS_CA: '/certs/ca.pem' })).toThrow('MEDBILL_TEMPORAL_TLS_CERT');
  });
});

describe('README Configuration section', () => {
  const root = path.resolve(__dirname, '..');
  const groups = Object.keys(loadConfig({}));
  /** The group's file: config/<group>.ts, the simulators in config/simulators.ts. */
  const fileOf = (group: string) => path.join(__dirname, group === 'sim' ? 'simulators.ts' : `${group}.ts`);
  const sourceFiles = fs.readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const readIn = (file: string) => new Set([...fs.readFileSync(file, 'utf8').matchAll(/\benv\.(MEDBILL_[A-Z0-9_]+)/g)].map((m) => m[1]));

  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  /** Group heading (### `name`...) -> the MEDBILL_ variables in the first column of its table rows. */
  const documented = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of section.split('\n')) {
    const h = /^### `([a-z]+)`/.exec(line);
    if (h) documented.set(h[1], (current = new Set()));
    else if (line.startsWith('| `MEDBILL_')) {
      if (!current) throw new Error(`README Configuration: a variable row before the first group heading: ${line}`);
      for (const m of line.split('|')[1].matchAll(/MEDBILL_[A-Z0-9_]+/g)) current.add(m[0]);
    }
  }

  it('has one table per config group, named as in the code', () => {
    expect(start).toBeGreaterThan(0);
    expect([...documented.keys()].sort()).toEqual([...groups].sort());
  });

  it('lists under each group exactly the variables its file reads', () => {
    for (const g of groups) expect({ group: g, vars: [...(documented.get(g) ?? [])].sort() }).toEqual({ group: g, vars: [...readIn(fileOf(g))].sort() });
  });

  it('lists every variable config/ reads and none it does not read', () => {
    const read = new Set(sourceFiles.flatMap((f) => [...readIn(path.join(__dirname, f))]));
    const listed = new Set([...documented.values()].flatMap((s) => [...s]));
    expect(read.size).toBeGreaterThan(60);
    expect([...listed].filter((v) => !read.has(v))).toEqual([]);
    expect([...read].filter((v) => !listed.has(v))).toEqual([]);
  });
});
