/**
 * The steps of the fiscal batch upload (workflows/fiscal-upload.ts; its activities: activities/fiscal.ts):
 *
 * 1. `nextUploadBatch`: the next pending bills of one hospital, in upload order (see upload-batch.ts).
 * 2. `uploadFiscalBatch`: sends them through `deps.fiscal.uploadBills` under a batch number derived
 *    from their content. `FiscalUnavailableError` (and anything unexpected) is thrown, so Temporal
 *    retries it with backoff; the attempt and the last error are written on the batch row first, so
 *    the console shows an outage while it lasts. A refusal of the whole batch (`FiscalRejectedError`)
 *    is not retried: it comes back as the batch's outcome.
 * 3. `recordUploadResults`: ONE transaction records every bill's result (uploaded / rejected with the
 *    reason) with its timeline event, and closes the batch row. A bill is only marked if it is still
 *    pending with the state that was sent: an original reversed meanwhile stays pending and goes
 *    again, as reversed. Recording twice changes nothing.
 *
 * A crash between 2 and 3 re-sends the same bills with the same content (the same batch number),
 * which the fiscal side accepts again idempotently: never a bill lost, never one bill sent with two
 * different contents except when the bill itself changed (reversed) in between.
 */
import { crashPoint } from '../../common/crash-points';
import { Bill } from '../../orm/entities';
import type { Deps } from '../deps';
import { FiscalRejectedError, FiscalUnavailableError, type UploadBill } from '../../adapters/fiscal/platform';
import { planUploadBatch, toUploadBill, uploadBatchNo, type UploadCandidate } from '../../adapters/fiscal/upload-batch';
import { recordBillEvent } from '../../orm/repositories/bill-events';
import { closeUploadBatch, nextUploadHospital, noteUploadAttempt, noteUploadError, recordBillUpload, uploadCandidatesOf } from '../../orm/repositories/upload';

export interface UploadBatchRef {
  hospitalId: number;
  hospitalCode: string;
  /** In upload order. */
  billIds: number[];
  /** Red bills held back because their original is not on the fiscal side (they stay pending). */
  held: number;
}

export interface UploadBillResult {
  billId: number;
  /** The bill state that was sent (normal | reversed): the result only applies to that content. */
  sentState: 'normal' | 'reversed';
  state: 'accepted' | 'rejected';
  reason?: string;
}

export type UploadOutcome =
  | { batchNo: string; results: UploadBillResult[] }
  /** The fiscal side refused the batch as a whole. */
  | { batchNo: string; batchRejected: { code: string; message: string }; billIds: number[]; sentStates: Array<'normal' | 'reversed'> };

export interface RecordedBatch {
  batchNo: string;
  accepted: number;
  rejected: number;
  /** Bills that changed while in flight (reversed meanwhile): still pending, they go again. */
  skipped: number;
}

const SYSTEM = 'system:fiscal-upload';

export async function nextUploadBatch(deps: Deps, input: { limit: number }): Promise<UploadBatchRef | null> {
  const em = deps.orm.em.fork();
  const hospitalId = await nextUploadHospital(em);
  if (hospitalId === undefined) return null;
  const rows = await uploadCandidatesOf(em, hospitalId, input.limit);
  const candidates: UploadCandidate[] = rows.map((r) => ({
    id: Number(r.id),
    isScarlet: !!Number(r.is_scarlet),
    relatedBillId: r.related_bill_id === null ? undefined : Number(r.related_bill_id),
    relatedUploadState: r.related_upload_state ?? undefined,
  }));
  const plan = planUploadBatch(candidates, input.limit);
  if (!plan.billIds.length) return null;
  return { hospitalId: Number(hospitalId), hospitalCode: rows[0].code, billIds: plan.billIds, held: plan.held.length };
}

/** The bills as they are now, in the given order. */
async function loadUploadBills(deps: Deps, billIds: number[]): Promise<Array<{ id: number; bill: UploadBill }>> {
  const em = deps.orm.em.fork();
  const bills = await em.find(Bill, { id: { $in: billIds } }, { populate: ['billKind'] });
  const relatedIds = bills.map((b) => b.relatedBillId).filter((x): x is number => !!x);
  const related = relatedIds.length ? await em.find(Bill, { id: { $in: relatedIds } }, { fields: ['id', 'billBatchCode', 'billNo'] }) : [];
  const byId = new Map(bills.map((b) => [b.id, b]));
  const relById = new Map(related.map((b) => [b.id, b]));
  return billIds
    .map((id) => byId.get(id))
    .filter((b): b is Bill => !!b)
    .map((b) => {
      const rel = b.relatedBillId ? relById.get(b.relatedBillId) : undefined;
      return {
        id: b.id,
        bill: toUploadBill({
          id: b.id,
          billBatchCode: b.billBatchCode,
          billNo: b.billNo,
          random: b.random,
          billKindCode: b.billKind.code,
          totalAmt: b.totalAmt,
          issuedAt: b.issuedAt,
          payer: b.payer,
          isScarlet: b.isScarlet,
          state: b.state,
          relatedBillBatchCode: rel?.billBatchCode,
          relatedBillNo: rel?.billNo,
          signedData: b.signedData,
          signature: b.signature,
        }),
      };
    });
}

/** Notes an attempt of a batch (a new row the first time), so the console sees it while the fiscal side is down. */
async function noteAttempt(deps: Deps, ref: UploadBatchRef, batchNo: string, billIds: number[], workflowId: string | undefined): Promise<void> {
  const em = deps.orm.em.fork();
  await em.transactional(async (tx) => {
    await noteUploadAttempt(tx, { batchNo, hospitalId: ref.hospitalId, billIds, workflowId });
  });
}

async function noteError(deps: Deps, batchNo: string, message: string): Promise<void> {
  await noteUploadError(deps.orm.em.fork(), batchNo, message);
}

/** What the caller learns while a batch is sent (the activity heartbeats with it). */
export interface UploadProgress {
  /** Called with the batch number right before the fiscal call. */
  onProgress?: (batchNo: string) => void;
}

export async function uploadFiscalBatch(deps: Deps, ref: UploadBatchRef & { workflowId?: string }, progress: UploadProgress = {}): Promise<UploadOutcome> {
  const loaded = await loadUploadBills(deps, ref.billIds);
  const bills = loaded.map((l) => l.bill);
  const billIds = loaded.map((l) => l.id);
  const sentStates = bills.map((b) => b.state);
  const batchNo = uploadBatchNo(ref.hospitalCode, bills);
  if (!bills.length) return { batchNo, results: [] };
  await noteAttempt(deps, ref, batchNo, billIds, ref.workflowId);
  // One heartbeat before the call: a worker that dies mid-upload is noticed after the heartbeat timeout, not the 2-minute one.
  progress.onProgress?.(batchNo);
  let answers;
  try {
    answers = await deps.fiscal.uploadBills(ref.hospitalCode, batchNo, bills);
  } catch (e) {
    if (e instanceof FiscalRejectedError) {
      return { batchNo, batchRejected: { code: e.code, message: e.message }, billIds, sentStates };
    }
    const what = e instanceof FiscalUnavailableError ? `E0070 财政平台不可用，稍后自动重试：${e.message}` : `E0070 上传失败，稍后自动重试：${(e as Error)?.message ?? e}`;
    await noteError(deps, batchNo, what).catch(() => undefined);
    throw e;
  }
  // Fault drill: the fiscal side has the batch, we have not recorded it yet.
  crashPoint(deps.cfg.server, 'after-upload');
  const byKey = new Map(answers.map((a) => [`${a.billBatchCode}-${a.billNo}`, a]));
  return {
    batchNo,
    results: loaded.map((l, i) => {
      const a = byKey.get(`${l.bill.billBatchCode}-${l.bill.billNo}`);
      if (!a) return { billId: l.id, sentState: sentStates[i], state: 'rejected' as const, reason: '财政平台未返回该票据的上传结果' };
      return { billId: l.id, sentState: sentStates[i], state: a.state, reason: a.state === 'rejected' ? a.reason || '财政平台拒收（未说明原因）' : undefined };
    }),
  };
}

export async function recordUploadResults(deps: Deps, input: { outcome: UploadOutcome; workflowId?: string }): Promise<RecordedBatch> {
  const { outcome } = input;
  const results: UploadBillResult[] =
    'results' in outcome
      ? outcome.results
      : outcome.billIds.map((billId, i) => ({
          billId,
          sentState: outcome.sentStates[i],
          state: 'rejected' as const,
          reason: `整批被拒（${outcome.batchRejected.code}）：${outcome.batchRejected.message}`,
        }));
  return deps.orm.em.fork().transactional(async (sql) => {
    const at = new Date();
    let accepted = 0;
    let rejected = 0;
    let skipped = 0;
    for (const r of results) {
      const ok = r.state === 'accepted';
      const recorded = await recordBillUpload(
        sql,
        ok ? { billId: r.billId, sentState: r.sentState, batchNo: outcome.batchNo, at, accepted: true } : { billId: r.billId, sentState: r.sentState, batchNo: outcome.batchNo, at, accepted: false, reason: r.reason ?? '' },
      );
      if (!recorded) {
        skipped++;
        continue;
      }
      if (ok) accepted++;
      else rejected++;
      await recordBillEvent(sql, {
        billId: r.billId,
        type: ok ? 'uploaded' : 'upload_rejected',
        actor: SYSTEM,
        detail: ok ? `批次 ${outcome.batchNo}${r.sentState === 'reversed' ? '（已冲红状态）' : ''}` : `批次 ${outcome.batchNo}；原因：${r.reason ?? ''}`,
        workflowId: input.workflowId,
        at,
      });
    }
    const batchRejected = 'batchRejected' in outcome;
    // Counts add up over re-recordings: the second time every conditional update above finds nothing to do.
    await closeUploadBatch(sql, {
      batchNo: outcome.batchNo,
      state: batchRejected ? 'rejected' : 'done',
      accepted,
      rejected,
      lastError: batchRejected ? `E0071 整批被拒（${outcome.batchRejected.code}）：${outcome.batchRejected.message}`.slice(0, 2000) : null,
      at,
    });
    return { batchNo: outcome.batchNo, accepted, rejected, skipped };
  });
}
