/**
 * npm run exchange-log -- [--from 2026-12-01] [--to 2026-12-04] [--system fiscal] [--method M] [--direction in|out]
 *                         [--bus-no X] [--bill-no X] [--refund-no X] [--order-no X] [--result-code X]
 *                         [--limit 10000] [--verify-only] [--json]
 *
 * The auditor's tool for the exchange log (交互日志): verifies the chain (HMAC-SM3, edited /
 * deleted / reordered rows named), then prints the matching entries with their bodies decrypted,
 * one block per entry (or one JSON line per entry with --json; the verification then goes to
 * stderr). Dates are China calendar days, `--to` included. Its use is recorded in the operation
 * log (actor `system`, the OS user named). Run with the platform's settings (MEDBILL_DB_URL, the
 * master key). Exit codes: 0 the chain is intact, 1 the chain is broken (the entries are still
 * printed), 2 wrong arguments, 3 a failure.
 */
import * as os from 'node:os';
import { loadConfig } from '../config';
import { masterKey } from '../common/keys';
import { chinaDayStart, chinaTime } from '../common/china-time';
import { isExchangeSystem, EXCHANGE_SYSTEMS } from '../domain/exchange-log';
import { openOrm } from '../orm/db';
import { sealerFromConfig } from '../orm/sealed';
import { redactDbError } from '../orm/errors';
import { exportExchanges, useExchangeLog, verifyExchangesAndRecord, type DecryptedExchange } from '../services/exchange-log';
import type { ExchangeFilter } from '../orm/repositories/exchange-log';

class Usage extends Error {}

const FLAGS: Record<string, keyof ExchangeFilter | 'limit'> = {
  '--from': 'from', '--to': 'to', '--system': 'system', '--method': 'method', '--direction': 'direction', '--bus-no': 'busNo', '--bill-no': 'billNo',
  '--refund-no': 'refundNo', '--order-no': 'orderNo', '--result-code': 'resultCode', '--limit': 'limit',
};

function day(flag: string, v: string): Date {
  const d = chinaDayStart(v);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(d.getTime()) || chinaTime(d).date !== v) throw new Usage(`${flag}：日期应为 YYYY-MM-DD（如 2026-12-01），收到 "${v}"`);
  return d;
}

export function parseArgs(argv: string[]): { filter: ExchangeFilter; limit: number; verifyOnly: boolean; json: boolean } {
  const filter: ExchangeFilter = {};
  let limit = 10_000;
  let verifyOnly = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--verify-only') verifyOnly = true;
    else if (a === '--json') json = true;
    else if (FLAGS[a]) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Usage(`${a} 缺少取值`);
      if (v.length > 128) throw new Usage(`${a} 的取值最多 128 个字符`);
      const k = FLAGS[a];
      if (k === 'from') filter.from = day(a, v);
      else if (k === 'to') filter.to = new Date(day(a, v).getTime() + 86_400_000);
      else if (k === 'limit') {
        if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > 100_000) throw new Usage('--limit 应为 1 至 100000 的整数');
        limit = Number(v);
      } else if (k === 'system' && !isExchangeSystem(v)) throw new Usage(`--system 应为 ${Object.keys(EXCHANGE_SYSTEMS).join('、')} 之一`);
      else if (k === 'direction' && v !== 'in' && v !== 'out') throw new Usage('--direction 应为 in 或 out');
      else (filter as Record<string, string>)[k] = v;
    } else throw new Usage(`不支持的参数 ${a}`);
  }
  if (filter.from && filter.to && filter.from.getTime() >= filter.to.getTime()) throw new Usage('--to 不能早于 --from');
  return { filter, limit, verifyOnly, json };
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2) ?? 'null';

function block(e: DecryptedExchange): string {
  const t = chinaTime(e.at);
  return [
    `━━ 交互日志 第 ${e.seq} 条（编号 ${e.id}）  ${t.text}.${e.at.slice(20, 23)}（北京时间）`,
    `外部系统：${e.systemName}（${e.system}）  接口：${e.method}  方向：${e.directionName}（${e.direction}）`,
    `业务流水号：${e.busNo ?? '-'}  票据号码：${e.billNo ?? '-'}  退费单号：${e.refundNo ?? '-'}  订单号：${e.orderNo ?? '-'}`,
    `结果代码：${e.resultCode}  耗时：${e.durationMs} ms  本条校验码：${e.macOk ? '正确' : '不符（记录被修改）'}`,
    '请求报文：',
    pretty(e.request),
    '应答报文：',
    pretty(e.response),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    console.error(e.message);
    console.error('用法：npm run exchange-log -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--system fiscal] [--bus-no X] [--bill-no X] [--refund-no X] [--order-no X] [--verify-only] [--json]');
    return 2;
  }
  const cfg = loadConfig();
  const key = masterKey(cfg);
  const orm = await openOrm(cfg.database.url, { sealer: sealerFromConfig(cfg), pool: 2 });
  try {
    useExchangeLog({ orm, masterKey: key });
    let osUser = 'unknown';
    try {
      osUser = os.userInfo().username;
    } catch {
      /* no passwd entry (a container): unknown */
    }
    const actor = { username: 'system', displayName: `命令行 exchange-log（操作系统用户 ${osUser}）`, address: os.hostname() };
    const v = await verifyExchangesAndRecord(orm.em.fork(), actor);
    const out = (line: string) => (args.json ? console.error(line) : console.log(line));
    out(`${v.ok ? '校验通过' : '校验未通过'}：${v.detail}`);
    if (!args.verifyOnly) {
      const { rows, more } = await exportExchanges(orm.em.fork(), actor, args.filter, args.limit);
      for (const e of rows) console.log(args.json ? JSON.stringify(e) : block(e));
      out(`共 ${rows.length} 条匹配的交互记录${more ? `（仅输出前 ${args.limit} 条，请缩小条件或加大 --limit）` : ''}`);
    }
    return v.ok ? 0 : 1;
  } finally {
    await orm.close(true);
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`exchange-log 失败：${redactDbError(e)}`);
      process.exit(3);
    },
  );
}
