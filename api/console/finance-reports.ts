/**
 * The finance reports (issue 15, point 4; seed 000's 医疗电子票据汇总表 and 交费渠道汇总表, seed
 * 003's 单位收费情况 and 日报明细表), each a ReportDef of the registry (report-defs.ts), so one set of
 * rules feeds the preview and the Excel export:
 *
 * - 医疗电子票据汇总表: per 开票员 (the collector mapping: HIS cashier codes -> a user), business
 *   category and bill kind, the amount per pay channel, bills issued and red bills (counts and
 *   amounts), the net total;
 * - 交费渠道汇总表: per day and/or billing point, the amount per pay channel;
 * - 日报明细: every bill one row (the payer masked unless the viewer reveals identities);
 * - 单位收费情况: per billing point or department (科室) and business category;
 * - 退费台账: every refund filed in the period.
 *
 * All take the period, the billing point (within the viewer's data scope: services/access.ts),
 * the 开票员 and the business category. Amounts are integer fen throughout; a red bill counts
 * with its negative amount, so a net column is what the period took in. Grand totals are read by
 * SQL apart from the rows (`total`), so the preview shows them however many rows there are.
 */
import { BUS_TYPES } from '../../domain/bill/issue-request';
import { revealsIdentity } from '../../domain/access';
import { CHANNEL_NAMES } from '../../domain/refund/rules';
import { refundStateName } from '../../domain/refund/names';
import { chinaTime } from '../../common/china-time';
import { formatYuan } from '../../common/money';
import { dbDate } from '../../orm/sql-values';
import { placesFilter } from '../../services/access';
import { PAY_CHANNELS } from '../../services/delivery';
import {
  businessCategories, collectorMap, financeBillsPage, financeChannels, financeTotals, pointExists, refundLedgerPage, refundLedgerTotals,
  type FinanceBillRow, type FinanceFilter,
} from '../../orm/repositories/finance-reports';
import { maskName } from '../h5/page';
import { HttpError } from '../http';
import type { ApiContext } from '../context';
import type { SessionUser } from './auth';
import { dateRange, registerReport, type ReportColumn, type ReportDef, type ReportParam, type ReportRow } from './report-defs';

const PAGE = 1000;

/** What a finance report was asked for, checked. */
export interface FinanceQuery extends FinanceFilter {
  dateFrom: string;
  dateTo: string;
  placeCode?: string;
  collector?: { username: string; displayName: string };
  busTypeName?: string;
  /** The payer's name starred (the viewer does not reveal identities: domain/access.ts). */
  masked: boolean;
  by: string;
  /** HIS cashier code -> collector (username, name), for naming a bill's 开票员. */
  collectors: Map<string, { username: string; displayName: string }>;
  categories: Map<string, string>;
}

const TEXT_MAX = 64;
const CODE = /^[A-Za-z0-9_.-]{1,32}$/;

/** A query value: at most one, at most 64 characters (an array or an over-long text names the field). */
function one(q: Record<string, unknown>, name: string, label: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new HttpError(400, 'E0010', `${name}: ${label}只能选择一个`, name);
  const s = v.trim();
  if (s.length > TEXT_MAX) throw new HttpError(400, 'E0010', `${name}: ${label}不超过 ${TEXT_MAX} 个字符`, name);
  return s || undefined;
}

const COMMON_PARAMS: ReportParam[] = [
  { name: 'dateFrom', label: '开票日期起', type: 'date', required: true },
  { name: 'dateTo', label: '开票日期止', type: 'date', required: true },
  { name: 'placeCode', label: '开票点', type: 'place' },
  { name: 'collector', label: '开票员', type: 'select', options: 'collectors' },
  { name: 'busType', label: '业务类别', type: 'select', options: 'busTypes' },
];

/** The choices of the `select` parameters filled in by the API: the mapped 开票员 and the business categories. */
export async function financeOptions(api: ApiContext): Promise<Record<'collectors' | 'busTypes', Array<{ value: string; label: string }>>> {
  const em = api.deps.orm.em;
  const seen = new Map<string, string>();
  for (const c of await collectorMap(em)) if (!seen.has(c.username)) seen.set(c.username, c.displayName);
  return {
    collectors: [...seen].map(([value, label]) => ({ value, label })),
    busTypes: (await businessCategories(em)).map((c) => ({ value: c.busType, label: c.name })),
  };
}

/** Parses and checks the common parameters (and `by`, one of `byChoices`): a bad one answers 400 naming the field. */
async function parseFinance(q: Record<string, string | undefined>, user: SessionUser, api: ApiContext, maxDays: number, byChoices?: ReportParam): Promise<FinanceQuery> {
  const range = dateRange(q, maxDays);
  const em = api.deps.orm.em;
  const placeCode = one(q, 'placeCode', '开票点');
  if (placeCode !== undefined) {
    if (!CODE.test(placeCode)) throw new HttpError(400, 'E0010', 'placeCode: 开票点编码格式不正确', 'placeCode');
    if (!(await pointExists(em, placeCode))) throw new HttpError(400, 'E0010', `placeCode: 开票点 ${placeCode} 不存在`, 'placeCode');
  }
  const placeCodes = placesFilter(user, placeCode);
  const mapping = await collectorMap(em);
  const collectors = new Map(mapping.map((c) => [c.hisCode, { username: c.username, displayName: c.displayName }]));
  const collectorName = one(q, 'collector', '开票员');
  let collector: FinanceQuery['collector'];
  let payees: string[] | undefined;
  if (collectorName !== undefined) {
    const codes = mapping.filter((c) => c.username === collectorName);
    if (!codes.length) throw new HttpError(400, 'E0010', `collector: 开票员 ${collectorName} 不在开票员对照中，请在系统管理的开票员对照中维护`, 'collector');
    collector = { username: collectorName, displayName: codes[0].displayName };
    payees = codes.map((c) => c.hisCode);
  }
  const cats = await businessCategories(em);
  const categories = new Map(cats.map((c) => [c.busType, c.name]));
  const busType = one(q, 'busType', '业务类别');
  if (busType !== undefined && !categories.has(busType)) throw new HttpError(400, 'E0010', `busType: 业务类别 ${busType} 不存在`, 'busType');
  let by = '';
  if (byChoices) {
    const choices = byChoices.options as Array<{ value: string; label: string }>;
    by = one(q, byChoices.name, byChoices.label) ?? byChoices.default!;
    if (!choices.some((c) => c.value === by)) throw new HttpError(400, 'E0010', `${byChoices.name}: ${byChoices.label}须为 ${choices.map((c) => c.label).join('、')} 之一`, byChoices.name);
  }
  return {
    ...range,
    placeCode,
    placeCodes,
    payees,
    busType,
    collector,
    busTypeName: busType ? categories.get(busType) : undefined,
    masked: !revealsIdentity(user),
    by,
    collectors,
    categories,
  };
}

function describeFinance(q: FinanceQuery, by?: ReportParam): string {
  const parts = [
    `开票点：${q.placeCode ?? (q.placeCodes ? q.placeCodes.filter((c) => c !== '-').join('、') || '无' : '全部')}`,
    `开票员：${q.collector?.displayName ?? '全部'}`,
    `业务类别：${q.busTypeName ?? '全部'}`,
  ];
  if (by) parts.push(`${by.label}：${(by.options as Array<{ value: string; label: string }>).find((o) => o.value === q.by)?.label ?? q.by}`);
  return parts.join('；');
}

const channelName = (code: string) => PAY_CHANNELS[code] ?? code;
const channelKey = (code: string) => `ch${code}`;
const categoryName = (q: FinanceQuery, busType: string) => q.categories.get(busType) ?? BUS_TYPES[busType] ?? busType;
/** The operator the refund process reverses and reissues bills as (activities/refund.ts: `退费 {refundNo}`). */
const REFUND_OPERATOR = /^退费 [A-Za-z0-9_-]+$/;
/** A bill's 开票员: the mapped user; the refund process (its red bills and reissues, one group); or the HIS cashier code marked 未对照. */
const collectorOf = (q: FinanceQuery, payee: string) => {
  const c = q.collectors.get(payee);
  if (c) return { key: c.username, name: c.displayName };
  if (REFUND_OPERATOR.test(payee)) return { key: '~refund', name: '退费流程（自动冲红、重开）' };
  return { key: `~${payee}`, name: `${payee}（未对照）` };
};
const scarlet = (b: FinanceBillRow) => Boolean(Number(b.is_scarlet));
const when = (v: unknown) => (v === null || v === undefined || v === '' ? '' : chinaTime(dbDate(v as string)).text);

/** The channel columns of the period's bills (one per pay channel paid through). */
async function channelColumns(api: ApiContext, q: FinanceQuery, width = 10): Promise<ReportColumn[]> {
  return (await financeChannels(api.deps.orm.em, q)).map((c) => ({ key: channelKey(c), header: channelName(c), width, money: true, group: '交费渠道' }));
}

/** Every bill of the filter, page by page. */
async function* bills(api: ApiContext, q: FinanceQuery, opts: { extra?: boolean } = {}): AsyncGenerator<FinanceBillRow> {
  for (let afterId = 0; ; ) {
    const page = await financeBillsPage(api.deps.orm.em, q, afterId, PAGE, opts);
    yield* page;
    if (page.length < PAGE) return;
    afterId = Number(page[page.length - 1].id);
  }
}

/** Counts and sums of bills in fen: issued (blue) and red, per channel, and the net. */
class Tally {
  issuedCount = 0;
  issuedAmt = 0;
  redCount = 0;
  redAmt = 0;
  count = 0;
  readonly channels = new Map<string, number>();
  add(b: FinanceBillRow): void {
    const amt = Number(b.total_amt);
    this.count++;
    if (scarlet(b)) {
      this.redCount++;
      this.redAmt += amt;
    } else {
      this.issuedCount++;
      this.issuedAmt += amt;
    }
    for (const [c, a] of b.payments) this.channels.set(c, (this.channels.get(c) ?? 0) + a);
  }
  merge(t: Tally): void {
    this.issuedCount += t.issuedCount;
    this.issuedAmt += t.issuedAmt;
    this.redCount += t.redCount;
    this.redAmt += t.redAmt;
    this.count += t.count;
    for (const [c, a] of t.channels) this.channels.set(c, (this.channels.get(c) ?? 0) + a);
  }
  /** The row's figures: counts, amounts (fen), one cell per channel, the net. */
  cells(): ReportRow {
    const row: ReportRow = { issuedCount: this.issuedCount, issuedAmt: this.issuedAmt, redCount: this.redCount, redAmt: this.redAmt, netAmt: this.issuedAmt + this.redAmt, count: this.count };
    for (const [c, a] of this.channels) row[channelKey(c)] = a;
    return row;
  }
}

/** The grand total of a filter by SQL (independent of the rows' sums). */
async function sqlTotal(api: ApiContext, q: FinanceQuery, label: (t: { count: number; scarlet: number }) => string): Promise<ReportRow> {
  const t = await financeTotals(api.deps.orm.em, q);
  const row: ReportRow = {
    _subtotal: label(t),
    issuedCount: t.count - t.scarlet,
    issuedAmt: t.amount - t.scarletAmount,
    redCount: t.scarlet,
    redAmt: t.scarletAmount,
    netAmt: t.amount,
    count: t.count,
    totalAmt: t.amount,
  };
  for (const [c, a] of t.channels) row[channelKey(c)] = a;
  return row;
}

const NET: ReportColumn = { key: 'netAmt', header: '合计金额', width: 11, money: true };
const COUNTS: ReportColumn[] = [
  { key: 'issuedCount', header: '开票份数', width: 6, group: '开票' },
  { key: 'issuedAmt', header: '开票金额', width: 11, money: true, group: '开票' },
  { key: 'redCount', header: '冲红份数', width: 6, group: '冲红' },
  { key: 'redAmt', header: '冲红金额', width: 11, money: true, group: '冲红' },
];

// ---- 医疗电子票据汇总表 ----

const billSummary: ReportDef<FinanceQuery> = {
  id: 'ebill-summary',
  title: '医疗电子票据汇总表',
  description: '医疗电子票据汇总表：按开票员（开票员对照）、业务类别、票据种类统计各交费渠道的收费金额和开票份数、冲红份数及金额，含开票员小计与合计（冲红金额为负数，合计金额为净额）',
  permission: 'menu:reports',
  params: COMMON_PARAMS,
  parse: (q, user, api) => parseFinance(q, user, api, 366),
  describe: (q) => describeFinance(q),
  // The amounts first (the channels, their sum, issued and red), the bill kind after them: the money fits 1440 px.
  columns: [
    { key: 'collector', header: '开票员', width: 16, fixed: true },
    { key: 'busType', header: '业务类别', width: 8, fixed: true },
    NET,
    ...COUNTS,
    { key: 'kindName', header: '票据种类', width: 20 },
  ],
  async columnsFor(api, q) {
    const [a, b, ...rest] = this.columns;
    return [a, b, ...(await channelColumns(api, q)), ...rest];
  },
  async *rows(api, q) {
    const groups = new Map<string, { collector: { key: string; name: string }; busType: string; kindName: string; kindCode: string; tally: Tally }>();
    for await (const b of bills(api, q)) {
      const collector = collectorOf(q, b.payee);
      const key = `${collector.key}|${b.bus_type}|${b.kind_code}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { collector, busType: b.bus_type, kindName: b.kind_name, kindCode: b.kind_code, tally: new Tally() }));
      g.tally.add(b);
    }
    const sorted = [...groups.values()].sort((x, y) => x.collector.name.localeCompare(y.collector.name, 'zh-CN') || x.collector.key.localeCompare(y.collector.key) || x.busType.localeCompare(y.busType) || x.kindCode.localeCompare(y.kindCode));
    for (let i = 0; i < sorted.length; ) {
      const who = sorted[i].collector;
      const sub = new Tally();
      for (; i < sorted.length && sorted[i].collector.key === who.key; i++) {
        const g = sorted[i];
        sub.merge(g.tally);
        yield { collector: who.name, busType: categoryName(q, g.busType), kindName: g.kindName, ...g.tally.cells() };
      }
      yield { _subtotal: `小计：${who.name}（${sub.count} 张）`, ...sub.cells() };
    }
  },
  total: (api, q) => sqlTotal(api, q, (t) => `合计（${t.count} 张，其中红票 ${t.scarlet} 张）`),
};

// ---- 交费渠道汇总表 ----

const CHANNEL_BY: ReportParam = {
  name: 'by',
  label: '汇总方式',
  type: 'select',
  options: [
    { value: 'day-place', label: '按日期和开票点' },
    { value: 'day', label: '按日期' },
    { value: 'place', label: '按开票点' },
  ],
  default: 'day-place',
};

const channelSummary: ReportDef<FinanceQuery> = {
  id: 'channel-summary',
  title: '交费渠道汇总表',
  description: '交费渠道汇总表：按日期和/或开票点统计期间内各交费渠道的交费金额（红票冲减），含票据张数、日小计与合计',
  permission: 'menu:reports',
  params: [...COMMON_PARAMS, CHANNEL_BY],
  parse: (q, user, api) => parseFinance(q, user, api, 366, CHANNEL_BY),
  describe: (q) => describeFinance(q, CHANNEL_BY),
  columns: [
    { key: 'day', header: '日期', width: 10, fixed: true },
    { key: 'place', header: '开票点', width: 16, fixed: true },
    { key: 'count', header: '票据张数', width: 8 },
    { key: 'netAmt', header: '合计金额', width: 12, money: true },
  ],
  async columnsFor(api, q) {
    const cols = this.columns.filter((c) => (q.by === 'day' ? c.key !== 'place' : q.by === 'place' ? c.key !== 'day' : true));
    const at = cols.findIndex((c) => c.key === 'netAmt');
    return [...cols.slice(0, at), ...(await channelColumns(api, q, 11)), ...cols.slice(at)];
  },
  async *rows(api, q) {
    const groups = new Map<string, { day: string; place: string; tally: Tally }>();
    for await (const b of bills(api, q)) {
      const day = q.by === 'place' ? '' : chinaTime(dbDate(b.issued_at)).date;
      const place = q.by === 'day' ? '' : `${b.place_name}（${b.place_code}）`;
      const key = `${day}|${q.by === 'day' ? '' : b.place_code}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { day, place, tally: new Tally() }));
      g.tally.add(b);
    }
    const sorted = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
    for (let i = 0; i < sorted.length; ) {
      const day = sorted[i].day;
      const sub = new Tally();
      let n = 0;
      for (; i < sorted.length && sorted[i].day === day; i++, n++) {
        sub.merge(sorted[i].tally);
        yield { day: sorted[i].day, place: sorted[i].place, ...sorted[i].tally.cells() };
      }
      if (q.by === 'day-place' && n > 1) yield { _subtotal: `小计：${day}（${sub.count} 张）`, ...sub.cells() };
    }
  },
  total: (api, q) => sqlTotal(api, q, (t) => `合计（${t.count} 张）`),
};

// ---- 日报明细 ----

const BILL_STATES: Record<string, string> = { normal: '正常', reversed: '已冲红' };

const dailyDetail: ReportDef<FinanceQuery> = {
  id: 'daily-detail',
  title: '日报明细',
  description: '日报明细：期间内开具的每张电子票据一行（开票时间、票据号码、患者、开票点、开票员、业务类别、各交费渠道金额、票据金额、状态、关联票据），红票为负数；无查看患者身份信息权限的用户看到的患者姓名已脱敏；查询跨度不超过 31 天',
  permission: 'menu:reports',
  params: COMMON_PARAMS,
  parse: (q, user, api) => parseFinance(q, user, api, 31),
  describe: (q) => describeFinance(q),
  columns: [
    { key: 'issuedAt', header: '开票时间', width: 17, fixed: true },
    { key: 'billNo', header: '票据号码', width: 11, fixed: true },
    { key: 'payer', header: '患者', width: 7 },
    { key: 'place', header: '开票点', width: 13 },
    { key: 'collector', header: '开票员', width: 11 },
    { key: 'busType', header: '业务类别', width: 8 },
    { key: 'totalAmt', header: '票据金额', width: 11, money: true },
    { key: 'state', header: '状态', width: 7 },
    { key: 'relatedNo', header: '关联票据号码', width: 12 },
    { key: 'billBatchCode', header: '票据代码', width: 10 },
    { key: 'busNo', header: '业务流水号', width: 24 },
  ],
  async columnsFor(api, q) {
    const at = this.columns.findIndex((c) => c.key === 'totalAmt');
    return [...this.columns.slice(0, at), ...(await channelColumns(api, q)), ...this.columns.slice(at)];
  },
  async *rows(api, q) {
    for await (const b of bills(api, q)) {
      const row: ReportRow = {
        issuedAt: chinaTime(dbDate(b.issued_at)).text,
        billNo: b.bill_no,
        payer: q.masked ? maskName(b.payer) : b.payer,
        place: b.place_name,
        collector: collectorOf(q, b.payee).name,
        busType: categoryName(q, b.bus_type),
        totalAmt: Number(b.total_amt),
        state: scarlet(b) ? '红票' : (BILL_STATES[b.state] ?? b.state),
        relatedNo: b.related_no ?? '',
        billBatchCode: b.bill_batch_code,
        busNo: b.bus_no,
      };
      for (const [c, a] of b.payments) row[channelKey(c)] = a;
      yield row;
    }
  },
  total: (api, q) => sqlTotal(api, q, (t) => `合计（${t.count} 张，其中红票 ${t.scarlet} 张）`),
};

// ---- 单位收费情况 ----

const UNIT_BY: ReportParam = {
  name: 'by',
  label: '统计单位',
  type: 'select',
  options: [
    { value: 'place', label: '按开票点' },
    { value: 'department', label: '按科室' },
  ],
  default: 'place',
};

const unitCharges: ReportDef<FinanceQuery> = {
  id: 'unit-charges',
  title: '单位收费情况',
  description: '单位收费情况：按开票点或科室、业务类别统计期间内的开票份数与金额、冲红份数与金额及净收费金额，含小计与合计',
  permission: 'menu:reports',
  params: [...COMMON_PARAMS, UNIT_BY],
  parse: (q, user, api) => parseFinance(q, user, api, 366, UNIT_BY),
  describe: (q) => describeFinance(q, UNIT_BY),
  columns: [
    { key: 'unit', header: '开票点/科室', width: 18, fixed: true },
    { key: 'busType', header: '业务类别', width: 10, fixed: true },
    NET,
    ...COUNTS,
  ],
  async columnsFor(_api, q) {
    const [unit, ...rest] = this.columns;
    return [{ ...unit, header: q.by === 'department' ? '科室' : '开票点' }, ...rest];
  },
  async *rows(api, q) {
    const groups = new Map<string, { unit: string; busType: string; tally: Tally }>();
    for await (const b of bills(api, q, { extra: q.by === 'department' })) {
      let unit = `${b.place_name}（${b.place_code}）`;
      if (q.by === 'department') {
        // The department is the visit's patientCategory (科室) the HIS sent, kept in the bill's extra fields.
        unit = '';
        try {
          unit = String((b.extra ? (JSON.parse(b.extra) as Record<string, unknown>) : {}).patientCategory ?? '');
        } catch {
          /* extra is always JSON */
        }
        unit ||= '（未填科室）';
      }
      const key = `${unit}|${b.bus_type}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { unit, busType: b.bus_type, tally: new Tally() }));
      g.tally.add(b);
    }
    const sorted = [...groups.values()].sort((x, y) => x.unit.localeCompare(y.unit, 'zh-CN') || x.busType.localeCompare(y.busType));
    for (let i = 0; i < sorted.length; ) {
      const unit = sorted[i].unit;
      const sub = new Tally();
      let n = 0;
      for (; i < sorted.length && sorted[i].unit === unit; i++, n++) {
        sub.merge(sorted[i].tally);
        yield { unit, busType: categoryName(q, sorted[i].busType), ...sorted[i].tally.cells() };
      }
      if (n > 1) yield { _subtotal: `小计：${unit}（${sub.count} 张）`, ...sub.cells() };
    }
  },
  total: (api, q) => sqlTotal(api, q, (t) => `合计（${t.count} 张）`),
};

// ---- 退费台账 ----

const MONEY_STATES: Record<string, string> = { none: '未发起', processing: '退款处理中', success: '退款成功', failed: '退款失败' };
const REFUND_BILL_STATES: Record<string, string> = {
  none: '未处理', pending: '待冲红', waiting: '等待冲红', reversing: '冲红中', reversed: '已冲红', reissuing: '重开中', reissued: '已冲红并重开', blocked: '重开受阻', awaiting_paper: '待收回纸质票据',
};

const refundLedger: ReportDef<FinanceQuery> = {
  id: 'refund-ledger',
  title: '退费台账',
  description: '退费台账：期间内提交的每笔退费申请（退费单号、原票据、退费金额、退款渠道、审批状态、申请人、审批人、退款状态与时间、票据处理），按原票据的开票点、开票员、业务类别筛选，含合计',
  permission: 'menu:reports',
  params: [
    { name: 'dateFrom', label: '申请日期起', type: 'date', required: true },
    { name: 'dateTo', label: '申请日期止', type: 'date', required: true },
    ...COMMON_PARAMS.slice(2),
  ],
  parse: (q, user, api) => parseFinance(q, user, api, 366),
  describe: (q) => describeFinance(q),
  columns: [
    { key: 'refundNo', header: '退费单号', width: 16, fixed: true },
    { key: 'billNo', header: '原票据号码', width: 11, fixed: true },
    { key: 'createdAt', header: '申请时间', width: 17, fixed: true },
    { key: 'patient', header: '患者', width: 7 },
    { key: 'amount', header: '退费金额', width: 10, money: true },
    { key: 'channel', header: '退款渠道', width: 8 },
    { key: 'state', header: '审批状态', width: 10 },
    { key: 'moneyState', header: '退款状态', width: 9 },
    { key: 'applicant', header: '申请人', width: 10 },
    { key: 'approvers', header: '审批人', width: 16 },
    { key: 'moneyAt', header: '退款时间', width: 17 },
    { key: 'billState', header: '票据处理', width: 11 },
    { key: 'place', header: '开票点', width: 13 },
    { key: 'collector', header: '开票员', width: 11 },
    { key: 'busType', header: '业务类别', width: 8 },
    { key: 'billBatchCode', header: '原票据代码', width: 10 },
    { key: 'redNo', header: '红票号码', width: 11 },
    { key: 'reissuedNo', header: '重开票据号码', width: 12 },
    { key: 'updatedAt', header: '最后更新', width: 17 },
  ],
  async *rows(api, q) {
    for (let afterId = 0; ; ) {
      const page = await refundLedgerPage(api.deps.orm.em, q, afterId, PAGE);
      for (const r of page) {
        yield {
          refundNo: r.refund_no,
          createdAt: when(r.created_at),
          billNo: r.bill_no,
          patient: q.masked ? maskName(r.patient_name) : r.patient_name,
          amount: Number(r.amount),
          channel: CHANNEL_NAMES[r.channel as keyof typeof CHANNEL_NAMES] ?? r.channel,
          state: refundStateName(r.state),
          moneyState: MONEY_STATES[r.money_state] ?? r.money_state,
          applicant: r.applicant_name || r.applicant,
          approvers: r.approvers.join('、'),
          moneyAt: when(r.money_at),
          billState: REFUND_BILL_STATES[r.bill_state] ?? r.bill_state,
          place: r.place_name,
          collector: collectorOf(q, r.payee).name,
          busType: categoryName(q, r.bus_type),
          billBatchCode: r.bill_batch_code,
          redNo: r.red_no ?? '',
          reissuedNo: r.reissued_no ?? '',
          updatedAt: when(r.updated_at),
        };
      }
      if (page.length < PAGE) return;
      afterId = Number(page[page.length - 1].id);
    }
  },
  async total(api, q) {
    const t = await refundLedgerTotals(api.deps.orm.em, q);
    return { _subtotal: `合计（${t.count} 笔；已退款 ${t.paidCount} 笔 ${formatYuan(t.paidAmount)} 元）`, amount: t.amount };
  },
};

let registered = false;
export function registerFinanceReports(): void {
  if (registered) return;
  registered = true;
  for (const def of [billSummary, channelSummary, dailyDetail, unitCharges, refundLedger]) registerReport(def);
}
