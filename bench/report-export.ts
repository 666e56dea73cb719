/**
 * Excel export of a large report: time and memory of streaming 开票点汇总表 over N bills.
 *
 *   npx tsc -p . && node dist/bench/report-export.js [bills, default 200000] [db url, default a temp SQLite file]
 *
 * Fills a fresh database with N signed-looking bills (plain INSERTs, two points, two channels),
 * then writes the whole report through the same code as the console's 导出 Excel into a file,
 * sampling RSS every 50 ms. Prints: bills, rows written, seconds, rows/s, file size, peak RSS, the
 * RSS before the export, and the heap after a GC (run with --expose-gc) against before: what stays.
 */
import { Sealer } from '../common/sealed';
import { MasterKeyProvider } from '../common/keys';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openOrm } from '../orm/db';
import { seedDemo } from '../orm/seed';
import { REPORTS, writeXlsx } from '../api/console/reports';
import type { ApiContext } from '../api/context';

const N = Number(process.argv[2] ?? 200_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-report-'));
const url = process.argv[3] ?? `sqlite:${path.join(dir, 'bench.sqlite')}`;

async function main() {
  const orm = await openOrm(url, { sealer: new Sealer(new MasterKeyProvider(randomBytes(16).toString('hex')), 'k1') });
  await seedDemo(orm.em.fork(), randomBytes(16).toString('hex'));
  const conn = orm.em.getConnection();
  const platform = orm.em.getPlatform();
  const [h] = await conn.execute<Array<{ id: number }>>('select id from hospital limit 1');
  const places = await conn.execute<Array<{ id: number }>>('select id from billing_point order by id');
  const [kind] = await conn.execute<Array<{ id: number }>>("select id from bill_kind where code = '0401'");
  const day = new Date();
  const t0 = Date.now();
  const chunk = 400; // 23 values a row: under SQLite's limit of bound parameters
  for (let start = 0; start < N; start += chunk) {
    await orm.em.fork().transactional(async (sql) => { // runs inside the transaction
      const n = Math.min(chunk, N - start);
      const rows: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const k = start + i;
        rows.push(
          h.id, 'BENCH', `B${k}`, '02', 'invoiceEBillOutpatient', kind.id, places[k % places.length].id, '44040126', String(k + 1).padStart(10, '0'),
          'abc123', 1000 + (k % 9000), `患者${k % 500}`, `P${k % 500}`, `收费员${k % 7}`, `收费员${k % 7}`, '20261122080000000',
          platform.processDateProperty(new Date(day.getTime() - (k % 3600) * 1000)), 'normal', 0, '{"patientCategory":"内科"}', 'x', 'sig', `bill-BENCH-B${k}`,
        );
      }
      await sql.execute(
        `insert into bill (hospital_id, appid, bus_no, bus_type, method, bill_kind_id, place_id, bill_batch_code, bill_no, random, total_amt, payer, patient_no,
           payee, author, bus_date_time, issued_at, state, is_scarlet, extra, signed_data, signature, workflow_id) values ${Array(n).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows,
        'run',
      );
    });
  }
  // Two payment rows per bill, like a split between WeChat and cash.
  await conn.execute(`insert into bill_payment (bill_id, channel_code, amount) select id, '05', total_amt - 100 from bill`, [], 'run');
  await conn.execute(`insert into bill_payment (bill_id, channel_code, amount) select id, '02', 100 from bill`, [], 'run');
  const filled = (Date.now() - t0) / 1000;

  const api = { deps: { orm } } as unknown as ApiContext;
  const def = REPORTS.find((r) => r.id === 'bills-by-place')!;
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const q = def.parse({ dateFrom: today, dateTo: today }, { id: 1, username: 'bench', displayName: 'bench', roles: ['finance'], roleNames: ['财务'], roleKinds: ['business'], permissions: [], scope: { kind: 'hospital' }, scopeSetting: null, mfa: { required: false, enrolled: false } }, api);
  // The bench's bills are stamped "now minus up to an hour": move the range a day back to cover them.
  (q as { from: Date }).from = new Date((q as { from: Date }).from.getTime() - 86_400_000);

  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const file = path.join(dir, 'report.xlsx');
  const out = fs.createWriteStream(file);
  const t1 = Date.now();
  const written = await writeXlsx(api, def, q, out, { hospital: 'bench', period: `统计期间：${today} 至 ${today}`, filters: '', exportedBy: 'bench' });
  await new Promise<void>((resolve) => (out.writableFinished ? resolve() : out.on('finish', () => resolve())));
  const secs = (Date.now() - t1) / 1000;
  clearInterval(sampler);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(`db=${url.startsWith('sqlite') ? 'SQLite' : url.replace(/\/\/[^@]*@/, '//')} bills=${N} (filled in ${filled.toFixed(1)} s)`);
  console.log(
    `export: rows=${written} seconds=${secs.toFixed(1)} rows/s=${Math.round(written / secs)} file=${mb(fs.statSync(file).size)} MB ` +
      `rss before=${mb(rssBefore)} MB peak=${mb(peak)} MB (+${mb(peak - rssBefore)} MB); heap after GC ${mb(heapAfter)} MB (before ${mb(heapBefore)} MB: nothing kept)`,
  );
  await orm.close(true);
  if (url.startsWith('mysql')) {
    /* the bench database is left for inspection; drop it by hand */
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
