/**
 * Console: 在线开具 (issue 15 point 1). A finance officer (bill:online-issue, in their data scope)
 * issues a bill by hand or imports an Excel file of bills; each bill goes through the HIS
 * interface's own issuing path (issueViaHis) under the console's HIS application, so numbering,
 * signing, layout, delivery and the busNo rules are the HIS bill's:
 * - GET  /api/online-issue/options     billing points in scope, business types, mapped charge codes,
 *                                      item groups (项目分组 as quick templates), pay channels;
 * - POST /api/online-issue             one bill `{ requestKey, placeCode, busType, payer, ..., items,
 *                                      payments }`; `requestKey` (made by the page when the form
 *                                      opens) is the bill's key: a double click or a retry answers
 *                                      the same bill;
 * - GET  /api/online-issue/template    the import template (.xlsx);
 * - POST /api/online-issue/import?mode=check|issue   the filled file as the body: `check` lists
 *                                      every bill and every refused row with the reason, issuing
 *                                      nothing; `issue` checks again and issues the accepted bills
 *                                      (each keyed by its 业务单号: an import retried issues none twice).
 * Every call is an operation-log entry (api/console/change-log.ts).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError, fieldError } from '../../common/errors';
import { formatYuan } from '../../common/money';
import { BUS_TYPES } from '../../domain/bill/issue-request';
import { isMedicalBusType } from '../../domain/bill/codes';
import { typedYuan, ONLINE_MAX_ITEMS, ONLINE_MAX_PAYMENTS, type OnlineBill } from '../../domain/bill/online-issue';
import { pointInScope } from '../../domain/access';
import { consoleHospital } from './hospital';
import { businessCategories, codeMappings, itemGroups, type BusinessCategoryRow, type CodeMappingRow, type ItemGroupRow } from '../../orm/repositories/basic-data';
import { PAY_CHANNELS } from '../../services/delivery';
import { checkOnlineBill, ensureConsoleApp, importReason, importTemplate, readImport, type ImportRefusal } from '../../services/online-issue';
import { Bill } from '../../orm/entities';
import { issueViaHis } from '../his/issue';
import { noStoreRoute, readJson, readRawBody, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

const KEY = /^[A-Za-z0-9_-]{8,40}$/;

function str(b: Record<string, unknown>, field: string, max: number, required = false): string | undefined {
  const v = b[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(field, '必填');
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw fieldError(field, '须为文字');
  const s = String(v).trim();
  if (required && !s) throw fieldError(field, '必填');
  if (s.length > max) throw fieldError(field, `至多 ${max} 个字符`);
  return s || undefined;
}

/** The console form as an OnlineBill: every field typed and bounded, errors naming the field. */
export function parseOnlineForm(b: Record<string, unknown>): OnlineBill {
  const key = str(b, 'requestKey', 40, true)!;
  if (!KEY.test(key)) throw fieldError('requestKey', '须为 8-40 位字母、数字、_ 或 -（请刷新页面后重试）');
  const items = b.items;
  if (!Array.isArray(items) || items.length === 0) throw fieldError('items', '请至少添加一个收费项目');
  if (items.length > ONLINE_MAX_ITEMS) throw fieldError('items', `至多 ${ONLINE_MAX_ITEMS} 个收费项目`);
  const payments = b.payments;
  if (!Array.isArray(payments) || payments.length === 0) throw fieldError('payments', '请填写支付方式');
  if (payments.length > ONLINE_MAX_PAYMENTS) throw fieldError('payments', `至多 ${ONLINE_MAX_PAYMENTS} 种支付方式`);
  const obj = (v: unknown, field: string) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw fieldError(field, '须为对象');
    return v as Record<string, unknown>;
  };
  return {
    key,
    placeCode: str(b, 'placeCode', 32, true)!,
    busType: str(b, 'busType', 2, true)!,
    payer: str(b, 'payer', 64, true)!,
    patientNo: str(b, 'patientNo', 64) ?? '', // required for a medical bill (the HIS rules say so, naming the field)
    idCardNo: str(b, 'idCardNo', 32),
    tel: str(b, 'tel', 32),
    email: str(b, 'email', 128),
    hospitalNo: str(b, 'hospitalNo', 64),
    checkUpNo: str(b, 'checkUpNo', 64),
    remark: str(b, 'remark', 200),
    busDate: str(b, 'busDate', 10),
    items: items.map((x, i) => {
      const o = obj(x, `items[${i}]`);
      return {
        chargeCode: str(o, 'chargeCode', 32, true) ?? '',
        chargeName: str(o, 'chargeName', 64) ?? String(o.chargeCode),
        number: str(o, 'number', 16),
        amt: typedYuan(o.amt, `items[${i}].amt`),
      };
    }).map((x, i) => (x.chargeCode ? x : (() => { throw fieldError(`items[${i}].chargeCode`, '请选择收费项目'); })())),
    payments: payments.map((x, i) => {
      const o = obj(x, `payments[${i}]`);
      return { payChannelCode: str(o, 'payChannelCode', 8, true)!, amount: typedYuan(o.payChannelValue, `payments[${i}].payChannelValue`) };
    }),
  };
}

/** The HIS rules name the request's fields (chargeDetail, payChannelDetail): the form's are items and payments. */
export function consoleFieldError(e: unknown): unknown {
  if (!(e instanceof DomainError) || !e.field) return e;
  const rename = (s: string) => s.replace(/^chargeDetail/, 'items').replace(/^payChannelDetail/, 'payments').replace(/^totalAmt/, 'items');
  const field = rename(e.field);
  if (field === e.field) return e;
  const message = e.message.startsWith(`${e.field}:`) ? `${field}:${e.message.slice(e.field.length + 1)}` : e.message;
  return new DomainError(e.code, message, field);
}

export function mountOnlineIssueRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const em = () => api.deps.orm.em;
  const hospital = () => consoleHospital(api);
  const operator = (u: SessionUser) => u.displayName.slice(0, 32);
  const handle = noStoreRoute;
  /** Issues one checked bill through the HIS path; the answer the console shows. */
  const issue = async (u: SessionUser, b: OnlineBill) => {
    const h = await hospital();
    const checked = await checkOnlineBill(api.deps, h.id, u, b, operator(u)).catch((e) => {
      throw consoleFieldError(e);
    });
    const appid = await ensureConsoleApp(api.deps, h);
    const answer = await issueViaHis(api, appid, checked.method, checked.business);
    const row = await em().fork().findOneOrFail(Bill, { appid, busNo: checked.busNo });
    return { id: row.id, busNo: checked.busNo, billBatchCode: answer.billBatchCode, billNo: answer.billNo, random: answer.random, totalAmt: formatYuan(checked.totalFen), pictureUrl: answer.pictureUrl };
  };

  router.get('/api/online-issue/options', auth, requirePermission('menu:online-issue'), handle(async (ctx) => {
    const u = ctx.state.user as SessionUser;
    const h = await hospital();
    const info = await api.deps.master.hospital(h.id);
    const cats: BusinessCategoryRow[] = await businessCategories(em(), h.id);
    const maps: CodeMappingRow[] = await codeMappings(em(), h.id);
    const groups: ItemGroupRow[] = await itemGroups(em(), h.id);
    return {
      places: [...info.places.values()].filter((p) => p.active && pointInScope(u, p.code)).map((p) => ({ code: p.code, name: p.name })),
      busTypes: cats.filter((c) => Number(c.kind_active)).map((c) => ({ code: c.bus_type, name: BUS_TYPES[c.bus_type] ?? c.name, billKindName: c.kind_name, medical: isMedicalBusType(c.bus_type) })),
      charges: maps.filter((m) => Number(m.fiscal_active)).map((m) => ({ code: m.his_code, name: m.his_name || m.fiscal_name, fiscalCode: m.fiscal_code, fiscalName: m.fiscal_name })),
      itemGroups: groups.map((g) => ({ id: Number(g.id), name: g.name, hisCodes: String(g.his_codes).split(',').filter(Boolean) })),
      payChannels: api.deps.cfg.his.payChannelCodes.map((code) => ({ code, name: PAY_CHANNELS[code] ?? code })),
      maxItems: ONLINE_MAX_ITEMS,
    };
  }));

  router.post('/api/online-issue', auth, requirePermission('bill:online-issue'), handle(async (ctx) => {
    const b = await readJson(ctx);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new DomainError('E0001', 'body: 须为 JSON 对象', 'body');
    return issue(ctx.state.user as SessionUser, parseOnlineForm(b as Record<string, unknown>));
  }, 201));

  router.get('/api/online-issue/template', auth, requirePermission('menu:online-issue'), async (ctx: Context) => {
    try {
      const u = ctx.state.user as SessionUser;
      const h = await hospital();
      const info = await api.deps.master.hospital(h.id);
      const place = [...info.places.values()].find((p) => p.active && pointInScope(u, p.code)) ?? [...info.places.values()][0];
      const charge = [...info.charges.entries()][0];
      const buf = await importTemplate({ placeCode: place?.code ?? 'MZ01', busType: '02', chargeCode: charge?.[0] ?? 'GH', chargeName: charge?.[1].fiscalName ?? '挂号费', payChannelCode: '02' });
      ctx.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent('在线开具导入模板.xlsx')}`);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      ctx.body = buf;
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.post('/api/online-issue/import', auth, requirePermission('bill:online-issue'), handle(async (ctx) => {
    const mode = ctx.query.mode;
    if (mode !== 'check' && mode !== 'issue') throw fieldError('mode', '须为 check（检查）或 issue（开具）');
    const u = ctx.state.user as SessionUser;
    const file = await readRawBody(ctx);
    if (!file.length) throw fieldError('file', '请上传 .xlsx 文件');
    const reading = await readImport(file);
    const h = await hospital();
    const refused: ImportRefusal[] = [...reading.refused];
    const accepted: Array<{ rows: number[]; bill: OnlineBill; totalAmt: string; busNo: string }> = [];
    for (const r of reading.bills) {
      try {
        const c = await checkOnlineBill(api.deps, h.id, u, r.bill, operator(u));
        accepted.push({ rows: r.rows, bill: r.bill, totalAmt: formatYuan(c.totalFen), busNo: c.busNo });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        const named = consoleFieldError(e) as DomainError;
        refused.push({ rows: r.rows, key: r.bill.key, code: named.code, reason: importReason(r.rows, named) });
      }
    }
    refused.sort((a, b) => a.rows[0] - b.rows[0]);
    const view = (a: (typeof accepted)[number]) => ({ rows: a.rows, key: a.bill.key, busNo: a.busNo, payer: a.bill.payer, placeCode: a.bill.placeCode, items: a.bill.items.length, totalAmt: a.totalAmt });
    if (mode === 'check') return { mode, accepted: accepted.map(view), refused };
    const issued = [];
    for (const a of accepted) {
      try {
        issued.push({ ...view(a), result: 'issued', bill: await issue(u, a.bill) });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        const named = consoleFieldError(e) as DomainError;
        refused.push({ rows: a.rows, key: a.bill.key, code: named.code, reason: importReason(a.rows, named) });
      }
    }
    return { mode, issued, refused };
  }));
}
