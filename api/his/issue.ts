/**
 * Issuance through the HIS interface: validate at once, then update-with-start the bill's
 * workflow and answer with the bill as soon as it is stored. The same busNo again answers with
 * the same bill; the same busNo with other content is refused.
 */
import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from '../../common/errors';
import { Bill, IssueRequest } from '../../orm/entities';
import { parseIssueDraft, payloadHash } from '../../activities/issue/draft';
import { billWorkflowId, h5Url } from '../../activities/issue/bill-facts';
import { toIssued, type IssuedBill } from '../../activities/issue/issue-bill';
import { qrPngBase64 } from '../../activities/layout/qr';
import { issueBillWorkflow, issueUpdate } from '../../workflows/issue-bill';
import type { ApiContext } from '../context';

export async function issueAnswer(api: ApiContext, bill: IssuedBill) {
  return {
    billBatchCode: bill.billBatchCode,
    billNo: bill.billNo,
    random: bill.random,
    createTime: bill.createTime,
    billQRCode: await qrPngBase64(bill.h5Url),
    pictureUrl: bill.h5Url,
    pictureNetUrl: h5Url(api.deps.cfg.publicUrl, bill),
  };
}

export async function issueViaHis(api: ApiContext, appid: string, method: string, business: Record<string, unknown>) {
  const draft = parseIssueDraft(method, business);
  const hash = payloadHash(business);
  const em = api.deps.orm.em.fork();

  const existing = await em.findOne(Bill, { appid, busNo: draft.busNo }, { populate: ['place'] });
  if (existing) {
    const req = await em.findOne(IssueRequest, { appid, busNo: draft.busNo });
    if (req && req.payloadHash !== hash) throw sameBusNoOtherContent(draft.busNo, existing);
    return issueAnswer(api, toIssued(api.deps, existing, existing.place.code));
  }
  await storeRequest(api, appid, method, draft.busNo, hash, business);

  const workflowId = billWorkflowId(appid, draft.busNo);
  const start = new WithStartWorkflowOperation(issueBillWorkflow, {
    workflowId,
    taskQueue: api.taskQueue,
    args: [{ appid, busNo: draft.busNo }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: {
      BusNo: [draft.busNo],
      PlaceCode: [draft.placeCode],
      BusType: [draft.busType],
      PatientNo: [draft.patientNo],
      BillState: ['issuing'],
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DomainError('E0050', `busNo: issuance of ${draft.busNo} is still in progress; call again with the same busNo to get the bill`, 'busNo')),
      api.deps.cfg.issueTimeoutMs,
    );
  });
  try {
    const bill = await Promise.race([api.client.workflow.executeUpdateWithStart(issueUpdate, { startWorkflowOperation: start }), timeout]);
    return issueAnswer(api, bill);
  } catch (e) {
    throw toDomainError(e);
  } finally {
    clearTimeout(timer);
  }
}

function sameBusNoOtherContent(busNo: string, bill: { billBatchCode: string; billNo: string }) {
  return new DomainError('E0012', `busNo: ${busNo} was already used for bill ${bill.billBatchCode}-${bill.billNo} with different content; use a new busNo`, 'busNo');
}

/** Stores the request (the durable record of what the HIS asked), or checks it against the stored one. */
async function storeRequest(api: ApiContext, appid: string, method: string, busNo: string, hash: string, business: Record<string, unknown>) {
  const em = api.deps.orm.em.fork();
  try {
    em.create(IssueRequest, { appid, busNo, method, payloadHash: hash, payload: JSON.stringify(business), status: 'received', createdAt: new Date(), updatedAt: new Date() });
    await em.flush();
    return;
  } catch (e) {
    if (!(e instanceof UniqueConstraintViolationException)) throw e;
  }
  const fresh = api.deps.orm.em.fork();
  const req = await fresh.findOneOrFail(IssueRequest, { appid, busNo });
  if (req.payloadHash === hash) return;
  if (req.status === 'rejected') {
    // A refused request may be corrected and sent again under the same busNo.
    const n = await fresh.nativeUpdate(
      IssueRequest,
      { id: req.id, status: 'rejected', payloadHash: req.payloadHash },
      { method, payloadHash: hash, payload: JSON.stringify(business), status: 'received', errorCode: null, errorMessage: null, updatedAt: new Date() } as any,
    );
    if (n === 1) return;
  }
  throw new DomainError('E0012', `busNo: ${busNo} is already in use with different content; use a new busNo`, 'busNo');
}

export function toDomainError(e: unknown): unknown {
  if (e instanceof DomainError) return e;
  if (e instanceof WorkflowUpdateFailedError) {
    const cause = e.cause;
    if (cause instanceof ApplicationFailure && cause.type === 'DomainError') {
      const d = (cause.details?.[0] ?? {}) as { code?: DomainError['code']; message?: string; field?: string };
      return new DomainError(d.code ?? 'E9999', d.message ?? cause.message, d.field);
    }
  }
  return e;
}
