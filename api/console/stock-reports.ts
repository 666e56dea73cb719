/**
 * Stock reports (issue 4, point 6): 库存结余, 申领情况, 分发情况, 作废号码, 领用存 — each a ReportDef of
 * api/console/reports.ts, so each has the preview and the streamed Excel export. They read the stock
 * tables (stock_receipt, stock_pool, stock_segment, stock_movement, stock_void, requisition*) and the
 * bills; quantities are integers, never floats.
 */
import { dbDate } from '../../orm/sql-values';
import { chinaTime } from '../../domain/bill/facts';
import { issuedPerPointKind, movedPerPointKind, pointKindsEverStocked, requisitionLineNames, requisitionSegments, requisitionsCreatedIn, stockBalance, stockMovementsIn } from '../../orm/repositories/reports';
import { dateRange, registerReport, scopedPlace, type ReportDef, type ReportRow } from './report-defs';

/** The stock reports: finance and the audit office (not the window). */
const OFFICE = 'report:stock';
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

/** 库存结余: what is left now, per location (the hospital pool, each point) and bill code, with a total. */
const balance: ReportDef<Record<string, never>> = {
  id: 'stock-balance',
  title: '库存结余',
  description: '库存结余：当前医院库存（待入库、已入库未分发）与各开票点未使用号码，按票据代码列出号段数与数量，含合计',
  permission: OFFICE,
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
    let total = 0;
    for await (const r of stockBalance(api.deps.orm.em)) {
      total += Number(r.quantity);
      yield { location: r.location, kindName: r.kind_name, billBatchCode: r.bill_batch_code, ranges: Number(r.ranges), firstNo: no10(r.first_no), lastNo: no10(r.last_no), quantity: Number(r.quantity) };
    }
    yield { _subtotal: '合计', quantity: total };
  },
};

/** 申领情况: the requisitions created in the period, their lines, review and stock-in. */
const requisitions: ReportDef<Period> = {
  id: 'requisitions',
  title: '申领情况',
  description: '申领情况：期间内创建的票据申领单，含申领明细、状态、审核与入库（谁、何时）及下发号段',
  permission: OFFICE,
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
    const em = api.deps.orm.em;
    const STATES: Record<string, string> = { draft: '草稿', submitted: '已提交', returned: '已退回', received: '待入库', stocked: '已入库', approved: '已审核' };
    const reqs = await requisitionsCreatedIn(em, q.from, q.to);
    for (const r of reqs) {
      const lines = await requisitionLineNames(em, r.id);
      const segs = await requisitionSegments(em, r.id);
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
    permission: OFFICE,
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
      const rows = await stockMovementsIn(api.deps.orm.em, types, q.from, q.to, q.placeCode);
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
  permission: 'menu:reports',
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
    const em = api.deps.orm.em;
    const before = { before: q.from };
    const within = { from: q.from, to: q.to };
    // Every (point, kind) that ever held stock.
    const pairs = await pointKindsEverStocked(em, q.placeCode);
    // Movements and bills before the period (opening) and within it, per point and kind.
    const [inBefore, retBefore, voidBefore, usedBefore, inNow, retNow, voidNow, usedNow] = await Promise.all([
      movedPerPointKind(em, 'distribute', before),
      movedPerPointKind(em, 'return', before),
      movedPerPointKind(em, 'void', before),
      issuedPerPointKind(em, before),
      movedPerPointKind(em, 'distribute', within),
      movedPerPointKind(em, 'return', within),
      movedPerPointKind(em, 'void', within),
      issuedPerPointKind(em, within),
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
