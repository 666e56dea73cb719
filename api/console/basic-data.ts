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
import { requireRole, requireUser, type SessionUser } from './auth';
import { isUniqueViolation } from '../../orm/errors';
import { triggerSchedule } from '../../temporal/schedules';
import { BASIC_DATA_SYNC_SCHEDULE } from '../../temporal/schedules';

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
  const guard = [requireUser(api), requireRole('admin', 'finance')];
  const conn = () => api.deps.orm.em.getConnection();
  const now = () => api.deps.orm.em.getPlatform().processDateProperty(new Date());
  const actor = (ctx: Context) => (ctx.state.user as SessionUser).displayName;
  const body = async (ctx: Context) => {
    const b = await readJson(ctx);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw bad('body', '须为 JSON 对象', 'E0001');
    return b as Record<string, unknown>;
  };
  /** The console serves one hospital (the first; the demo's). */
  const hospitalId = async (): Promise<number> => {
    const [h] = await conn().execute<Row[]>('select id from hospital order by id limit 1');
    if (!h) throw new HttpError(404, 'E0030', '尚未配置医院');
    return Number(h.id);
  };
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
    const [it] = await conn().execute<Row[]>('select id, code, name, active from fiscal_item where code = ?', [code]);
    if (!it) throw bad(field, `财政收费项目 ${code} 不存在`, 'E0062');
    if (!bool(it.active)) throw bad(field, `财政收费项目 ${code}（${it.name}）已停用（财政平台不再提供）`, 'E0062');
    return it;
  };
  const billKind = async (code: string, field: string) => {
    const [k] = await conn().execute<Row[]>('select id, code, name, active from bill_kind where code = ?', [code]);
    if (!k) throw bad(field, `票据种类 ${code} 不存在`, 'E0064');
    if (!bool(k.active)) throw bad(field, `票据种类 ${code}（${k.name}）已停用（财政平台不再提供）`, 'E0064');
    return k;
  };

  // ---- 基础数据 ----
  router.get('/api/basic-data', ...guard, handle(async (ctx) => {
    const [last] = await conn().execute<Row[]>('select id, version, kinds, items, changes, workflow_id, synced_at from basic_data_sync order by id desc limit 1');
    const kinds = await conn().execute<Row[]>('select code, name, category, electronic, active, synced_at from bill_kind order by code');
    const items = await conn().execute<Row[]>(
      `select f.code, f.name, f.active, f.synced_at, (select count(*) from charge_code_map m where m.fiscal_item_id = f.id) as mapped
         from fiscal_item f order by f.code`,
    );
    const changes = await conn().execute<Row[]>(
      `select c.entity, c.code, c.change_type, c.old_value, c.new_value, c.created_at, s.version
         from basic_data_change c join basic_data_sync s on s.id = c.sync_id order by c.id desc limit 100`,
    );
    ctx.body = {
      lastSync: last ? { version: last.version, syncedAt: dbIso(last.synced_at), kinds: Number(last.kinds), items: Number(last.items), changes: Number(last.changes), workflowId: last.workflow_id } : null,
      scheduleId: BASIC_DATA_SYNC_SCHEDULE.id,
      everyMs: api.deps.cfg.basicSyncEveryMs,
      billKinds: kinds.map((k: Row) => ({ code: k.code, name: k.name, category: k.category, electronic: bool(k.electronic), active: bool(k.active), syncedAt: dbIso(k.synced_at) })),
      fiscalItems: items.map((i: Row) => ({ code: i.code, name: i.name, active: bool(i.active), syncedAt: dbIso(i.synced_at), mappedCount: Number(i.mapped) })),
      changes: changes.map((c: Row) => ({ entity: c.entity, code: c.code, change: c.change_type, oldValue: c.old_value, newValue: c.new_value, at: dbIso(c.created_at), version: c.version })),
    };
  }));

  router.post('/api/basic-data/sync', ...guard, handle(async (ctx) => {
    await syncNow(api.client);
    ctx.status = 202;
    ctx.body = { scheduleId: BASIC_DATA_SYNC_SCHEDULE.id, triggeredBy: actor(ctx) };
  }));

  // ---- 编码对照: HIS charge code -> fiscal item ----
  const mappingView = (m: Row) => ({
    id: Number(m.id), hisCode: m.his_code, hisName: m.his_name, fiscalItemCode: m.fiscal_code, fiscalItemName: m.fiscal_name,
    fiscalItemActive: bool(m.fiscal_active), updatedBy: m.updated_by, updatedAt: dbIso(m.updated_at),
  });
  const mappingSelect = `select m.id, m.his_code, m.his_name, m.updated_by, m.updated_at, f.code as fiscal_code, f.name as fiscal_name, f.active as fiscal_active
    from charge_code_map m join fiscal_item f on f.id = m.fiscal_item_id where m.hospital_id = ?`;

  router.get('/api/code-mappings', ...guard, handle(async (ctx) => {
    const rows = await conn().execute<Row[]>(`${mappingSelect} order by m.his_code`, [await hospitalId()]);
    ctx.body = { items: rows.map(mappingView) };
  }));

  router.post('/api/code-mappings', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const hid = await hospitalId();
    const hisCode = text(b, 'hisCode', HIS_CODE, '须为 1-32 位字母、数字或 _.-')!;
    const hisName = text(b, 'hisName', /^.{1,64}$/s, '至多 64 个字符', true);
    const item = await fiscalItem(text(b, 'fiscalItemCode', /^[\w-]{1,16}$/, '须填写财政收费项目编码')!, 'fiscalItemCode');
    const [dup] = await conn().execute<Row[]>('select id from charge_code_map where hospital_id = ? and his_code = ?', [hid, hisCode]);
    if (dup) throw bad('hisCode', `HIS 收费编码 ${hisCode} 已有对照`, 'E0063', 409);
    const res = await conn().execute<{ insertId: number }>(
      'insert into charge_code_map (hospital_id, his_code, his_name, fiscal_item_id, updated_by, updated_at) values (?, ?, ?, ?, ?, ?)',
      [hid, hisCode, hisName ?? item.name, item.id, actor(ctx), now()],
      'run',
    );
    changed();
    const [row] = await conn().execute<Row[]>(`${mappingSelect} and m.id = ?`, [hid, res.insertId]);
    ctx.status = 201;
    ctx.body = mappingView(row!);
  }));

  router.put('/api/code-mappings/:id', ...guard, handle(async (ctx) => {
    const mid = id(ctx);
    const b = await body(ctx);
    const hid = await hospitalId();
    const [cur] = await conn().execute<Row[]>(`${mappingSelect} and m.id = ?`, [hid, mid]);
    if (!cur) throw new HttpError(404, 'E0030', `编码对照 ${mid} 不存在`);
    const hisName = text(b, 'hisName', /^.{1,64}$/s, '至多 64 个字符', true);
    const item = await fiscalItem(text(b, 'fiscalItemCode', /^[\w-]{1,16}$/, '须填写财政收费项目编码')!, 'fiscalItemCode');
    await conn().execute('update charge_code_map set his_name = ?, fiscal_item_id = ?, updated_by = ?, updated_at = ? where id = ?', [hisName ?? cur.his_name, item.id, actor(ctx), now(), mid], 'run');
    changed();
    const [row] = await conn().execute<Row[]>(`${mappingSelect} and m.id = ?`, [hid, mid]);
    ctx.body = mappingView(row!);
  }));

  router.delete('/api/code-mappings/:id', ...guard, handle(async (ctx) => {
    const mid = id(ctx);
    const res = await conn().execute<{ affectedRows: number }>('delete from charge_code_map where id = ? and hospital_id = ?', [mid, await hospitalId()], 'run');
    if (res.affectedRows !== 1) throw new HttpError(404, 'E0030', `编码对照 ${mid} 不存在`);
    changed();
    ctx.status = 204;
  }));

  /** HIS charge codes of refused (E0021) issuance requests that are still unmapped. */
  router.get('/api/code-mappings/unmapped', ...guard, handle(async (ctx) => {
    const hid = await hospitalId();
    const reqs = await conn().execute<Row[]>(
      `select r.bus_no, r.payload, r.updated_at from issue_request r join his_app a on a.appid = r.appid
        where r.status = 'rejected' and r.error_code = 'E0021' and a.hospital_id = ? order by r.id desc limit 5000`,
      [hid],
    );
    const mapped = new Set((await conn().execute<Row[]>('select his_code from charge_code_map where hospital_id = ?', [hid])).map((m: Row) => String(m.his_code)));
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
  const catSelect = `select c.id, c.bus_type, c.name, k.code as kind_code, k.name as kind_name, k.active as kind_active
    from business_category c join bill_kind k on k.id = c.bill_kind_id where c.hospital_id = ?`;
  const catView = (c: Row) => ({ id: Number(c.id), busType: c.bus_type, name: c.name, billKindCode: c.kind_code, billKindName: c.kind_name, billKindActive: bool(c.kind_active) });

  router.get('/api/business-categories', ...guard, handle(async (ctx) => {
    ctx.body = { items: (await conn().execute<Row[]>(`${catSelect} order by c.bus_type`, [await hospitalId()])).map(catView) };
  }));
  router.post('/api/business-categories', ...guard, handle(async (ctx) => {
    const b = await body(ctx);
    const hid = await hospitalId();
    const busType = text(b, 'busType', /^\d{2}$/, '须为 2 位数字')!;
    const name = text(b, 'name', /^.{1,32}$/s, '须填写，至多 32 个字符')!;
    const kind = await billKind(text(b, 'billKindCode', /^\d{4}$/, '须为 4 位票据种类编码')!, 'billKindCode');
    const [dup] = await conn().execute<Row[]>('select id from business_category where hospital_id = ? and bus_type = ?', [hid, busType]);
    if (dup) throw bad('busType', `业务类别 ${busType} 已存在`, 'E0063', 409);
    const res = await conn().execute<{ insertId: number }>('insert into business_category (hospital_id, bus_type, name, bill_kind_id) values (?, ?, ?, ?)', [hid, busType, name, kind.id], 'run');
    changed();
    ctx.status = 201;
    ctx.body = catView((await conn().execute<Row[]>(`${catSelect} and c.id = ?`, [hid, res.insertId]))[0]!);
  }));
  router.put('/api/business-categories/:id', ...guard, handle(async (ctx) => {
    const cid = id(ctx);
    const b = await body(ctx);
    const hid = await hospitalId();
    const [cur] = await conn().execute<Row[]>(`${catSelect} and c.id = ?`, [hid, cid]);
    if (!cur) throw new HttpError(404, 'E0030', `业务类别 ${cid} 不存在`);
    const name = text(b, 'name', /^.{1,32}$/s, '须填写，至多 32 个字符')!;
    const kind = await billKind(text(b, 'billKindCode', /^\d{4}$/, '须为 4 位票据种类编码')!, 'billKindCode');
    await conn().execute('update business_category set name = ?, bill_kind_id = ? where id = ?', [name, kind.id, cid], 'run');
    changed();
    ctx.body = catView((await conn().execute<Row[]>(`${catSelect} and c.id = ?`, [hid, cid]))[0]!);
  }));
  router.delete('/api/business-categories/:id', ...guard, handle(async (ctx) => {
    const cid = id(ctx);
    const res = await conn().execute<{ affectedRows: number }>('delete from business_category where id = ? and hospital_id = ?', [cid, await hospitalId()], 'run');
    if (res.affectedRows !== 1) throw new HttpError(404, 'E0030', `业务类别 ${cid} 不存在`);
    changed();
    ctx.status = 204;
  }));

  // ---- 项目分组: named groups of HIS charge codes ----
  const groupView = (g: Row) => ({ id: Number(g.id), name: g.name, hisCodes: String(g.his_codes).split(',').filter(Boolean), remark: g.remark, updatedBy: g.updated_by, updatedAt: dbIso(g.updated_at) });
  const groupInput = async (b: Record<string, unknown>, hid: number) => {
    const name = text(b, 'name', /^.{1,64}$/s, '须填写，至多 64 个字符')!;
    const remark = text(b, 'remark', /^.{0,200}$/s, '至多 200 个字符', true);
    if (!Array.isArray(b.hisCodes) || b.hisCodes.length === 0 || b.hisCodes.length > 100) throw bad('hisCodes', '须为 1-100 个 HIS 收费编码');
    const mapped = new Set((await conn().execute<Row[]>('select his_code from charge_code_map where hospital_id = ?', [hid])).map((m: Row) => String(m.his_code)));
    const codes: string[] = [];
    for (const [i, c] of b.hisCodes.entries()) {
      const code = typeof c === 'string' ? c.trim() : '';
      if (!HIS_CODE.test(code)) throw bad(`hisCodes[${i}]`, '须为 1-32 位字母、数字或 _.-');
      if (!mapped.has(code)) throw bad(`hisCodes[${i}]`, `HIS 收费编码 ${code} 尚未对照财政收费项目`, 'E0021');
      if (!codes.includes(code)) codes.push(code);
    }
    return { name, remark, hisCodes: codes.join(',') };
  };

  router.get('/api/item-groups', ...guard, handle(async (ctx) => {
    ctx.body = { items: (await conn().execute<Row[]>('select * from item_group where hospital_id = ? order by name', [await hospitalId()])).map(groupView) };
  }));
  router.post('/api/item-groups', ...guard, handle(async (ctx) => {
    const hid = await hospitalId();
    const g = await groupInput(await body(ctx), hid);
    const [dup] = await conn().execute<Row[]>('select id from item_group where hospital_id = ? and name = ?', [hid, g.name]);
    if (dup) throw bad('name', `项目分组「${g.name}」已存在`, 'E0063', 409);
    const res = await conn().execute<{ insertId: number }>(
      'insert into item_group (hospital_id, name, his_codes, remark, updated_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)',
      [hid, g.name, g.hisCodes, g.remark ?? null, actor(ctx), now(), now()],
      'run',
    );
    ctx.status = 201;
    ctx.body = groupView((await conn().execute<Row[]>('select * from item_group where id = ?', [res.insertId]))[0]!);
  }));
  router.put('/api/item-groups/:id', ...guard, handle(async (ctx) => {
    const gid = id(ctx);
    const hid = await hospitalId();
    const g = await groupInput(await body(ctx), hid);
    const [dup] = await conn().execute<Row[]>('select id from item_group where hospital_id = ? and name = ? and id <> ?', [hid, g.name, gid]);
    if (dup) throw bad('name', `项目分组「${g.name}」已存在`, 'E0063', 409);
    const res = await conn().execute<{ affectedRows: number }>(
      'update item_group set name = ?, his_codes = ?, remark = ?, updated_by = ?, updated_at = ? where id = ? and hospital_id = ?',
      [g.name, g.hisCodes, g.remark ?? null, actor(ctx), now(), gid, hid],
      'run',
    );
    if (res.affectedRows !== 1) throw new HttpError(404, 'E0030', `项目分组 ${gid} 不存在`);
    ctx.body = groupView((await conn().execute<Row[]>('select * from item_group where id = ?', [gid]))[0]!);
  }));
  router.delete('/api/item-groups/:id', ...guard, handle(async (ctx) => {
    const gid = id(ctx);
    const res = await conn().execute<{ affectedRows: number }>('delete from item_group where id = ? and hospital_id = ?', [gid, await hospitalId()], 'run');
    if (res.affectedRows !== 1) throw new HttpError(404, 'E0030', `项目分组 ${gid} 不存在`);
    ctx.status = 204;
  }));
}
