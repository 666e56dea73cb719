/**
 * Console paper bills (纸质票据): exchange / re-exchange / void a bill's paper form and print its
 * layout on A4 (cashier of the bill's point, finance, admin), the paper stock of a point with every
 * used or voided number, and voiding unused blank forms. The operations go through the same code as
 * the HIS methods (api/his/paper.ts), hence through the bill's paper workflow.
 */
import type Router from '@koa/router';
import { dbIso } from '../../orm/sql-values';
import type { Context, Next } from 'koa';
import { voidBlankRange } from '../../services/paper';
import { billWithPaper, formsOfBill, hospitalOfPoint, nextPaperForm, paperNo, paperStock, printJobsOfBill, usedNumbersOfSegment, type ConsolePaperBill } from '../../orm/repositories/paper';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { assertActOnBill, assertPoint, assertReadBill, placeFilter } from '../../services/access';
import { findBill, runPaperOp } from '../his/paper';
import { paperWorkflowId, workflowUrl } from '../../temporal/ids';


type BillRow = ConsolePaperBill;

export function mountPaperRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const em = () => api.deps.orm.em;

  /** The bill of the URL; a cashier may act only on bills of their own billing point. */
  const loadBill = async (ctx: Context): Promise<BillRow> => {
    const id = Number(ctx.params.id);
    if (!Number.isInteger(id) || id < 1) throw new HttpError(400, 'E0010', 'id: 须为正整数', 'id');
    const b = await billWithPaper(em(), id);
    if (!b) throw new HttpError(404, 'E0030', `票据 ${id} 不存在`);
    const user = ctx.state.user as SessionUser;
    await assertReadBill(em(), user, { id: b.id, placeCode: b.place_code });
    if (ctx.method !== 'GET') assertActOnBill(user, { placeCode: b.place_code });
    return b;
  };
  /** A point the user may manage: finance/admin any, a cashier their own. */
  const checkPlace = (ctx: Context, placeCode: string) => {
    assertPoint(ctx.state.user as SessionUser, placeCode);
  };
  const reasonOf = (body: { reason?: unknown }, what: string) => {
    const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
    if (!reason) throw new HttpError(400, 'E0010', `reason: 请填写${what}原因`, 'reason');
    if (reason.length > 200) throw new HttpError(400, 'E0010', 'reason: 原因不超过200字', 'reason');
    return reason;
  };
  const handle = (fn: (ctx: Context) => Promise<unknown>) => async (ctx: Context, _next: Next) => {
    try {
      ctx.body = await fn(ctx);
    } catch (e) {
      sendError(ctx, e);
    }
  };
  const ref = (b: BillRow) => findBill(api, b.hospital_id, b.bill_batch_code, b.bill_no);
  const operator = (ctx: Context) => (ctx.state.user as SessionUser).displayName;

  router.get('/api/bills/:id/paper', auth, handle(async (ctx) => {
    const b = await loadBill(ctx);
    const next = await nextPaperForm(em(), b.place_id, { billKindId: Number(b.bill_kind_id) });
    const forms = await formsOfBill(em(), b.id);
    const jobs = await printJobsOfBill(em(), b.id);
    return {
      state: b.paper_state,
      pBillBatchCode: b.paper_bill_batch_code,
      pBillNo: b.paper_bill_no,
      placeCode: b.place_code,
      next: next ? { pBillBatchCode: next.p_bill_batch_code, pBillNo: paperNo(Number(next.next_no)) } : null,
      forms: forms.map((f) => ({ pBillBatchCode: f.p_bill_batch_code, pBillNo: f.p_bill_no, state: f.state, operator: f.operator, printedAt: dbIso(f.printed_at), voidReason: f.void_reason, voidedBy: f.voided_by, voidedAt: dbIso(f.voided_at) })),
      printJobs: jobs.map((j) => ({ jobId: j.job_id, kind: j.kind, printer: j.printer, state: j.state, attempts: Number(j.attempts), lastError: j.last_error, createdAt: dbIso(j.created_at), printedAt: dbIso(j.printed_at) })),
      workflowUrl: workflowUrl(api, paperWorkflowId({ billBatchCode: b.bill_batch_code, billNo: b.bill_no })),
    };
  }));

  router.post('/api/bills/:id/paper/exchange', auth, requirePermission('paper:act'), handle(async (ctx) => {
    const b = await loadBill(ctx);
    const body = (await readJson(ctx)) as { pBillBatchCode?: unknown };
    const code = typeof body.pBillBatchCode === 'string' && body.pBillBatchCode ? body.pBillBatchCode : undefined;
    return runPaperOp(api, await ref(b), { op: 'exchange', placeCode: b.place_code, operator: operator(ctx), pBillBatchCode: code });
  }));

  router.post('/api/bills/:id/paper/re-exchange', auth, requirePermission('paper:act'), handle(async (ctx) => {
    const b = await loadBill(ctx);
    const reason = reasonOf((await readJson(ctx)) as { reason?: unknown }, '重新换开');
    // Name the form: a double click then re-exchanges once (the second call finds the bill on it).
    const next = await nextPaperForm(em(), b.place_id, { billKindId: Number(b.bill_kind_id) });
    if (!next) throw new HttpError(409, 'E0023', `开票点 ${b.place_code} 没有可用的纸质票据`);
    return runPaperOp(api, await ref(b), { op: 'reexchange', placeCode: b.place_code, operator: operator(ctx), reason, pBillBatchCode: next.p_bill_batch_code, pBillNo: paperNo(Number(next.next_no)) });
  }));

  router.post('/api/bills/:id/paper/void', auth, requirePermission('paper:act'), handle(async (ctx) => {
    const b = await loadBill(ctx);
    const reason = reasonOf((await readJson(ctx)) as { reason?: unknown }, '作废');
    if (b.paper_state !== 'exchanged' || !b.paper_bill_batch_code || !b.paper_bill_no) throw new HttpError(409, 'E0031', '该票据未换开纸质票据');
    return runPaperOp(api, await ref(b), { op: 'void', placeCode: b.place_code, operator: operator(ctx), reason, pBillBatchCode: b.paper_bill_batch_code, pBillNo: b.paper_bill_no });
  }));

  router.post('/api/bills/:id/print-layout', auth, requirePermission('paper:act'), handle(async (ctx) => {
    const b = await loadBill(ctx);
    return runPaperOp(api, await ref(b), { op: 'printLayout', placeCode: b.place_code, operator: operator(ctx) });
  }));

  router.get('/api/paper/stock', auth, requirePermission('menu:paper'), handle(async (ctx) => {
    const q = typeof ctx.query.placeCode === 'string' && ctx.query.placeCode ? ctx.query.placeCode : undefined;
    const placeCode = placeFilter(ctx.state.user as SessionUser, q);
    const segs = await paperStock(em(), placeCode);
    const segments = [];
    for (const s of segs) {
      const used = await usedNumbersOfSegment(em(), s.id);
      const count = (st: string) => used.filter((u) => u.state === st).length;
      const unused = Number(s.end_no) - Number(s.start_no) + 1 - used.length;
      segments.push({
        id: Number(s.id),
        placeCode: s.place_code,
        placeName: s.place_name,
        pBillBatchCode: s.p_bill_batch_code,
        name: s.name,
        billKindCode: s.kind_code,
        billKindName: s.kind_name,
        startNo: paperNo(Number(s.start_no)),
        endNo: paperNo(Number(s.end_no)),
        nextNo: Number(s.next_no) <= Number(s.end_no) ? paperNo(Number(s.next_no)) : null,
        status: s.status,
        printed: count('printed'),
        voided: count('voided'),
        blankVoided: count('blank_voided'),
        unused,
        numbers: used.map((u) => ({
          pBillNo: u.p_bill_no,
          state: u.state,
          billId: u.bill_id ? Number(u.bill_id) : null,
          billBatchCode: u.bill_batch_code,
          billNo: u.bill_no,
          operator: u.operator,
          printedAt: dbIso(u.printed_at),
          voidReason: u.void_reason,
          voidedBy: u.voided_by,
          voidedAt: dbIso(u.voided_at),
        })),
      });
    }
    return { segments };
  }));

  router.post('/api/paper/blank-void', auth, requirePermission('paper:act'), handle(async (ctx) => {
    const body = (await readJson(ctx)) as Record<string, unknown>;
    const s = (f: string, label: string) => {
      const v = typeof body[f] === 'number' ? String(body[f]) : typeof body[f] === 'string' ? (body[f] as string).trim() : '';
      if (!v) throw new HttpError(400, 'E0010', `${f}: 请填写${label}`, f);
      return v;
    };
    const placeCode = s('placeCode', '开票点');
    checkPlace(ctx, placeCode);
    const pBillBatchCode = s('pBillBatchCode', '纸质票据代码');
    const start = s('pBillNoStart', '起始号码');
    const end = s('pBillNoEnd', '终止号码');
    if (!/^\d{1,10}$/.test(start)) throw new HttpError(400, 'E0010', 'pBillNoStart: 号码必须是数字', 'pBillNoStart');
    if (!/^\d{1,10}$/.test(end)) throw new HttpError(400, 'E0010', 'pBillNoEnd: 号码必须是数字', 'pBillNoEnd');
    const reason = reasonOf(body, '作废');
    const hospitalId = await hospitalOfPoint(em(), placeCode);
    if (hospitalId === undefined) throw new HttpError(400, 'E0020', `placeCode: 开票点 ${placeCode} 不存在`, 'placeCode');
    const r = await voidBlankRange(api.deps, { hospitalId, placeCode, pBillBatchCode, start: Number(start), end: Number(end), author: operator(ctx), reason });
    return { placeCode, pBillBatchCode, pBillNoStart: paperNo(Number(start)), pBillNoEnd: paperNo(Number(end)), count: r.count, repeated: r.repeated, nextPBillNo: r.nextPBillNo };
  }));
}
