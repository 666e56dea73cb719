/**
 * 在线开具 (issue 15 point 1), the service side:
 * - the console's own HIS application per hospital (`CONSOLE_<hospital code>`, inactive: nobody
 *   signs HIS envelopes with it; the issuing path only needs its hospital), created on first use;
 * - the check of a console bill before it is issued: the HIS rules (parseIssueDraft: fields,
 *   totals, pay channels, limits), then the billing point (exists, active, in the officer's data
 *   scope), the business type (mapped to a bill kind) and every charge code (mapped to a fiscal
 *   item) — what the issuing transaction would refuse, said first, in Chinese, naming the field;
 * - the Excel import: a template to download, and the reading of a filled one into bills, one per
 *   业务单号 (a row per charge line; the rows of one 业务单号 share the bill's fields; the bill's
 *   pay channels are its rows' channels with their sums). The 业务单号 is the bill's key: the
 *   same file imported again gives the same busNos, so the bills already issued answer as they
 *   are and nothing is issued twice.
 */
import ExcelJS from 'exceljs';
import { DomainError, fieldError } from '../common/errors';
import { seal } from '../common/keys';
import { randomKeyHex } from '../common/gm';
import { chinaTime } from '../common/china-time';
import { assertPoint } from './access';
import type { Viewer } from '../domain/access';
import { parseIssueDraft } from '../domain/bill/issue-request';
import { onlineRequest, typedYuan, ONLINE_MAX_ITEMS, type OnlineBill } from '../domain/bill/online-issue';
import { addHisAppOnce } from '../orm/repositories/his-apps';
import { resolveDraftMaster } from './issuance';
import type { Deps } from './deps';

export const consoleAppid = (hospitalCode: string) => `CONSOLE_${hospitalCode}`;

/** The console's HIS application of the hospital (created on first use). */
export async function ensureConsoleApp(deps: Deps, hospital: { id: number; code: string }): Promise<string> {
  const appid = consoleAppid(hospital.code);
  if (await deps.master.app(appid)) return appid;
  await addHisAppOnce(deps.orm.em, { appid, name: '在线开具（控制台）', keyEnc: seal(randomKeyHex(32), deps.masterKey), hospitalId: hospital.id, active: false });
  deps.master.invalidate();
  return appid;
}

export interface CheckedBill {
  method: ReturnType<typeof onlineRequest>['method'];
  business: Record<string, unknown>;
  busNo: string;
  totalFen: number;
}

/** The bill as the HIS interface would take it, or a DomainError naming the field. */
export async function checkOnlineBill(deps: Deps, hospitalId: number, viewer: Viewer, bill: OnlineBill, operator: string, now = new Date()): Promise<CheckedBill> {
  assertPoint(viewer, bill.placeCode);
  const { method, business } = onlineRequest(bill, operator, chinaTime(now).his);
  const draft = parseIssueDraft(method, business, deps.cfg.his);
  await resolveDraftMaster(deps, hospitalId, draft); // what the issuing transaction would refuse, said first
  return { method, business, busNo: String(business.busNo), totalFen: draft.totalAmt };
}

// ---------------------------------------------------------------------------------------------
// The Excel import

/** The template's columns: key, header, required, width. */
export const IMPORT_COLUMNS = [
  ['key', '业务单号', true, 18],
  ['placeCode', '开票点编码', true, 12],
  ['busType', '业务类型编码', true, 12],
  ['payer', '交款人', true, 14],
  ['patientNo', '患者编号', false, 12],
  ['idCardNo', '证件号码', false, 20],
  ['tel', '手机号码', false, 14],
  ['hospitalNo', '住院号', false, 12],
  ['chargeCode', '收费项目编码', true, 14],
  ['chargeName', '收费项目名称', false, 16],
  ['number', '数量', false, 8],
  ['amt', '金额（元）', true, 12],
  ['payChannelCode', '支付渠道编码', true, 12],
  ['remark', '备注', false, 24],
  ['busDate', '业务日期（补开）', false, 14],
] as const;
type ColumnKey = (typeof IMPORT_COLUMNS)[number][0];
const HEADER_ROW = 2;
/** The most data rows one import may hold. */
export const IMPORT_MAX_ROWS = 2000;

/** The template: a title, the header row (required columns marked *), one example bill. */
export async function importTemplate(example: { placeCode: string; busType: string; chargeCode: string; chargeName: string; payChannelCode: string }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('开票明细', { views: [{ state: 'frozen', ySplit: HEADER_ROW }] });
  ws.columns = IMPORT_COLUMNS.map(([key, , , width]) => ({ key, width }));
  ws.mergeCells(1, 1, 1, IMPORT_COLUMNS.length);
  ws.getCell(1, 1).value = '在线开具导入模板：每行一个收费项目，业务单号相同的行开成一张票据（带 * 的列必填；同一业务单号再次导入不会重复开票）';
  ws.getRow(HEADER_ROW).values = IMPORT_COLUMNS.map(([, header, required]) => `${header}${required ? ' *' : ''}`);
  ws.getRow(HEADER_ROW).font = { bold: true };
  ws.addRow({ key: 'ZX-EXAMPLE-1', placeCode: example.placeCode, busType: example.busType, payer: '张三', patientNo: 'P0001', chargeCode: example.chargeCode, chargeName: example.chargeName, number: '1', amt: '10.00', payChannelCode: example.payChannelCode, remark: '示例，导入前请删除' });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export interface ImportRefusal {
  /** The sheet's row numbers of the bill (or of the one bad row). */
  rows: number[];
  key: string | null;
  code: string;
  reason: string;
}

export interface ImportReading {
  bills: Array<{ rows: number[]; bill: OnlineBill }>;
  refused: ImportRefusal[];
}

const cellText = (v: ExcelJS.CellValue): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('').trim();
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    if ('text' in v) return String(v.text).trim();
    if (v instanceof Date) return v.toISOString();
  }
  return String(v).trim();
};

/** A day as a person typed it in a cell (2026-03-01, 2026/3/1, 20260301, or a date cell) as yyyy-MM-dd. */
function excelDay(v: string): string {
  const iso = /^(\d{4})-(\d{2})-(\d{2})T/.exec(v); // a date cell (cellText gives its ISO text)
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const m = /^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?$/.exec(v);
  return m ? `${m[1]}-${m[2].padStart(2, '0')}-${m[3].padStart(2, '0')}` : v;
}

/** Reads a filled template: bills by 业务单号, and the rows refused with their reason. */
export async function readImport(file: Buffer): Promise<ImportReading> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch {
    throw fieldError('file', '无法读取文件：请上传由模板填写的 .xlsx 文件');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw fieldError('file', '文件中没有工作表');
  const headers = IMPORT_COLUMNS.map(([, h]) => h);
  const found = (ws.getRow(HEADER_ROW).values as ExcelJS.CellValue[]).slice(1).map((v) => cellText(v).replace(/\s*\*$/, ''));
  for (const [i, h] of headers.entries()) {
    if (found[i] !== h) throw fieldError('file', `第 ${HEADER_ROW} 行第 ${i + 1} 列应为「${h}」：请使用下载的模板`);
  }
  const groups = new Map<string, Array<{ row: number; v: Record<ColumnKey, string> }>>();
  const refused: ImportRefusal[] = [];
  let count = 0;
  for (let r = HEADER_ROW + 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const v = Object.fromEntries(IMPORT_COLUMNS.map(([key], i) => [key, cellText(row.getCell(i + 1).value).slice(0, 200)])) as Record<ColumnKey, string>;
    if (Object.values(v).every((x) => x === '')) continue;
    if (++count > IMPORT_MAX_ROWS) throw fieldError('file', `一次至多导入 ${IMPORT_MAX_ROWS} 行`);
    const missing = IMPORT_COLUMNS.find(([key, , required]) => required && !v[key]);
    if (missing) {
      refused.push({ rows: [r], key: v.key || null, code: 'E0010', reason: `第 ${r} 行「${missing[1]}」未填写` });
      continue;
    }
    const g = groups.get(v.key) ?? [];
    g.push({ row: r, v });
    groups.set(v.key, g);
  }
  const bills: ImportReading['bills'] = [];
  for (const [key, g] of groups) {
    const rows = g.map((x) => x.row);
    try {
      const head = g[0].v;
      for (const x of g.slice(1)) {
        for (const k of ['placeCode', 'busType', 'payer', 'patientNo', 'idCardNo', 'tel', 'hospitalNo', 'busDate'] as const) {
          if (x.v[k] && x.v[k] !== head[k]) throw new DomainError('E0010', `第 ${x.row} 行「${IMPORT_COLUMNS.find(([c]) => c === k)![1]}」与第 ${g[0].row} 行不同：同一业务单号的行须是同一张票据`);
        }
      }
      if (g.length > ONLINE_MAX_ITEMS) throw new DomainError('E0010', `业务单号 ${key} 有 ${g.length} 行，一张票据至多 ${ONLINE_MAX_ITEMS} 个收费项目`);
      const items = g.map((x) => {
        try {
          return { chargeCode: x.v.chargeCode, chargeName: x.v.chargeName || x.v.chargeCode, number: x.v.number || undefined, amt: typedYuan(x.v.amt, 'amt') };
        } catch (e) {
          throw new DomainError((e as DomainError).code ?? 'E0010', `第 ${x.row} 行「金额（元）」${String((e as Error).message).replace(/^amt: /, '：')}`);
        }
      });
      const byChannel = new Map<string, number>();
      for (const [i, x] of g.entries()) byChannel.set(x.v.payChannelCode, (byChannel.get(x.v.payChannelCode) ?? 0) + items[i].amt);
      bills.push({
        rows,
        bill: {
          key,
          placeCode: head.placeCode,
          busType: head.busType,
          payer: head.payer,
          patientNo: head.patientNo,
          idCardNo: head.idCardNo || undefined,
          tel: head.tel || undefined,
          hospitalNo: head.hospitalNo || undefined,
          remark: g.map((x) => x.v.remark).find(Boolean),
          busDate: head.busDate ? excelDay(head.busDate) : undefined,
          items,
          payments: [...byChannel].map(([payChannelCode, amount]) => ({ payChannelCode, amount })),
        },
      });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      refused.push({ rows, key, code: e.code, reason: e.message });
    }
  }
  return { bills, refused };
}

/** A refusal of an imported bill as the person who filled the sheet reads it: the row and the column. */
export function importReason(rows: number[], e: DomainError): string {
  const field = e.field ?? '';
  const text = field && e.message.startsWith(`${field}:`) ? e.message.slice(field.length + 1).trim() : e.message;
  const label = (key: string) => IMPORT_COLUMNS.find(([k]) => k === key)?.[1];
  const item = /^items\[(\d+)\]\.(\w+)$/.exec(field);
  if (item && rows[Number(item[1])] !== undefined) return `第 ${rows[Number(item[1])]} 行「${label(item[2] === 'amt' ? 'amt' : 'chargeCode') ?? item[2]}」：${text}`;
  if (/^payments/.test(field)) return `第 ${rows.join('、')} 行「${label('payChannelCode')}」：${text}`;
  if (field === 'items') return `第 ${rows.join('、')} 行「${label('amt')}」：${text}`;
  if (label(field)) return `第 ${rows.join('、')} 行「${label(field)}」：${text}`;
  return `第 ${rows.join('、')} 行：${e.message}`;
}
