/**
 * Console: basic data from the fiscal platform (基础数据) and the code mapping finance maintains
 * (编码对照): HIS charge code -> fiscal item, business categories (busType -> bill kind), item
 * groups (项目分组, quick-issue templates), and the HIS charge codes issuance requests were refused
 * for (E0021) that are still unmapped. Finance and admins only (others 403). Every change is one
 * statement (one transaction) and clears the master-data cache, so the next bill sees it.
 */
import type Router from '@koa/router';
import { dbIso } from '../../orm/sql-values';
import type { Context } from 'koa';
import type { Client } from '@temporalio/client';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { consoleHospitalId } from './hospital';
import { isUniqueViolation } from '../../orm/errors';
import { triggerSchedule } from '../../temporal/schedules';
import { BASIC_DATA_SYNC_SCHEDULE } from '../../temporal/schedules';
import * as repo from '../../orm/repositories/basic-data';

type Row = Record<string, any>;

const bool = (v: unknown) => v === true || v === 1 || v === '1';

const bad = (field: string, message: string, code: HttpError['code'] = 'E0010', status = 400) => new HttpError(status, code, `${field}: ${message}`, field);

function text(b: Record<string, unknown>, field: string, re: RegExp, hint: string, optional = false): string | undefined {
  const v = b[field];
  if ((v === undefined || v === null || v === '') && optional) return undefined;
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '';
  if (!re.test(s)) throw bad(field, hint);
  return s;
}

const HIS_CODE = /^[A-Za-z0-9_.-]{1,32}$/;

/** Starts the sync now (the console's 立即同步): the schedule's own action, so overlap rules hold. */
export async function syncNow(client: Client): Promise<void> {
  await triggerSchedule(client, BASIC_DATA_SYNC_SCHEDULE.id);
}

export function mountBasicDataRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const may = (...codes: string[]) => [auth, requirePermission(...codes)] as const;
  const em = () => api.deps.orm.em;
  const actor = (ctx: Context) => (ctx.state.user as SessionUser).displayName;
  const body = async (ctx: Context) => {
    const b = await readJson(ctx);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw bad('body', '须为 JSON 对象', 'E0001');
    return b as Record<string, unknown>;
  };
  /** The console serves one hospital (the first; the demo's). */
  const hospitalId = () => consoleHospitalId(api);
  const id = (ctx: Context) => {
    const n = Number(ctx.params.id);
    if (!Number.isInteger(n) || n < 1) throw bad('id', '须为正整数');
    return n;
  };
  const changed = () => api.deps.master.invalidate();
  const handle = (fn: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    try {
      await fn(ctx);
    } catch (e) {
      if (isUniqueViolation(e)) return sendError(ctx, new HttpError(409, 'E0063', '已存在相同的记录'));
      sendError(ctx, e);
    }
  };
  const fiscalItem = async (code: string, field: string) => {
    const it = await repo.fiscalItemByCode(em(), code);
    if (!it) throw bad(field, `财政收费项目 ${code} 不存在`, 'E0062');
    if (!bool(it.active)) throw bad(field, `财政收费项目 ${code}（${it.name}）已停用（财政平台不再提供）`, 'E0062');
    return it;
  };
  const billKind = async (code: string, field: string) => {
    const k = await repo.billKindByCode(em(), code);
    if (!k) throw bad(field, `票据种类 ${code} 不存在`, 'E0064');
    if (!bool(k.active)) throw bad(field, `票据种类 ${code}（${k.name}）已停用（财政平台不再提供）`, 'E0064');
    return k;
  };

  // ---- 基础数据 ----
  router.get('/api/basic-data', ...may('menu:basic-data', 'menu:code-mapping'), handle(async (ctx) => {
    const { last, kinds, items, changes } = await repo.basicDataOverview(em());
    ctx.body = {
      lastSync: last ? { version: last.version, syncedAt: dbIso(last.synced_at), kinds: Number(last.kinds), items: Number(last.items), changes: Number(last.changes), workflowId: last.workflow_id } : null,
      scheduleId: BASIC_DATA_SYNC_SCHEDULE.id,
      everyMs: api.deps.cfg.fiscal.basicSyncEveryMs,
      billKinds: kinds.map((k: Row) => ({ code: k.code, name: k.name, category: k.category, electronic: bool(k.electronic), active: bool(k.active), syncedAt: dbIso(k.synced_at) })),
      fiscalItems: items.map((i: Row) => ({ code: i.code, name: i.name, active: bool(i.active), syncedAt: dbIso(i.synced_at), mappedCount: Number(i.mapped) })),
      changes: changes.map((c: Row) => ({ entity: c.entity, code: c.code, change: c.change_type, oldValue: c.old_value, newValue: c.new_value, at: dbIso(c.created_at), version: c.version })),
    };
  }));

  router.post('/api/basic-data/sync', ...may('basic-data:edit'), handle(async (ctx) => {
    await syncNow(api.client);
    ctx.status = 202;
    ctx.body = { scheduleId: BASIC_DATA_SYNC_SCHEDULE.id, triggeredBy: actor(ctx) };
  }));

  // ---- 编码对照: HIS charge code -> fiscal item ----
  const mappingView = (m: Row) => ({
    id: Number(m.id), hisCode: m.his_code, hisName: m.his_name, fiscalItemCode: m.fiscal_code, fiscalItemName: m.fiscal_name,
    fiscalItemActive: bool(m.fiscal_active), updatedBy: m.updated_by, updatedAt: dbIso(m.updated_at),
  });

  router.get('/api/code-mappings', ...may('menu:basic-data', 'menu:code-mapping'), handle(async (ctx) => {
    const rows = await repo.codeMappings(em(), await hospitalId());
    ctx.body = { items: rows.map(mappingView) };
  }));

  router.post('/api/code-mappings', ...may('code-mapping:edit'), handle(async (ctx) => {
    const b = await body(ctx);
    const hid = await hospitalId();
    const hisCode = text(b, 'hisCode', HIS_CODE, '须为 1-32 位字母、数字或 _.-')!;
    const hisName = text(b, 'hisName', /^.{1,64}$/s, '至多 64 个字符', true);
    const item = await fiscalItem(text(b, 'fiscalItemCode', /^[\w-]{1,16}$/, '须填写财政收费项目编码')!, 'fiscalItemCode');
    if (await repo.hisCodeMapped(em(), hid, hisCode)) throw bad('hisCode', `HIS 收费编码 ${hisCode} 已有对照`, 'E0063', 409);
    const newId = await repo.addCodeMapping(em(), { hospitalId: hid, hisCode, hisName: hisName ?? item.name, fiscalItemId: item.id, actor: actor(ctx) });
    changed();
    const row = await repo.codeMapping(em(), hid, newId);
    ctx.status = 201;
    ctx.body = mappingView(row!);
  }));

  router.put('/api/code-mappings/:id', ...may('code-mapping:edit'), handle(async (ctx) => {
    const mid = id(ctx);
    const b = await body(ctx);
    const hid = await hospitalId();
    const cur = await repo.codeMapping(em(), hid, mid);
    if (!cur) throw new HttpError(404, 'E0030', `编码对照 ${mid} 不存在`);
    const hisName = text(b, 'hisName', /^.{1,64}$/s, '至多 64 个字符', true);
    const item = await fiscalItem(text(b, 'fiscalItemCode', /^[\w-]{1,16}$/, '须填写财政收费项目编码')!, 'fiscalItemCode');
    await repo.changeCodeMapping(em(), mid, { hisName: hisName ?? cur.his_name, fiscalItemId: item.id, actor: actor(ctx) });
    changed();
    const row = await repo.codeMapping(em(), hid, mid);
    ctx.body = mappingView(row!);
  }));

  router.delete('/api/code-mappings/:id', ...may('code-mapping:edit'), handle(async (ctx) => {
    const mid = id(ctx);
    if (!(await repo.removeCodeMapping(em(), await hospitalId(), mid))) throw new HttpError(404, 'E0030', `编码对照 ${mid} 不存在`);
    changed();
    ctx.status = 204;
  }));

  /** HIS charge codes of refused (E0021) issuance requests that are still unmapped. */
  router.get('/api/code-mappings/unmapped', ...may('menu:basic-data', 'menu:code-mapping'), handle(async (ctx) => {
    const hid = await hospitalId();
    const reqs = await repo.refusedForUnmappedCode(em(), hid);
    const mapped = await repo.mappedHisCodes(em(), hid);
    const codes = new Map<string, { hisCode: string; hisName: string; requests: number; lastAt: string | null; lastBusNo: string }>();
    for (const r of reqs) {
      let lines: unknown[] = [];
      try {
        const p = JSON.parse(String(r.payload)) as { chargeDetail?: unknown };
        lines = Array.isArray(p.chargeDetail) ? p.chargeDetail : [];
      } catch {
        continue;
      }
      const seen = new Set<string>();
      for (const l of lines) {
        const code = typeof (l as Row)?.chargeCode === 'string' ? String((l as Row).chargeCode).trim() : '';
        if (!code || mapped.has(code) || seen.has(code)) continue;
        seen.add(code);
        const at = dbIso(r.updated_at);
        const e = codes.get(code);
        if (!e) codes.set(code, { hisCode: code, hisName: String((l as Row).chargeName ?? ''), requests: 1, lastAt: at, lastBusNo: String(r.bus_no) });
        else {
          e.requests += 1;
          if (at && (!e.lastAt || at > e.lastAt)) Object.assign(e, { lastAt: at, lastBusNo: String(r.bus_no) });
        }
      }
    }
    ctx.body = { items: [...codes.values()].sort((a, c) => c.requests - a.requests || a.hisCode.localeCompare(c.hisCode)) };
  }));

  // ---- 业务类别: busType -> bill kind ----
  const catView = (c: Row) => ({ id: Number(c.id), busType: c.bus_type, name: c.name, billKindCode: c.kind_code, billKindName: c.kind_name, billKindActive: bool(c.kind_active) });

  router.get('/api/business-categories', ...may('menu:basic-data', 'menu:code-mapping'), handle(async (ctx) => {
    ctx.body = { items: (await repo.businessCategories(em(), await hospitalId())).map(catView) };
  }));
  router.post('/api/business-categories', ...may('basic-data:edit'), handle(async (ctx) => {
    const b = await body(ctx);
    const hid = await hospitalId();
    const busType = text(b, 'busType', /^\d{2}$/, '须为 2 位数字')!;
    const name = text(b, 'name', /^.{1,32}$/s, '须填写，至多 32 个字符')!;
    const kind = await billKind(text(b, 'billKindCode', /^\d{4}$/, '须为 4 位票据种类编码')!, 'billKindCode');
    if (await repo.busTypeTaken(em(), hid, busType)) throw bad('busType', `业务类别 ${busType} 已存在`, 'E0063', 409);
    const newId = await repo.addBusinessCategory(em(), { hospitalId: hid, busType, name, billKindId: kind.id });
    changed();
    ctx.status = 201;
    ctx.body = catView((await repo.businessCategory(em(), hid, newId))!);
  }));
  router.put('/api/business-categories/:id', ...may('basic-data:edit'), handle(async (ctx) => {
    const cid = id(ctx);
    const b = await body(ctx);
    const hid = await hospitalId();
    const cur = await repo.businessCategory(em(), hid, cid);
    if (!cur) throw new HttpError(404, 'E0030', `业务类别 ${cid} 不存在`);
    const name = text(b, 'name', /^.{1,32}$/s, '须填写，至多 32 个字符')!;
    const kind = await billKind(text(b, 'billKindCode', /^\d{4}$/, '须为 4 位票据种类编码')!, 'billKindCode');
    await repo.changeBusinessCategory(em(), cid, { name, billKindId: kind.id });
    changed();
    ctx.body = catView((await repo.businessCategory(em(), hid, cid))!);
  }));
  router.delete('/api/business-categories/:id', ...may('basic-data:edit'), handle(async (ctx) => {
    const cid = id(ctx);
    if (!(await repo.removeBusinessCategory(em(), await hospitalId(), cid))) throw new HttpError(404, 'E0030', `业务类别 ${cid} 不存在`);
    changed();
    ctx.status = 204;
  }));

  // ---- 项目分组: named groups of HIS charge codes ----
  const groupView = (g: Row) => ({ id: Number(g.id), name: g.name, hisCodes: String(g.his_codes).split(',').filter(Boolean), remark: g.remark, updatedBy: g.updated_by, updatedAt: dbIso(g.updated_at) });
  const groupInput = async (b: Record<string, unknown>, hid: number) => {
    const name = text(b, 'name', /^.{1,64}$/s, '须填写，至多 64 个字符')!;
    const remark = text(b, 'remark', /^.{0,200}$/s, '至多 200 个字符', true);
    if (!Array.isArray(b.hisCodes) || b.hisCodes.length === 0 || b.hisCodes.length > 100) throw bad('hisCodes', '须为 1-100 个 HIS 收费编码');
    const mapped = await repo.mappedHisCodes(em(), hid);
    const codes: string[] = [];
    for (const [i, c] of b.hisCodes.entries()) {
      const code = typeof c === 'string' ? c.trim() : '';
      if (!HIS_CODE.test(code)) throw bad(`hisCodes[${i}]`, '须为 1-32 位字母、数字或 _.-');
      if (!mapped.has(code)) throw bad(`hisCodes[${i}]`, `HIS 收费编码 ${code} 尚未对照财政收费项目`, 'E0021');
      if (!codes.includes(code)) codes.push(code);
    }
    return { name, remark, hisCodes: codes.join(',') };
  };

  router.get('/api/item-groups', ...may('menu:basic-data', 'menu:code-mapping'), handle(async (ctx) => {
    ctx.body = { items: (await repo.itemGroups(em(), await hospitalId())).map(groupView) };
  }));
  router.post('/api/item-groups', ...may('basic-data:edit'), handle(async (ctx) => {
    const hid = await hospitalId();
    const g = await groupInput(await body(ctx), hid);
    if (await repo.itemGroupNameTaken(em(), hid, g.name)) throw bad('name', `项目分组「${g.name}」已存在`, 'E0063', 409);
    const newId = await repo.addItemGroup(em(), hid, g, actor(ctx));
    ctx.status = 201;
    ctx.body = groupView((await repo.itemGroup(em(), newId))!);
  }));
  router.put('/api/item-groups/:id', ...may('basic-data:edit'), handle(async (ctx) => {
    const gid = id(ctx);
    const hid = await hospitalId();
    const g = await groupInput(await body(ctx), hid);
    if (await repo.itemGroupNameTaken(em(), hid, g.name, gid)) throw bad('name', `项目分组「${g.name}」已存在`, 'E0063', 409);
    if (!(await repo.changeItemGroup(em(), hid, gid, g, actor(ctx)))) throw new HttpError(404, 'E0030', `项目分组 ${gid} 不存在`);
    ctx.body = groupView((await repo.itemGroup(em(), gid))!);
  }));
  router.delete('/api/item-groups/:id', ...may('basic-data:edit'), handle(async (ctx) => {
    const gid = id(ctx);
    if (!(await repo.removeItemGroup(em(), await hospitalId(), gid))) throw new HttpError(404, 'E0030', `项目分组 ${gid} 不存在`);
    ctx.status = 204;
  }));
}
