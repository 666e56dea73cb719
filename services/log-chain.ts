/**
 * The HMAC-SM3 chain both audit logs share (rules live once): the operation log (操作日志,
 * services/operation-log.ts, chain `operation`) and the exchange log (交互日志,
 * services/exchange-log.ts, chain `exchange`).
 * - row n's `mac` = HMAC-SM3(key, prev_mac | canonical(row n's columns but id, prev_mac and mac)),
 *   the canonical text a JSON array of the columns in a fixed order; `prev_mac` is row n-1's mac
 *   (64 zeros before row 1, an archive's last mac after it); `seq` runs 1..n without gaps;
 * - each chain's key is derived from the master key with a label of its own, never stored;
 * - appends take the chain's head row (orm/repositories/log-chain.ts) inside their transaction;
 * - walkChain names the first break: an edited row (its MAC fails where it stands and it verifies
 *   nowhere else), a deleted one (a gap, or a head past the last row) or a reordered one (a row
 *   that verifies only at another seq).
 */
import { hmacSm3Hex } from '../common/gm';
import { CHAIN_BREAK_NAMES } from '../domain/operation-log';
import type { ChainBreak, VerifyResult } from '../domain/audit';
import type { SqlEm } from '../orm/sql';
import { issueTodos, openIssueTodo } from '../orm/repositories/todos';

export type { ChainBreak, VerifyResult } from '../domain/audit';

export const ZERO_MAC = '0'.repeat(64);

/** A chain's HMAC key: HMAC-SM3(master key, label), never stored. */
export function chainKey(masterKeyHex: string, label: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hmacSm3Hex(masterKeyHex, label), 'hex'));
}

/** The MAC of a row: HMAC-SM3(key, prevMac | JSON of its canonical columns). */
export function chainMac(key: Uint8Array, prevMac: string, canonical: readonly unknown[]): string {
  return hmacSm3Hex(key, `${prevMac}|${JSON.stringify(canonical)}`);
}

export interface ChainRow {
  seq: number;
  prevMac: string;
  mac: string;
}

/** What walkChain needs of a log: its name (in Chinese), key, canonical columns and rows. */
export interface ChainSpec<R extends ChainRow> {
  /** 操作日志, 交互日志: the sentence's subject. */
  name: string;
  key: Uint8Array;
  /** The row's columns but id, prev_mac and mac, seq first, in the fixed order. */
  canonical(r: R): unknown[];
  rowsAfter(em: SqlEm, afterSeq: number, limit: number, toSeq: number): Promise<R[]>;
  seqsOfMac(em: SqlEm, mac: string): Promise<number[]>;
}

export const macOf = <R extends ChainRow>(spec: ChainSpec<R>, prevMac: string, r: R): string => chainMac(spec.key, prevMac, spec.canonical(r));

export const seqText = (a: number, b: number) => (a === b ? `第 ${a} 条` : `第 ${a} 至 ${b} 条`);

/** The result of a break found before (or at) the walk, in the log's words. */
export function brokenResult(name: string, at: { checked: number; fromSeq: number; toSeq: number; archives: number }, b: ChainBreak): VerifyResult {
  return { ok: false, ...at, firstBreak: b, detail: `${name}校验未通过：第 ${b.seq} 条${CHAIN_BREAK_NAMES[b.kind]}（${b.detail}）` };
}

const PAGE = 1000;
/** How far from where it stands a moved row's original seq is looked for. */
const MOVE_WINDOW = 1000;

/**
 * Walks the chain from `anchor` (seq 0 and the zero mac, or the last archive) to `head` (read at
 * the start: rows appended meanwhile wait for the next run) and names the first break.
 */
export async function walkChain<R extends ChainRow>(
  em: SqlEm,
  spec: ChainSpec<R>,
  anchor: { seq: number; mac: string },
  head: { seq: number; mac: string },
  archives = 0,
): Promise<VerifyResult> {
  const fromSeq = anchor.seq + 1;
  const broken = (checked: number, b: ChainBreak) => brokenResult(spec.name, { checked, fromSeq, toSeq: head.seq, archives }, b);
  if (head.seq < anchor.seq) return broken(0, { seq: head.seq, kind: 'edited', detail: '链头序号小于最后归档的序号，链头被修改' });

  /**
   * Whether row r, moved here, verifies at another seq (its original place): that seq, else
   * undefined. Tried: after where its predecessor now stands, then the seqs around it (a swap
   * moves both rows, so the predecessor's place alone does not tell). Runs only at a break.
   */
  const originalSeq = async (r: R): Promise<number | undefined> => {
    const after = r.prevMac === anchor.mac ? [anchor.seq] : await spec.seqsOfMac(em, r.prevMac);
    const near = Array.from({ length: MOVE_WINDOW }, (_, i) => [r.seq - i - 1, r.seq + i + 1]).flat();
    for (const k of [...after.map((x) => x + 1), ...near]) if (k > anchor.seq && k !== r.seq && macOf(spec, r.prevMac, { ...r, seq: k }) === r.mac) return k;
    return undefined;
  };

  let expected = fromSeq;
  let prevMac = anchor.mac;
  let checked = 0;
  while (expected <= head.seq) {
    const rows = await spec.rowsAfter(em, expected - 1, PAGE, head.seq);
    if (!rows.length) break;
    for (const r of rows) {
      if (r.seq !== expected) {
        // A gap: rows expected..r.seq-1 are not there. Moved (their row sits elsewhere) or deleted.
        if (r.prevMac === prevMac) return broken(checked, { seq: expected, kind: 'reordered', detail: `第 ${r.seq} 条记录原为第 ${expected} 条（序号被修改）` });
        const elsewhere = (await spec.seqsOfMac(em, r.prevMac)).filter((s) => s !== r.seq - 1);
        if (elsewhere.length) {
          return broken(checked, { seq: expected, kind: 'reordered', detail: `${seqText(expected, r.seq - 1)}记录缺位，第 ${r.seq} 条的前一条记录现位于第 ${elsewhere[0]} 条` });
        }
        return broken(checked, { seq: expected, kind: 'deleted', detail: `${seqText(expected, r.seq - 1)}记录缺失` });
      }
      if (macOf(spec, r.prevMac, r) !== r.mac) {
        const original = r.prevMac === prevMac ? undefined : await originalSeq(r);
        if (original !== undefined) return broken(checked, { seq: r.seq, kind: 'reordered', detail: `该位置的记录原为第 ${original} 条` });
        return broken(checked, { seq: r.seq, kind: 'edited', detail: '记录内容与校验码不符' });
      }
      if (r.prevMac !== prevMac) return broken(checked, { seq: r.seq, kind: 'deleted', detail: '记录与前一条不衔接，其间的记录缺失' });
      prevMac = r.mac;
      expected++;
      checked++;
    }
  }
  if (expected <= head.seq) {
    // The last rows are not there: moved past the head (the head's row stands elsewhere) or deleted.
    const moved = (await spec.seqsOfMac(em, head.mac)).filter((x) => x !== head.seq);
    if (moved.length) return broken(checked, { seq: expected, kind: 'reordered', detail: `${seqText(expected, head.seq)}记录缺位，第 ${head.seq} 条记录现位于第 ${moved[0]} 条` });
    return broken(checked, { seq: expected, kind: 'deleted', detail: `${seqText(expected, head.seq)}记录缺失（链头为第 ${head.seq} 条）` });
  }
  if (head.mac !== prevMac) return broken(checked, { seq: head.seq, kind: 'edited', detail: '链头与最后一条记录的校验码不符' });
  return {
    ok: true, checked, fromSeq, toSeq: head.seq, archives,
    detail: checked ? `${spec.name}完整：${seqText(fromSeq, head.seq)}共 ${checked} 条记录校验通过${archives ? `（此前 ${anchor.seq} 条已归档）` : ''}` : `${spec.name}完整：尚无待校验的记录`,
  };
}

// ---------------------------------------------------------------------------------------------
// The daily check's to-do

/** A chain's to-do key in the issuance to-do list (one per chain, reopened by each later break). */
export interface ChainTodo {
  appid: string;
  busNo: string;
  /** The log's name (操作日志, 交互日志) and the console page to look at. */
  name: string;
  page: string;
  /** What to keep once it is found (in the to-do's detail). */
  advice: string;
}

/** Opens (or reopens) the to-do of a broken chain, for the audit administrator. */
export async function raiseChainTodo(em: SqlEm, todo: ChainTodo, v: VerifyResult, opts: { workflowId: string; now: Date }): Promise<void> {
  if (v.ok || !v.firstBreak) return;
  await openIssueTodo(em, {
    appid: todo.appid,
    busNo: todo.busNo,
    placeCode: '',
    workflowId: opts.workflowId,
    title: `${todo.name}完整性校验未通过：第 ${v.firstBreak.seq} 条${CHAIN_BREAK_NAMES[v.firstBreak.kind]}`,
    detail: `${v.detail}。${todo.advice}`,
    at: opts.now,
  });
}

/** The open to-do of a broken chain, if any (for the audit administrator's log pages). */
export async function openChainTodo(em: SqlEm, todo: Pick<ChainTodo, 'appid' | 'busNo'>): Promise<{ title: string; detail: string | null; createdAt: string; workflowId: string } | undefined> {
  const t = (await issueTodos(em, { state: 'open', placeCode: '' })).find((x) => x.appid === todo.appid && x.busNo === todo.busNo);
  return t && { title: t.title, detail: t.detail, createdAt: t.createdAt.toISOString(), workflowId: t.workflowId };
}
