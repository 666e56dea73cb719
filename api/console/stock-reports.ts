/**
 * Stock reports (issue 4, point 6): 库存结余, 申领情况, 分发情况, 作废号码, 领用存 — each a ReportDef of
 * api/console/reports.ts, so each has the preview and the streamed Excel export. They read the stock
 * tables (stock_receipt, stock_pool, stock_segment, stock_movement, stock_void, requisition*) and the
 * bills; quantities are integers, never floats.
 */
import type { ApiContext } from '../context';
import { dbDate } from '../../orm/sql-values';
import { chinaTime } from '../../domain/bill/facts';
import { dateRange, registerReport, scopedPlace, type ReportDef, type ReportRow } from './report-defs';

const OFFICE = ['admin', 'finance', 'audit'];
const when = (v: number | string | Date | null) => {
  if (v === null) return '';
  const d = dbDate(v);
  const t = chinaTime(d);
  return `${t.date} ${t.time}`;
};
const no10 = (n: number | string) => String(n).padStart(10, '0');
const PERIOD = [
  { name: 'dateFrom', label: '日期起', type: 'date' as const, required: true },
  { name: 'dateTo', label: '日期止', type: 'date' as const, required: true },
];

type Period = { from: Date; to: Date };
const args = (api: ApiContext, p: Period) => [api.deps.orm.em.getPlatform().processDateProperty(p.from), api.deps.orm.em.getPlatform().processDateProperty(p.to)];

/** 库存结余: what is left now, per location (the hospital pool, each point) and bill code, with a total. */
const balance: ReportDef<Record<string, never>> = {
  id: 'stock-balance',
  title: '库存结余',
  description: '库存结余：当前医院库存（待入库、已入库未分发）与各开票点未使用号码，按票据代码列出号段数与数量，含合计',
  roles: OFFICE,
  params: [],
  parse: () => ({}),
  columns: [
    { key: 'location', header: '位置', width: 22 },
    { key: 'kindName', header: '票据种类', width: 20 },
    { key: 'billBatchCode', header: '票据代码', width: 12 },
    { key: 'ranges', header: '号段数', width: 8 },
    { key: 'firstNo', header: '最小号码', width: 13 },
    { key: 'lastNo', header: '最大号码', width: 13 },
    { key: 'quantity', header: '结余数量', width: 12 },
  ],
  async *rows(api) {
    const conn = api.deps.orm.em.getConnection();
    type R = { location: string; kind_name: string; bill_batch_code: string; ranges: number; first_no: number | string; last_no: number | string; quantity: number | string };
    const parts: Array<[string, string]> = [
      [
        '待入库（已下发）',
        `select '待入库（已下发）' as location, k.name as kind_name, r.bill_batch_code, count(*) as ranges, min(r.start_no) as first_no, max(r.end_no) as last_no, sum(r.end_no - r.start_no + 1) as quantity
           from stock_receipt r join bill_kind k on k.id = r.bill_kind_id where r.state = 'received' group by k.name, r.bill_batch_code order by r.bill_batch_code`,
      ],
      [
        '医院库存',
        `select '医院库存' as location, k.name as kind_name, s.bill_batch_code, count(*) as ranges, min(s.start_no) as first_no, max(s.end_no) as last_no, sum(s.end_no - s.start_no + 1) as quantity
           from stock_pool s join bill_kind k on k.id = s.bill_kind_id group by k.name, s.bill_batch_code order by s.bill_batch_code`,
      ],
      [
        '开票点',
        `select p.name as location, k.name as kind_name, s.bill_batch_code, count(*) as ranges, min(s.next_no) as first_no, max(s.end_no) as last_no, sum(s.end_no - s.next_no + 1) as quantity
           from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
          where s.next_no <= s.end_no group by p.code, p.name, k.name, s.bill_batch_code order by p.code, s.bill_batch_code`,
      ],
    ];
    let total = 0;
    for (const [, sql] of parts) {
      for (const r of await conn.execute<R[]>(sql)) {
        total += Number(r.quantity);
        yield { location: r.location, kindName: r.kind_name, billBatchCode: r.bill_batch_code, ranges: Number(r.ranges), firstNo: no10(r.first_no), lastNo: no10(r.last_no), quantity: Number(r.quantity) };
      }
    }
    yield { _subtotal: '合计', quantity: total };
  },
};

/** 申领情况: the requisitions created in the period, their lines, review and stock-in. */
const requisitions: ReportDef<Period> = {
  id: 'requisitions',
  title: '申领情况',
  description: '申领情况：期间内创建的票据申领单，含申领明细、状态、审核与入库（谁、何时）及下发号段',
  roles: OFFICE,
  params: PERIOD,
  parse: (q) => dateRange(q),
  columns: [
    { key: 'requisitionNo', header: '申领单号', width: 18 },
    { key: 'state', header: '状态', width: 10 },
    { key: 'revision', header: '版本', width: 6 },
    { key: 'lines', header: '申领明细', width: 28 },
    { key: 'createdBy', header: '申领人', width: 12 },
    { key: 'submittedAt', header: '提交时间', width: 20 },
    { key: 'reviewer', header: '审核人', width: 12 },
    { key: 'reviewedAt', header: '审核时间', width: 20 },
    { key: 'reviewComment', header: '审核意见', width: 20 },
    { key: 'segments', header: '下发号段', width: 40 },
    { key: 'stockedBy', header: '入库人', width: 12 },
    { key: 'stockedAt', header: '入库时间', width: 20 },
  ],
  async *rows(api, q) {
    const conn = api.deps.orm.em.getConnection();
    const STATES: Record<string, string> = { draft: '草稿', submitted: '已提交', returned: '已退回', received: '待入库', stocked: '已入库', approved: '已审核' };
    const reqs = await conn.execute<Array<Record<string, unknown>>>(
      `select id, requisition_no, state, revision, created_by, submitted_at, reviewer, reviewed_at, review_comment, stocked_by, stocked_at
         from requisition where created_at >= ? and created_at < ? order by id`,
      args(api, q),
    );
    for (const r of reqs) {
      const lines = await conn.execute<Array<{ name: string; quantity: number }>>('select k.name, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id', [r.id]);
      const segs = await conn.execute<Array<{ bill_batch_code: string; start_no: number | string; end_no: number | string }>>('select bill_batch_code, start_no, end_no from stock_receipt where requisition_id = ? order by id', [r.id]);
      yield {
        requisitionNo: String(r.requisition_no),
        state: STATES[String(r.state)] ?? String(r.state),
        revision: Number(r.revision),
        lines: lines.map((l: { name: string; quantity: number }) => `${l.name} ${l.quantity} 份`).join('；'),
        createdBy: String(r.created_by ?? ''),
        submittedAt: when(r.submitted_at as string | null),
        reviewer: String(r.reviewer ?? ''),
        reviewedAt: when(r.reviewed_at as string | null),
        reviewComment: String(r.review_comment ?? ''),
        segments: segs.map((s: { bill_batch_code: string; start_no: number | string; end_no: number | string }) => `${s.bill_batch_code} ${no10(s.start_no)}-${no10(s.end_no)}`).join('；'),
        stockedBy: String(r.stocked_by ?? ''),
        stockedAt: when(r.stocked_at as string | null),
      };
    }
  },
};

const MOVES: Record<string, string> = { stock_in: '入库', distribute: '分发', return: '退回', void: '作废' };

/** 分发情况 and 作废号码: the stock movements of one or more types in the period, with a total. */
function movements(id: string, title: string, types: string[], description: string): ReportDef<Period & { placeCode?: string }> {
  return {
    id,
    title,
    description,
    roles: OFFICE,
    params: [...PERIOD, { name: 'placeCode', label: '开票点', type: 'place' }],
    parse: (q, user) => ({ ...dateRange(q), placeCode: scopedPlace(q, user) }),
    columns: [
      { key: 'at', header: '时间', width: 20 },
      { key: 'type', header: '类型', width: 8 },
      { key: 'place', header: '开票点', width: 18 },
      { key: 'kindName', header: '票据种类', width: 20 },
      { key: 'billBatchCode', header: '票据代码', width: 12 },
      { key: 'startNo', header: '起始号码', width: 13 },
      { key: 'endNo', header: '终止号码', width: 13 },
      { key: 'quantity', header: '数量', width: 10 },
      { key: 'actor', header: '操作人', width: 14 },
      { key: 'reason', header: '原因', width: 24 },
    ],
    async *rows(api, q) {
      const where = [`m.type in (${types.map(() => '?').join(', ')})`, 'm.created_at >= ?', 'm.created_at < ?'];
      const params: unknown[] = [...types, ...args(api, q)];
      if (q.placeCode) {
        where.push('p.code = ?');
        params.push(q.placeCode);
      }
      const rows = await api.deps.orm.em.getConnection().execute<Array<Record<string, unknown>>>(
        `select m.created_at, m.type, p.name as place_name, k.name as kind_name, m.bill_batch_code, m.start_no, m.end_no, m.quantity, m.actor, m.reason
           from stock_movement m join bill_kind k on k.id = m.bill_kind_id left join billing_point p on p.id = m.place_id
          where ${where.join(' and ')} order by m.id`,
        params,
      );
      let total = 0;
      for (const r of rows) {
        total += Number(r.quantity);
        yield {
          at: when(r.created_at as string),
          type: MOVES[String(r.type)] ?? String(r.type),
          place: String(r.place_name ?? '医院库存'),
          kindName: String(r.kind_name),
          billBatchCode: String(r.bill_batch_code),
          startNo: no10(r.start_no as number),
          endNo: no10(r.end_no as number),
          quantity: Number(r.quantity),
          actor: String(r.actor ?? ''),
          reason: String(r.reason ?? ''),
        } as ReportRow;
      }
      yield { _subtotal: `合计（${rows.length} 笔）`, quantity: total };
    },
  };
}

/**
 * 领用存 per point and bill kind for a period: opening balance, received (分发), returned (退回),
 * used (bills issued, red bills included: each takes a number), voided at the point, closing
 * balance = opening + received − returned − used − voided. The closing balance of a period that
 * ends today is the point's unused numbers now (the test checks it against 库存结余).
 */
const usage: ReportDef<Period & { placeCode?: string }> = {
  id: 'usage-per-point',
  title: '领用存',
  description: '领用存：各开票点、各票据种类在期间内的期初结余、领用（分发）、退回、使用（含红票）、作废与期末结余',
  roles: [...OFFICE, 'cashier'],
  params: [...PERIOD, { name: 'placeCode', label: '开票点', type: 'place' }],
  parse: (q, user) => ({ ...dateRange(q), placeCode: scopedPlace(q, user) }),
  columns: [
    { key: 'place', header: '开票点', width: 18 },
    { key: 'kindName', header: '票据种类', width: 20 },
    { key: 'opening', header: '期初结余', width: 12 },
    { key: 'received', header: '本期领用', width: 12 },
    { key: 'returned', header: '本期退回', width: 12 },
    { key: 'used', header: '本期使用', width: 12 },
    { key: 'voided', header: '本期作废', width: 12 },
    { key: 'closing', header: '期末结余', width: 12 },
  ],
  async *rows(api, q) {
    const conn = api.deps.orm.em.getConnection();
    const [from, to] = args(api, q);
    const placeFilter = q.placeCode ? ' and p.code = ?' : '';
    const pf = q.placeCode ? [q.placeCode] : [];
    // Every (point, kind) that ever held stock.
    const pairs = await conn.execute<Array<{ place_id: number; place_code: string; place_name: string; kind_id: number; kind_name: string }>>(
      `select distinct p.id as place_id, p.code as place_code, p.name as place_name, k.id as kind_id, k.name as kind_name
         from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
        where 1 = 1${placeFilter} order by p.code, k.id`,
      pf,
    );
    // Movements and bills before the period (opening) and within it, per point and kind.
    const sums = async (sql: string, params: unknown[]) => {
      const m = new Map<string, number>();
      for (const r of await conn.execute<Array<{ place_id: number; kind_id: number; n: number | string }>>(sql, params)) m.set(`${r.place_id}|${r.kind_id}`, Number(r.n));
      return m;
    };
    const move = (type: string, cond: string, params: unknown[]) =>
      sums(`select m.place_id, m.bill_kind_id as kind_id, sum(m.quantity) as n from stock_movement m where m.type = ? and m.place_id is not null and ${cond} group by m.place_id, m.bill_kind_id`, [type, ...params]);
    const used = (cond: string, params: unknown[]) =>
      sums(`select b.place_id, b.bill_kind_id as kind_id, count(*) as n from bill b where ${cond} group by b.place_id, b.bill_kind_id`, params);
    const [inBefore, retBefore, voidBefore, usedBefore, inNow, retNow, voidNow, usedNow] = await Promise.all([
      move('distribute', 'm.created_at < ?', [from]),
      move('return', 'm.created_at < ?', [from]),
      move('void', 'm.created_at < ?', [from]),
      used('b.issued_at < ?', [from]),
      move('distribute', 'm.created_at >= ? and m.created_at < ?', [from, to]),
      move('return', 'm.created_at >= ? and m.created_at < ?', [from, to]),
      move('void', 'm.created_at >= ? and m.created_at < ?', [from, to]),
      used('b.issued_at >= ? and b.issued_at < ?', [from, to]),
    ]);
    const totals = { opening: 0, received: 0, returned: 0, used: 0, voided: 0, closing: 0 };
    for (const pr of pairs) {
      const k = `${pr.place_id}|${pr.kind_id}`;
      const g = (m: Map<string, number>) => m.get(k) ?? 0;
      const opening = g(inBefore) - g(retBefore) - g(voidBefore) - g(usedBefore);
      const row = { opening, received: g(inNow), returned: g(retNow), used: g(usedNow), voided: g(voidNow), closing: 0 };
      row.closing = row.opening + row.received - row.returned - row.used - row.voided;
      for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += row[key];
      yield { place: `${pr.place_name}（${pr.place_code}）`, kindName: pr.kind_name, ...row };
    }
    yield { _subtotal: '合计', ...totals };
  },
};

let registered = false;
export function registerStockReports(): void {
  if (registered) return;
  registered = true;
  registerReport(balance);
  registerReport(requisitions);
  registerReport(movements('distributions', '分发情况', ['distribute', 'return'], '分发情况：期间内从医院库存分发到开票点、以及开票点退回医院库存的号段，含合计'));
  registerReport(movements('voided-numbers', '作废号码', ['void'], '作废号码：期间内作废的未使用电子票据号码段（医院库存或开票点），含原因、操作人与合计'));
  registerReport(usage);
}
