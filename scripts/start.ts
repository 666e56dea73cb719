/** `npm start`: the whole platform on embedded defaults. Ctrl-C stops everything cleanly. */
import { config } from '../config';
import { DEMO } from '../orm/seed';
import { startPlatform } from '../app/platform';
import { SIM_HOST } from '../config/simulators';

/** A database URL as it may be shown: without its password. */
const withoutPassword = (url: string) => url.replace(/^([a-z]+:\/\/[^:/@]+):[^@]*@/i, '$1:***@');

/**
 * The demo's sign-in names and passwords only on the start that has just seeded them (later starts
 * may run with changed passwords: the README lists the demo ones); never the HIS key (README).
 */
function demoLines(seeded: boolean): string {
  const common = [
    ` HIS demo app          appid ${DEMO.appid}   (its key: README, "Demo data")`,
    ` Billing points        ${DEMO.places.map((x) => `${x.code} ${x.name}`).join('   ')}`,
    ` HIS charge codes      ${DEMO.items.map(([, name, codes]) => `${codes[0]}=${name}`).join(' ')}`,
  ];
  const users = seeded
    ? ` Console users         ${DEMO.users.map((u) => `${u.username} / ${u.password}`).join('   ')}  (demo passwords: change them)`
    : ` Console users         as seeded (README, "Demo data")`;
  return [users, ...common].join('\n');
}

async function main(): Promise<void> {
  const cfg = config();
  const t0 = Date.now();
  const p = await startPlatform(cfg);
  const line = '─'.repeat(72);
  console.log(`
${line}
 medbill is running (${((Date.now() - t0) / 1000).toFixed(1)} s)${p.seeded ? ' — demo data created' : ''}
${line}
 Console (控制台)      ${p.apiUrl}/console/
 HIS interface         POST ${p.apiUrl}/medical-web/api/medical/{method}
 Patient H5 pages      ${cfg.server.publicUrl}/h5/bill/{billBatchCode}/{billNo}?random={check code}
 Health                ${p.apiUrl}/health
 Temporal UI           ${p.temporalUiUrl ?? '(headless)'}   namespace ${p.namespace}
 Temporal frontend     ${p.temporalAddress}
 Simulators            ${p.simUrl ?? '(off)'}  (SMS, e-mail, WeChat, card pack: GET /_sim/messages, /_sim/wechat/cards)
 SMTP simulator        ${p.simUrl ? `${SIM_HOST}:${p.cfg.sim.smtpPort}` : '(off)'}  (e-mail notices go here unless MEDBILL_SMTP_URL is set)
 Fiscal platform       ${p.deps.cfg.fiscal.url || '(none)'}${cfg.fiscal.url ? '' : '  (simulator: /_sim/uploads, /_sim/review, /_sim/faults)'}
 Window printers       ${p.deps.cfg.layout.printerUrl || '(none)'}${cfg.layout.printerUrl ? '' : '  (simulator: GET /_sim/print-jobs)'}
 WeChat Pay / Alipay   ${p.deps.cfg.payment.wechatpay.url || '(none)'}  ${p.deps.cfg.payment.alipay.url || '(none)'}${cfg.payment.wechatpay.url ? '' : '  (simulators: /_sim/refunds, /_sim/notices)'}
 Database              ${withoutPassword(cfg.database.url)}
 Data folder           ${cfg.server.dataDir}
${line}
${demoLines(p.seeded)}
${line}
 Ctrl-C stops everything; running it again resumes where it stopped.
`);
  let stopping = false;
  const forceStop = () => {
    p.devServer?.process.kill('SIGKILL');
    process.exit(1);
  };
  const shutdown = async (signal: string) => {
    if (stopping) {
      console.log(`\n${signal} again: stopping now.`);
      return forceStop();
    }
    stopping = true;
    console.log(`\n${signal}: stopping (worker, API, simulators, database, Temporal) ... (again to force)`);
    // Running activities get a grace period; a stop that hangs past it is forced.
    setTimeout(() => {
      console.error('stop took longer than 30 s: forcing.');
      forceStop();
    }, 30_000).unref();
    await p.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e) => {
  console.error(`medbill failed to start: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
