/**
 * Number-continuity audit (号码连续性核查): for every segment ever received from the fiscal platform
 * (stock_receipt), every number must be exactly one of
 *   issued    a bill in state normal,         reversed  an original reversed (冲红),
 *   red       a red bill (红票),               voided    a range in stock_void,
 *   pool      unused in the hospital pool,    point     unused at a billing point (next_no..end_no),
 *   received  received but not yet confirmed into stock (入库).
 * A number covered by none is `missing` (a gap nobody explained); by two or more, `double`; a number
 * held or used outside every received segment is `outside`. Runs as one sweep over interval
 * boundaries per bill code, so millions of numbers cost only the rows that describe them.
 */
import type { Connection } from '@mikro-orm/core';
import { auditSources } from '../../orm/repositories/stock';

export type AuditCategory = 'issued' | 'reversed' | 'red' | 'voided' | 'pool' | 'point' | 'received';
export const AUDIT_CATEGORIES: AuditCategory[] = ['issued', 'reversed', 'red', 'voided', 'pool', 'point', 'received'];

export interface AuditProblem {
  code: 'E0069';
  problem: 'missing' | 'double' | 'outside';
  billBatchCode: string;
  startNo: number;
  endNo: number;
  /** What covers these numbers (for double and outside). */
  categories: AuditCategory[];
}

export interface AuditCodeLine {
  billBatchCode: string;
  received: number;
  counts: Record<AuditCategory, number>;
}

export interface AuditReport {
  ok: boolean;
  checkedAt: string;
  received: number;
  counts: Record<AuditCategory, number>;
  codes: AuditCodeLine[];
  problems: AuditProblem[];
  /** True when more than `limit` problems were found (the list is cut). */
  truncated: boolean;
}

type Execute = Pick<Connection, 'execute'>;
interface Interval {
  a: number;
  b: number;
  cat: AuditCategory | 'receipt';
}

const zero = (): Record<AuditCategory, number> => ({ issued: 0, reversed: 0, red: 0, voided: 0, pool: 0, point: 0, received: 0 });

export async function auditNumbers(conn: Execute, hospitalId: number, opts: { billBatchCode?: string; limit?: number } = {}): Promise<AuditReport> {
  const limit = opts.limit ?? 1000;
  const byCode = new Map<string, Interval[]>();
  const add = (code: string, a: number | string, b: number | string, cat: Interval['cat']) => {
    const x = Number(a);
    const y = Number(b);
    if (y < x) return;
    let list = byCode.get(code);
    if (!list) byCode.set(code, (list = []));
    list.push({ a: x, b: y, cat });
  };
  const src = await auditSources(conn, hospitalId, opts.billBatchCode);
  for (const r of src.receipts) {
    add(r.bill_batch_code, r.start_no, r.end_no, 'receipt');
    if (r.state !== 'stocked') add(r.bill_batch_code, r.start_no, r.end_no, 'received');
  }
  for (const r of src.pool) add(r.bill_batch_code, r.start_no, r.end_no, 'pool');
  for (const r of src.voids) add(r.bill_batch_code, r.start_no, r.end_no, 'voided');
  for (const r of src.segments) add(r.bill_batch_code, r.next_no, r.end_no, 'point');
  for (const r of src.bills) {
    const cat: AuditCategory = Number(r.is_scarlet) ? 'red' : r.state === 'reversed' ? 'reversed' : 'issued';
    add(r.bill_batch_code, r.bill_no, r.bill_no, cat);
  }

  const counts = zero();
  const codes: AuditCodeLine[] = [];
  const problems: AuditProblem[] = [];
  let truncated = false;
  let receivedTotal = 0;
  const report = (pr: Omit<AuditProblem, 'code'>) => {
    const last = problems[problems.length - 1];
    if (last && last.problem === pr.problem && last.billBatchCode === pr.billBatchCode && last.endNo + 1 === pr.startNo && last.categories.join() === pr.categories.join()) {
      last.endNo = pr.endNo;
      return;
    }
    if (problems.length >= limit) {
      truncated = true;
      return;
    }
    problems.push({ code: 'E0069', ...pr });
  };

  for (const code of [...byCode.keys()].sort()) {
    const list = byCode.get(code)!;
    // Boundary events: +1 at a, -1 at b + 1, per category.
    const events = new Map<number, Array<[Interval['cat'], number]>>();
    const ev = (at: number, cat: Interval['cat'], d: number) => {
      let e = events.get(at);
      if (!e) events.set(at, (e = []));
      e.push([cat, d]);
    };
    for (const i of list) {
      ev(i.a, i.cat, 1);
      ev(i.b + 1, i.cat, -1);
    }
    const line: AuditCodeLine = { billBatchCode: code, received: 0, counts: zero() };
    const active = new Map<Interval['cat'], number>();
    const points = [...events.keys()].sort((x, y) => x - y);
    for (let k = 0; k < points.length; k++) {
      for (const [cat, d] of events.get(points[k])!) active.set(cat, (active.get(cat) ?? 0) + d);
      if (k + 1 === points.length) break;
      const from = points[k];
      const to = points[k + 1] - 1;
      const len = to - from + 1;
      const receipts = active.get('receipt') ?? 0;
      const cats: AuditCategory[] = [];
      let cover = 0;
      for (const c of AUDIT_CATEGORIES) {
        const m = active.get(c) ?? 0;
        if (m > 0) {
          for (let j = 0; j < m; j++) cats.push(c);
          cover += m;
        }
      }
      if (receipts === 0) {
        if (cover > 0) report({ problem: 'outside', billBatchCode: code, startNo: from, endNo: to, categories: cats });
        continue;
      }
      line.received += len;
      if (receipts > 1) report({ problem: 'double', billBatchCode: code, startNo: from, endNo: to, categories: cats });
      if (cover === 0) report({ problem: 'missing', billBatchCode: code, startNo: from, endNo: to, categories: [] });
      else if (cover > 1) report({ problem: 'double', billBatchCode: code, startNo: from, endNo: to, categories: cats });
      else {
        line.counts[cats[0]] += len;
        counts[cats[0]] += len;
      }
    }
    if (line.received > 0 || list.length) codes.push(line);
    receivedTotal += line.received;
  }
  return { ok: problems.length === 0, checkedAt: new Date().toISOString(), received: receivedTotal, counts, codes, problems, truncated };
}
