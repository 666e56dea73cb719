/**
 * The console's 上传管理 (fiscal upload) API. Finance, admins and auditors read it; finance and
 * admins act (重新上传 a rejected bill, 立即上传 / 立即查询入账 trigger the Schedules). Cashiers get
 * 403: the upload is a back-office matter; they see a bill's upload state and reason on its page.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { formatYuan } from '../../common/money';
import { Bill, FiscalUploadBatch } from '../../orm/entities';
import { triggerSchedule } from '../../temporal/schedules';
import { FISCAL_ACCOUNT_SCHEDULE, FISCAL_UPLOAD_SCHEDULE } from '../../temporal/schedules';
import { HttpError, readJson, sendError } from '../http';
import type { ApiContext } from '../context';
import { requirePermission, requireUser, type SessionUser } from './auth';
import { workflowUrl } from '../../temporal/ids';
import { recordBillEvent } from '../../orm/repositories/bill-events';
import { requeueRejectedBill, uploadSummaryCounts } from '../../orm/repositories/upload';

export const UPLOAD_STATES: Record<string, string> = { pending: '待上传', uploaded: '已上传', rejected: '被拒收' };

async function scheduleInfo(api: ApiContext, id: string) {
  try {
    const d = await api.client.schedule.getHandle(id).describe();
    const last = d.info.recentActions[d.info.recentActions.length - 1];
    return {
      id,
      paused: d.state.paused,
      running: d.info.runningActions.length > 0,
      lastRunAt: last?.takenAt?.toISOString(),
      lastWorkflowId: last?.action.workflow.workflowId,
      lastWorkflowUrl: last ? workflowUrl(api, last.action.workflow.workflowId) : undefined,
      nextRunAt: d.info.nextActionTimes[0]?.toISOString(),
      skippedOverlap: d.info.numActionsSkippedOverlap,
    };
  } catch (e) {
    return { id, error: `E0073 无法读取调度 ${id}：${(e as Error).message}` };
  }
}

export function mountUploadRoutes(router: Router, api: ApiContext): void {
  const auth = requireUser(api);
  const readers = requirePermission('menu:upload');
  const actors = requirePermission('upload:act');

  router.get('/api/upload/summary', auth, readers, async (ctx: Context) => {
    try {
      const em = api.deps.orm.em.fork();
      const summary = await uploadSummaryCounts(em);
      const counts: Record<string, number> = { pending: 0, uploaded: 0, rejected: 0, ...summary.states };
      const batches = await em.find(FiscalUploadBatch, {}, { orderBy: { id: 'desc' }, limit: 10 });
      const [upload, account] = await Promise.all([scheduleInfo(api, FISCAL_UPLOAD_SCHEDULE.id), scheduleInfo(api, FISCAL_ACCOUNT_SCHEDULE.id)]);
      ctx.body = {
        counts: { ...counts, held: summary.held },
        accounting: { accounted: summary.accounted, notAccounted: summary.uploaded - summary.accounted },
        schedules: { upload, account },
        batches: batches.map((b) => ({
          batchNo: b.batchNo,
          state: b.state,
          billCount: b.billCount,
          acceptedCount: b.acceptedCount,
          rejectedCount: b.rejectedCount,
          attempts: b.attempts,
          lastError: b.lastError,
          createdAt: b.createdAt.toISOString(),
          updatedAt: b.updatedAt.toISOString(),
          finishedAt: b.finishedAt?.toISOString(),
          workflowUrl: b.workflowId ? workflowUrl(api, b.workflowId) : undefined,
        })),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  router.get('/api/upload/bills', auth, readers, async (ctx: Context) => {
    try {
      const state = String(ctx.query.state ?? 'rejected');
      if (!['rejected', 'pending', 'uploaded'].includes(state)) throw new HttpError(400, 'E0010', 'state: 须为 rejected、pending 或 uploaded', 'state');
      const page = Math.max(1, Number(ctx.query.page ?? 1) || 1);
      const pageSize = Math.min(200, Math.max(1, Number(ctx.query.pageSize ?? 50) || 50));
      const [bills, total] = await api.deps.orm.em.fork().findAndCount(
        Bill,
        { uploadState: state },
        { populate: ['place'], orderBy: { id: state === 'uploaded' ? 'desc' : 'asc' }, limit: pageSize, offset: (page - 1) * pageSize },
      );
      ctx.body = {
        total,
        page,
        pageSize,
        items: bills.map((b) => ({
          id: b.id,
          billBatchCode: b.billBatchCode,
          billNo: b.billNo,
          payer: b.payer,
          placeCode: b.place.code,
          totalAmt: formatYuan(b.totalAmt),
          issuedAt: b.issuedAt.toISOString(),
          state: b.state,
          isScarlet: b.isScarlet,
          uploadState: b.uploadState,
          uploadReason: b.uploadReason,
          uploadBatchNo: b.uploadBatchNo,
          uploadAttempts: b.uploadAttempts,
          uploadedAt: b.uploadedAt?.toISOString(),
          uploadRequeuedBy: b.uploadRequeuedBy,
          uploadRequeuedAt: b.uploadRequeuedAt?.toISOString(),
          accounted: b.accounted,
          accountedAt: b.accountedAt?.toISOString(),
        })),
      };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  // 重新上传: rejected bills back to pending (who and when on the bill and its timeline); the next run sends them.
  router.post('/api/upload/requeue', auth, actors, async (ctx: Context) => {
    try {
      const body = (await readJson(ctx)) as { billIds?: unknown };
      const ids = Array.isArray(body.billIds) ? body.billIds.map(Number) : [];
      if (!ids.length || ids.length > 500 || ids.some((id) => !Number.isInteger(id) || id < 1)) {
        throw new HttpError(400, 'E0010', 'billIds: 须为 1 至 500 个票据 ID', 'billIds');
      }
      const user = ctx.state.user as SessionUser;
      const { requeued, refused } = await api.deps.orm.em.fork().transactional(async (sql) => {
        const at = new Date();
        const requeued: number[] = [];
        const refused: number[] = [];
        for (const id of [...new Set(ids)]) {
          if (!(await requeueRejectedBill(sql, id, user.displayName, at))) {
            refused.push(id);
            continue;
          }
          requeued.push(id);
          await recordBillEvent(sql, { billId: id, type: 'upload_requeued', actor: user.displayName, detail: '被拒收的票据重新排入上传队列', at });
        }
        return { requeued, refused };
      });
      if (!requeued.length) throw new HttpError(409, 'E0072', `billIds: 只有被拒收的票据可以重新上传（${refused.join(', ')}）`, 'billIds');
      ctx.body = { requeued, refused };
    } catch (e) {
      sendError(ctx, e);
    }
  });

  const runNow = (scheduleId: string) => async (ctx: Context) => {
    try {
      try {
        await triggerSchedule(api.client, scheduleId);
      } catch (e) {
        throw new HttpError(503, 'E0073', `无法立即启动 ${scheduleId}：${(e as Error).message}`);
      }
      ctx.status = 202;
      ctx.body = { ok: true, scheduleId };
    } catch (e) {
      sendError(ctx, e);
    }
  };
  // 立即上传 / 立即查询入账: run the Schedule's action now (skipped if a run is still going: it catches up everything anyway).
  router.post('/api/upload/run', auth, actors, runNow(FISCAL_UPLOAD_SCHEDULE.id));
  router.post('/api/upload/account/run', auth, actors, runNow(FISCAL_ACCOUNT_SCHEDULE.id));
}
