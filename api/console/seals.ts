/**
 * Console: 印章管理 (issue 15 point 2). The hospital's seals with their image, name, code,
 * validity and signing key; a preview on a sample bill. Reading needs menu:seals, changes
 * seal:edit (finance and the system administrator); every change is an operation-log entry
 * (api/console/change-log.ts keeps the seal as saved, without its image).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { dbIso, dbDate } from '../../orm/sql-values';
import { consoleHospital } from './hospital';
import { billsWithSeal, sealsOf, type SealRow } from '../../orm/repositories/seals';
import { parseSealInput, saveSeal, sampleBill, sealOf, SEAL_KINDS, BILL_SEAL_KIND } from '../../services/seals';
import { DomainError } from '../../common/errors';
import { HttpError, noStoreRoute, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';

export function mountSealRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const em = () => api.deps.orm.em;
  const hospital = () => consoleHospital(api);
  const sealId = (ctx: Context) => {
    const n = Number(ctx.params.id);
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 31) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    return n;
  };
  const load = async (ctx: Context) => {
    const h = await hospital();
    const s = await sealOf(em(), sealId(ctx));
    if (!s || s.hospital_id !== h.id) throw new HttpError(404, 'E0030', `印章 ${ctx.params.id} 不存在`);
    return s;
  };
  const view = async (s: SealRow, now = new Date()) => {
    const from = dbDate(s.valid_from as string);
    const to = s.valid_to ? dbDate(s.valid_to as string) : null;
    return {
      id: s.id,
      kind: s.kind,
      kindName: SEAL_KINDS[s.kind] ?? s.kind,
      printedOnBills: s.kind === BILL_SEAL_KIND,
      name: s.name,
      code: s.code,
      keyId: s.key_id,
      imageSha256: s.image_sha256,
      imageUrl: `/api/seals/${s.id}/image`,
      validFrom: from.toISOString(),
      validTo: to ? to.toISOString() : null,
      state: from > now ? 'pending' : to && to <= now ? 'expired' : 'valid',
      stateName: from > now ? '未生效' : to && to <= now ? '已失效' : '有效',
      bills: await billsWithSeal(em(), s.id),
      updatedBy: s.updated_by,
      updatedAt: dbIso(s.updated_at),
    };
  };
  const handle = noStoreRoute;
  const body = async (ctx: Context) => {
    const b = await readJson(ctx);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new DomainError('E0001', 'body: 须为 JSON 对象', 'body');
    return b as Record<string, unknown>;
  };

  router.get('/api/seals', auth, requirePermission('menu:seals'), handle(async () => {
    const h = await hospital();
    const now = new Date();
    return { keyId: h.code, kinds: Object.entries(SEAL_KINDS).map(([code, name]) => ({ code, name })), items: await Promise.all((await sealsOf(em(), h.id)).map((s) => view(s, now))) };
  }));
  router.post('/api/seals', auth, requirePermission('seal:edit'), handle(async (ctx) => {
    const h = await hospital();
    const id = await saveSeal(em(), h.id, parseSealInput(await body(ctx), h.code), (ctx.state.user as SessionUser).displayName);
    return view((await sealOf(em(), id))!);
  }, 201));
  router.put('/api/seals/:id', auth, requirePermission('seal:edit'), handle(async (ctx) => {
    const old = await load(ctx);
    const h = await hospital();
    await saveSeal(em(), h.id, parseSealInput(await body(ctx), h.code, old), (ctx.state.user as SessionUser).displayName, old.id);
    return view((await sealOf(em(), old.id))!);
  }));
  router.get('/api/seals/:id/image', auth, requirePermission('menu:seals'), async (ctx: Context) => {
    try {
      const s = await load(ctx);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'image/png';
      ctx.body = Buffer.from(s.image_base64, 'base64');
    } catch (e) {
      sendError(ctx, e);
    }
  });
  /** A sample bill with the seal, through the bills' own renderer. */
  router.get('/api/seals/:id/preview', auth, requirePermission('menu:seals'), async (ctx: Context) => {
    try {
      const s = await load(ctx);
      const h = await hospital();
      const pdf = await api.deps.layout.pdf(sampleBill(h.name, { pngBase64: s.image_base64 }), { fontPath: api.deps.cfg.layout.fontPath });
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(`印章预览-${s.code}.pdf`)}`);
      ctx.type = 'application/pdf';
      ctx.body = pdf;
    } catch (e) {
      sendError(ctx, e);
    }
  });
}
