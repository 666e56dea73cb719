/**
 * Console reports (报表): each a definition with validated parameters, columns and an async row
 * source read from the database in pages (keyset), so an export of a year streams into an Excel
 * file (exceljs WorkbookWriter) without holding it in memory. `GET /api/reports/:id` previews the
 * first rows as JSON; `GET /api/reports/:id/export` streams the .xlsx.
 *
 * Amounts are summed in integer fen; a cell gets the yuan value only when the row is written.
 */
import { PassThrough } from 'node:stream';
import { dbDate } from '../../orm/sql-values';
import type Router from '@koa/router';
import type { Context } from 'koa';
import ExcelJS from 'exceljs';
import { formatYuan } from '../../common/money';
import { chinaTime } from '../../domain/bill/facts';
import { PAY_CHANNELS } from '../../services/delivery';
import { HttpError, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { registerStockReports } from './stock-reports';
import { financeOptions, registerFinanceReports } from './finance-reports';
import { registerBillListReport } from './bill-list-report';
import { firstHospitalName } from '../../orm/repositories/finance-reports';
import { billListingGroups, billListingPage, type BillReportRow } from '../../orm/repositories/reports';
import { collectorNames } from '../../orm/repositories/rbac';
import { dateRange, REPORTS, scopedPlace, type ReportColumn, type ReportDef, type ReportRow } from './report-defs';
import { logOperation } from '../../services/operation-log';

export { chinaDayStart, dateRange, registerReport, REPORTS, scopedPlace, type ReportColumn, type ReportDef, type ReportParam, type ReportRow } from './report-defs';

const STATE_NAMES: Record<string, string> = { normal: '正常', reversed: '已冲红' };

/**
 * The bills issued in a period, ordered by `groupBy` then time, with a subtotal row after each
 * group and a grand total: seed 000's 部门开票点汇总表 (by point) and 部门收费员汇总表 (by cashier).
 */
function billListing(id: string, title: string, groupBy: 'place' | 'payee'): ReportDef<{ from: Date; to: Date; placeCode?: string }> {
  return {
    id,
    title,
    description: `${title}：按${groupBy === 'place' ? '开票点' : '收费员'}汇总的开票明细（业务日期、开票日期、开票点、收费员、患者、业务标识、科室、交费渠道、金额、票据、关联红票与纸质票、状态），含小计与合计`,
    permission: 'menu:reports',
    params: [
      { name: 'dateFrom', label: '开票日期起', type: 'date', required: true },
      { name: 'dateTo', label: '开票日期止', type: 'date', required: true },
      { name: 'placeCode', label: '开票点', type: 'place' },
    ],
    parse: (q, user) => ({ ...dateRange(q), placeCode: scopedPlace(q, user) }),
    columns: [
      { key: 'busDate', header: '业务日期', width: 12 },
      { key: 'issueDate', header: '开票日期', width: 20 },
      { key: 'placeName', header: '开票点名称', width: 16 },
      { key: 'payee', header: '收费员', width: 12 },
      { key: 'collector', header: '开票员', width: 14 },
      { key: 'payer', header: '患者姓名', width: 10 },
      { key: 'busNo', header: '业务标识', width: 26 },
      { key: 'department', header: '科室', width: 10 },
      { key: 'channels', header: '交费渠道', width: 16 },
      { key: 'totalAmt', header: '开票总金额', width: 14, money: true },
      { key: 'kindName', header: '票据名称', width: 20 },
      { key: 'billBatchCode', header: '票据代码', width: 12 },
      { key: 'billNo', header: '票据号码', width: 13 },
      { key: 'relatedNo', header: '关联红票号码', width: 13 },
      { key: 'paperNo', header: '关联纸质票号码', width: 14 },
      { key: 'state', header: '状态', width: 8 },
    ],
    async *rows(api, q) {
      const em = api.deps.orm.em;
      // One group at a time (the points or cashiers of the period), each read in id order by keyset
      // (ids follow the order bills were stored in): every page is one short query, however deep
      // into a year's export it is.
      // 开票员: the HIS cashier code (payee) mapped to the platform user in 开票员对照; unmapped codes show as they are.
      const collectors = await collectorNames(em);
      const collectorOf = (payee: string) => collectors.get(payee) ?? '';
      const groupKey = (r: BillReportRow) => (groupBy === 'place' ? `${r.place_name}（${r.place_code}）` : collectorOf(r.payee) ? `${collectorOf(r.payee)}（${r.payee}）` : r.payee);
      const filter = { from: q.from, to: q.to, placeCode: q.placeCode };
      const pageSize = 500;
      let group: string | undefined;
      let groupCount = 0;
      let groupSum = 0;
      let count = 0;
      let sum = 0;
      const subtotal = (): ReportRow => ({ _subtotal: `小计：${group}（${groupCount} 张）`, totalAmt: groupSum });
      const keys = await billListingGroups(em, groupBy, filter);
      for (const g of keys)
      for (let afterId = 0; ; ) {
        const page = await billListingPage(em, groupBy, filter, g, afterId, pageSize);
        for (const r of page) {
          const key = groupKey(r);
          if (group !== undefined && key !== group) {
            yield subtotal();
            groupCount = 0;
            groupSum = 0;
          }
          group = key;
          const amt = Number(r.total_amt);
          groupCount++;
          groupSum += amt;
          count++;
          sum += amt;
          let department = '';
          try {
            const extra = r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : {};
            department = String(extra.patientCategory ?? '');
          } catch {
            /* extra is always JSON; a bad row still lists */
          }
          const issued = chinaTime(dbDate(r.issued_at));
          yield {
            busDate: `${r.bus_date_time.slice(0, 4)}-${r.bus_date_time.slice(4, 6)}-${r.bus_date_time.slice(6, 8)}`,
            issueDate: `${issued.date} ${issued.time}`,
            placeName: r.place_name,
            payee: r.payee,
            collector: collectorOf(r.payee),
            payer: r.payer,
            busNo: r.bus_no,
            department,
            channels: (r.channels ?? '').split(',').filter(Boolean).map((c: string) => PAY_CHANNELS[c] ?? c).join('、'),
            totalAmt: amt,
            kindName: r.kind_name,
            billBatchCode: r.bill_batch_code,
            billNo: r.bill_no,
            relatedNo: r.red_no ?? r.original_no ?? '',
            paperNo: r.paper_bill_no ?? '',
            state: Number(r.is_scarlet) ? '红票' : (STATE_NAMES[r.state] ?? r.state),
          };
        }
        if (page.length < pageSize) break;
        afterId = Number(page[page.length - 1].id);
      }
      if (group !== undefined) yield subtotal();
      yield { _subtotal: `合计（${count} 张）`, totalAmt: sum };
    },
  };
}

REPORTS.push(billListing('bills-by-place', '开票点汇总表', 'place'), billListing('bills-by-payee', '收费员汇总表', 'payee'));

const cellValue = (c: ReportColumn, v: unknown) => (c.money && typeof v === 'number' ? formatYuan(v) : (v ?? ''));

/** A report's columns for these parameters (some depend on the data: one per pay channel of the period). */
export const columnsOf = async (api: ApiContext, def: ReportDef<any>, q: unknown): Promise<ReportColumn[]> => (def.columnsFor ? def.columnsFor(api, q) : def.columns);

/** Every row of a report, the grand total (read apart, `total`) last. */
async function* allRows(api: ApiContext, def: ReportDef<any>, q: unknown): AsyncGenerator<ReportRow> {
  yield* def.rows(api, q);
  if (def.total) yield await def.total(api, q);
}

/** What the export's heading says: the hospital, the period, the filters, who exported it and when. */
export interface ExportHeading {
  hospital: string;
  /** 统计期间：2026-12-01 至 2026-12-05 (or the moment of a report without a period) */
  period: string;
  filters: string;
  exportedBy: string;
}

/** The spreadsheet column letter of a 1-based index (1 -> A, 27 -> AA). */
const colLetter = (n: number): string => (n > 26 ? colLetter(Math.floor((n - 1) / 26)) : '') + String.fromCharCode(65 + ((n - 1) % 26));

/**
 * Streams a report as an .xlsx workbook into `out` (one sheet): a title row, the hospital, the
 * period, the filters, the header (two rows when columns are grouped: 交费渠道, 开票, 冲红), frozen
 * with the key columns; subtotal and total rows in bold; amounts as yuan with 2 places.
 */
export async function writeXlsx(api: ApiContext, def: ReportDef<any>, q: unknown, out: NodeJS.WritableStream, heading: ExportHeading): Promise<number> {
  const columns = await columnsOf(api, def, q);
  const grouped = columns.some((c) => c.group);
  const headerRows = grouped ? 2 : 1;
  const top = 5; // title, hospital, period, filters, then the header
  const ySplit = top - 1 + headerRows;
  const xSplit = columns.filter((c) => c.fixed).length;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out as unknown as import('node:stream').Stream, useStyles: true });
  wb.creator = 'medbill';
  const ws = wb.addWorksheet(def.title.slice(0, 31), { views: [{ state: 'frozen', ySplit, xSplit, topLeftCell: `${colLetter(xSplit + 1)}${ySplit + 1}` }] });
  ws.columns = columns.map((c) => ({ key: c.key, width: c.width ?? 14, style: c.money ? { numFmt: '#,##0.00' } : {} }));
  const last = colLetter(columns.length);
  const lines: Array<[string, Partial<ExcelJS.Font>]> = [
    [def.title, { bold: true, size: 16 }],
    [`单位：${heading.hospital}`, {}],
    [heading.period, {}],
    [`${heading.filters ? `筛选条件：${heading.filters}　` : ''}导出：${heading.exportedBy}`, { color: { argb: 'FF606266' } }],
  ];
  lines.forEach(([text, font], i) => {
    const row = ws.getRow(i + 1);
    row.getCell(1).value = text;
    row.font = font;
    if (i === 0) row.alignment = { horizontal: 'center' };
    if (columns.length > 1) ws.mergeCells(`A${i + 1}:${last}${i + 1}`);
    row.commit();
  });
  const headerFont = { bold: true };
  const border = { top: { style: 'thin' }, left: { style: 'thin' }, bottom: { style: 'thin' }, right: { style: 'thin' } } as ExcelJS.Borders;
  const h1 = ws.getRow(top);
  const h2 = grouped ? ws.getRow(top + 1) : undefined;
  columns.forEach((c, i) => {
    const letter = colLetter(i + 1);
    for (const r of h2 ? [h1, h2] : [h1]) {
      const cell = r.getCell(i + 1);
      cell.font = headerFont;
      cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
      cell.border = border;
      cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F3F5' } };
    }
    if (!h2) {
      h1.getCell(i + 1).value = c.header;
      return;
    }
    if (!c.group) {
      h1.getCell(i + 1).value = c.header;
      ws.mergeCells(`${letter}${top}:${letter}${top + 1}`);
      return;
    }
    h2.getCell(i + 1).value = c.header;
    if (columns[i - 1]?.group === c.group) return;
    let end = i;
    while (columns[end + 1]?.group === c.group) end++;
    h1.getCell(i + 1).value = c.group;
    if (end > i) ws.mergeCells(`${letter}${top}:${colLetter(end + 1)}${top}`);
  });
  h1.commit();
  h2?.commit();
  let rows = 0;
  for await (const r of allRows(api, def, q)) {
    const values: Record<string, unknown> = {};
    for (const c of columns) {
      const v = r[c.key];
      // Yuan as a number only at the cell: the sums above were integer fen.
      values[c.key] = c.money && typeof v === 'number' ? Number(formatYuan(v)) : (v ?? '');
    }
    if (r._subtotal) values[columns[0].key] = r._subtotal;
    const row = ws.addRow(values);
    if (r._subtotal) row.font = { bold: true };
    row.commit();
    rows++;
  }
  ws.commit();
  await wb.commit();
  return rows;
}

/** The period of a report's parameters, in words. */
const periodOf = (query: Record<string, string | undefined>, def: ReportDef<any>) => {
  const from = def.params.find((p) => p.type === 'date' && p.name === 'dateFrom');
  if (from && query.dateFrom && query.dateTo) return `统计期间：${query.dateFrom} 至 ${query.dateTo}`;
  return `统计时点：${chinaTime(new Date()).date} ${chinaTime(new Date()).time}`;
};

/** A row as the preview shows it: amounts as yuan text, only the columns shown. */
function shown(columns: ReportColumn[], r: ReportRow): Record<string, unknown> {
  const out: Record<string, unknown> = r._subtotal ? { _subtotal: r._subtotal } : {};
  for (const c of columns) if (r[c.key] !== undefined) out[c.key] = cellValue(c, r[c.key]);
  return out;
}

export function mountReportRoutes(router: Router, api: ApiContext): void {
  registerStockReports();
  registerFinanceReports();
  registerBillListReport();
  const auth = requireUser(api);

  router.get('/api/reports', auth, async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const mine = REPORTS.filter((r) => !r.unlisted && u.permissions.includes(r.permission));
      // The choices of the select parameters that come from the data (the mapped 开票员, the business categories).
      const lists = mine.some((r) => r.params.some((p) => typeof p.options === 'string')) ? await financeOptions(api) : { collectors: [], busTypes: [] };
      ctx.body = {
        reports: mine.map((r) => ({
          id: r.id,
          title: r.title,
          description: r.description,
          params: r.params.map((p) => (typeof p.options === 'string' ? { ...p, options: lists[p.options] } : p)),
          columns: r.columns,
        })),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  const find = async (ctx: Context) => {
    const def = REPORTS.find((r) => r.id === ctx.params.id);
    if (!def) throw new HttpError(404, 'E0030', `报表 ${String(ctx.params.id).slice(0, 40)} 不存在`);
    const u = ctx.state.user as SessionUser;
    if (!u.permissions.includes(def.permission)) throw new HttpError(403, 'E0005', `无权查看报表「${def.title}」`);
    return { def, q: await def.parse(ctx.query as Record<string, string | undefined>, u, api) };
  };

  router.get('/api/reports/:id', auth, async (ctx: Context) => {
    try {
      const { def, q } = await find(ctx);
      const columns = await columnsOf(api, def, q);
      const limit = 200;
      const rows: Array<Record<string, unknown>> = [];
      let more = false;
      for await (const r of def.rows(api, q)) {
        if (rows.length >= limit) {
          more = true; // the export has everything, with the totals
          break;
        }
        rows.push(shown(columns, r));
      }
      // The grand total whatever the preview lists (read apart from the rows).
      if (def.total) rows.push(shown(columns, await def.total(api, q)));
      ctx.body = { id: def.id, title: def.title, columns, rows, truncated: more };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/reports/:id/export', auth, requirePermission('report:export'), async (ctx: Context) => {
    let def: ReportDef<any>;
    let q: unknown;
    try {
      ({ def, q } = await find(ctx));
      // Every export is a row of the operation log (who, the report, its parameters), written before the first byte.
      const u = ctx.state.user as SessionUser;
      const params = Object.fromEntries(def.params.map((p) => [p.name, (ctx.query as Record<string, string | undefined>)[p.name] ?? null]));
      await logOperation(api.deps, {
        username: u.username, displayName: u.displayName, address: ctx.ip, action: 'report-export', objectType: 'report', objectId: def.id,
        detail: `导出报表「${def.title}」（${def.params.map((p) => `${p.label}：${params[p.name] ?? '全部'}`).join('，') || '无参数'}）`,
        after: params,
      });
    } catch (e) {
      return sendError(ctx, e);
    }
    const out = new PassThrough();
    const name = `${def.title}-${new Date().toISOString().slice(0, 10)}.xlsx`;
    ctx.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    ctx.set('Content-Disposition', `attachment; filename="report.xlsx"; filename*=UTF-8''${encodeURIComponent(name)}`);
    ctx.body = out;
    // Rows are written as they are read; the response streams while the query pages on.
    const u = ctx.state.user as SessionUser;
    const query = ctx.query as Record<string, string | undefined>;
    const now = chinaTime(new Date());
    const heading = async (): Promise<ExportHeading> => ({
      hospital: await firstHospitalName(api.deps.orm.em),
      period: periodOf(query, def),
      filters: def.describe
        ? def.describe(q)
        : def.params
            .filter((p) => p.type !== 'date')
            // the point the report covers after the data scope (a cashier's own), not only the one asked for
            .map((p) => `${p.label}：${(p.type === 'place' ? (q as { placeCode?: string }).placeCode : query[p.name]) || '全部'}`)
            .join('；'),
      exportedBy: `${u.displayName}（${u.username}） ${now.date} ${now.time}`,
    });
    heading().then((h) => writeXlsx(api, def, q, out, h)).catch((e) => {
      ctx.app.emit('error', e, ctx);
      out.destroy(e as Error);
    });
  });
}
