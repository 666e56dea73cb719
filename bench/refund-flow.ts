/**
 * Refunds end to end on the real stack: N bills paid by WeChat Pay are issued, then N refund
 * requests go in through the HIS interface (`applyRefund`, C at a time), the doctor and finance
 * approve each through the console API (C at a time), and the money comes back from the WeChat Pay
 * simulator before the bill is reversed and reissued. Prints the latency of each call, the time
 * from finance's approval to 已完成, refunds/s, and the platform's peak memory. Usage:
 *   node dist/bench/refund-flow.js [--refunds 200] [--clients 16] [--db mysql://root@127.0.0.1:3306/medbill_bench] [--url http://host:port --sim-port 8090]
 */
import { HisClient, sampleOutpatient } from '../sim/his/client';
import { DEMO } from '../orm/seed';
import { arg, benchPlatform, pct } from './platform';
import { SIM_PORT_OFFSET, simUrl } from '../config/simulators';

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { cookie: token } : {}) }, body: JSON.stringify(body) });

/** Runs `fn` over `items`, `n` at a time; returns each call's milliseconds. */
async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t0 = performance.now();
        await fn(item);
        ms.push(performance.now() - t0);
      }
    }),
  );
  return ms;
}

const line = (name: string, ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return `${name}: n=${s.length} p50=${pct(s, 50).toFixed(0)} ms p95=${pct(s, 95).toFixed(0)} ms p99=${pct(s, 99).toFixed(0)} ms max=${s[s.length - 1].toFixed(0)} ms`;
};

async function main(): Promise<void> {
  const refunds = Number(arg('refunds', '200'));
  const clients = Number(arg('clients', '16'));
  const db = arg('db', `mysql://root@127.0.0.1:3306/medbill_bench_${Date.now()}`);
  const platform = await benchPlatform(db, { MEDBILL_PAYSIM_REFUND_DELAY: '1s', MEDBILL_PAYSIM_DUPLICATE_RATE: '0.05', MEDBILL_REFUND_POLL: '30s' });
  const his = new HisClient(platform.url, DEMO.appid, DEMO.appKey);
  const wx = simUrl(platform.simPort + SIM_PORT_OFFSET.wechatpay);
  const stamp = Date.now().toString(36).toUpperCase();
  try {
    // The bills and their paid WeChat orders (setup, not measured).
    const bills: Array<{ billBatchCode: string; billNo: string; outTradeNo: string; refundNo: string }> = [];
    await pool(Array.from({ length: refunds }, (_, i) => i), clients, async (i) => {
      const business = sampleOutpatient({ busNo: `RFB${stamp}-${i}`, placeCode: 'MZ01' });
      const r = await his.callWithRetry('invoiceEBillOutpatient', business);
      if (r.result !== 'S0000') throw new Error(`issue: ${r.result} ${JSON.stringify(r.message)}`);
      const outTradeNo = `WXB${stamp}${i}`;
      const o = await post(`${wx}/_sim/orders`, { out_trade_no: outTradeNo, total: 10000 });
      if (!o.ok) throw new Error(`WeChat Pay simulator at ${wx}: HTTP ${o.status}`);
      bills.push({ billBatchCode: r.message.billBatchCode, billNo: r.message.billNo, outTradeNo, refundNo: `B${stamp}${i}` });
    });

    const t0 = performance.now();
    const applyMs = await pool(bills, clients, async (b) => {
      const r = await his.callWithRetry('applyRefund', { refundNo: b.refundNo, billBatchCode: b.billBatchCode, billNo: b.billNo, channel: 'wechat', outTradeNo: b.outTradeNo, refundDetail: [{ sortNo: 3, amt: '25.50' }], reason: '压测退费' });
      if (r.result !== 'S0000') throw new Error(`applyRefund: ${r.result} ${JSON.stringify(r.message)}`);
    });
    // The session travels only in the HttpOnly cookie: keep its name=value pair as a browser would.
    const token = async (username: string, password: string) => {
      const r = await post(`${platform.url}/api/auth/login`, { username, password });
      const pair = r.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('medbill_session='));
      if (!pair) throw new Error(`sign-in of ${username}: HTTP ${r.status}`);
      return pair;
    };
    const ids = new Map<string, number>();
    const byNo = async (t: string, no: string) => {
      if (!ids.has(no)) {
        const list = (await (await fetch(`${platform.url}/api/refunds?box=all&q=${no}`, { headers: { cookie: t } })).json()) as { items: Array<{ id: number }> };
        ids.set(no, list.items[0].id);
      }
      return ids.get(no)!;
    };
    const approveAs = async (t: string, no: string) => {
      const id = await byNo(t, no);
      const d = (await (await fetch(`${platform.url}/api/refunds/${id}`, { headers: { cookie: t } })).json()) as { version: number };
      const r = await post(`${platform.url}/api/refunds/${id}/actions`, { action: 'approve', version: d.version }, t);
      if (r.status !== 200) throw new Error(`approve ${no}: HTTP ${r.status} ${await r.text()}`);
    };
    const admin = await token('admin', 'admin123');
    for (const b of bills) await byNo(admin, b.refundNo);
    const doctor = await token('doctor', 'doctor123');
    const finance = await token('finance', 'finance123');
    const doctorMs = await pool(bills, clients, (b) => approveAs(doctor, b.refundNo));
    const approvedAt = new Map<string, number>();
    const financeMs = await pool(bills, clients, async (b) => {
      await approveAs(finance, b.refundNo);
      approvedAt.set(b.refundNo, performance.now());
    });

    // Until every refund is done (money back, bill reversed and reissued).
    const doneMs: number[] = [];
    const pending = new Set(bills.map((b) => b.refundNo));
    const deadline = Date.now() + 10 * 60_000;
    while (pending.size && Date.now() < deadline) {
      await pool([...pending], clients, async (no) => {
        const r = await his.call('getRefund', { refundNo: no });
        if (r.result === 'S0000' && r.message.state === 'done') {
          doneMs.push(performance.now() - approvedAt.get(no)!);
          pending.delete(no);
        }
      });
      if (pending.size) await new Promise((r) => setTimeout(r, 500));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const atSim = (await (await fetch(`${wx}/_sim/refunds`)).json()) as Array<{ out_refund_no: string; status: string }>;
    const mine = atSim.filter((r) => r.out_refund_no.startsWith(`B${stamp}`));
    console.log(`refund flow (applyRefund, doctor + finance approval, WeChat Pay, reverse + reissue): refunds=${refunds} clients=${clients} db=${platform.child ? db.replace(/\/\/[^@]*@/, '//') : '(external)'}`);
    console.log(line('applyRefund', applyMs));
    console.log(line('doctor approve', doctorMs));
    console.log(line('finance approve', financeMs));
    if (doneMs.length) console.log(line('finance approval -> done (money back, bill reversed and reissued)', doneMs));
    console.log(`done=${refunds - pending.size}/${refunds} in ${elapsed.toFixed(1)} s = ${((refunds - pending.size) / elapsed).toFixed(1)} refunds/s end to end; refunds at the channel: ${mine.length} (${mine.filter((r) => r.status === 'SUCCESS').length} SUCCESS)`);
    const rss = platform.peakRssMiB();
    if (rss !== undefined) console.log(`platform peak RSS: ${rss.toFixed(0)} MiB`);
    if (pending.size) throw new Error(`${pending.size} refunds not done after 10 minutes`);
  } finally {
    await platform.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
