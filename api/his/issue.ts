/**
 * Issuance through the HIS interface: validate at once, then update-with-start the bill's
 * workflow and answer with the bill as soon as it is stored. The same busNo again answers with
 * the same bill; the same busNo with other content is refused.
 */
import { DomainError } from '../../common/errors';
import { isUniqueViolation } from '../../orm/errors';
import { Bill } from '../../orm/entities';
import { parseIssueDraft, type IssueDraft } from '../../domain/bill/issue-request';
import { billContent, contentHash, firstDifference, type BillContent } from '../../domain/bill/request-content';
import { h5Url } from '../../domain/bill/facts';
import { toIssued, type IssuedBill } from '../../services/issuance';
import { issueUpdate } from '../../temporal/messages';
import { startOperation } from '../../temporal/workflow-types';
import { billStateAttribute } from '../../temporal/search-attributes';
import type { ApiContext } from '../context';
import { billWorkflowId } from '../../temporal/ids';
import { updateWithStart } from '../../temporal/update-with-start';
import { insertReceivedRequest, replaceRejectedRequest, requestHashOf, storedRequest } from '../../orm/repositories/issue-requests';

export async function issueAnswer(api: ApiContext, bill: IssuedBill) {
  return {
    billBatchCode: bill.billBatchCode,
    billNo: bill.billNo,
    random: bill.random,
    createTime: bill.createTime,
    billQRCode: await api.deps.layout.qrBase64(bill.h5Url),
    pictureUrl: bill.h5Url,
    pictureNetUrl: h5Url(api.deps.cfg.server.publicUrl, bill),
  };
}

export async function issueViaHis(api: ApiContext, appid: string, method: string, business: Record<string, unknown>) {
  const draft = parseIssueDraft(method, business, api.deps.cfg.his);
  const stored = await storeRequest(api, appid, method, draft, business);
  if (stored.billId) {
    const bill = await api.deps.orm.em.fork().findOneOrFail(Bill, stored.billId, { populate: ['place'] });
    return issueAnswer(api, toIssued(api.deps, bill, bill.place.code));
  }

  const start = startOperation('issueBillWorkflow', {
    workflowId: billWorkflowId(appid, draft.busNo),
    taskQueue: api.taskQueue,
    args: [{ appid, busNo: draft.busNo }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: {
      BusNo: [draft.busNo],
      PlaceCode: [draft.placeCode],
      BusType: [draft.busType],
      PatientNo: [draft.patientNo],
      ...billStateAttribute('issuing'),
    },
  });
  const bill = await updateWithStart(api, issueUpdate, start, { message: `busNo: 业务流水号 ${draft.busNo} 仍在开票中，请用同一 busNo 再次调用取得票据`, field: 'busNo' });
  return issueAnswer(api, bill);
}

/**
 * Stores the request (the durable record of what the HIS asked, kept as first sent) or checks a
 * repeat against the stored one by its bill content (domain/bill/request-content.ts), so that a
 * rebuilt retry (new busDateTime, field order, 36.3 for "36.30", new noise) gets its bill: same
 * content -> go on (answer with the bill if there is one); other content -> refused naming the
 * first differing field, unless the first request was refused, which a corrected request may replace.
 * payload_hash holds the content hash; rows stored before it (and reissue requests, which
 * services/lifecycle.ts stores with the raw-payload hash) are compared by re-deriving the content
 * of their stored payload.
 */
async function storeRequest(api: ApiContext, appid: string, method: string, draft: IssueDraft, business: Record<string, unknown>): Promise<{ billId?: number }> {
  const busNo = draft.busNo;
  const content = billContent(draft);
  const hash = contentHash(content);
  const db = api.deps.orm.em;
  let req = await requestHashOf(db, appid, busNo);
  if (!req) {
    try {
      await insertReceivedRequest(db, { appid, busNo, method, hash, payload: JSON.stringify(business) });
      return {};
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      req = (await requestHashOf(db, appid, busNo))!; // a concurrent retry stored it first
    }
  }
  if (req.payload_hash === hash) return { billId: req.bill_id ?? undefined };
  const storedContent = await loadStoredContent(api, req.id);
  if (storedContent && contentHash(storedContent) === hash) return { billId: req.bill_id ?? undefined };
  if (req.status === 'rejected') {
    if (await replaceRejectedRequest(db, req.id, req.payload_hash, { method, hash, payload: JSON.stringify(business) })) return {};
  }
  const billText = req.bill_id ? await billLabel(api, req.bill_id) : '';
  const field = storedContent && firstDifference(storedContent, content);
  throw new DomainError('E0012', `busNo: 业务流水号 ${busNo} ${billText || '已被使用'}，本次请求内容不同${field ? `（首个不同字段：${field}）` : ''}，请使用新的 busNo`, 'busNo');
}

/** The stored request's content, re-derived from its payload (undefined if it no longer parses). */
async function loadStoredContent(api: ApiContext, requestId: number): Promise<BillContent | undefined> {
  const row = await storedRequest(api.deps.orm.em, requestId);
  if (!row) return undefined;
  try {
    return billContent(parseIssueDraft(row.method, JSON.parse(row.payload) as Record<string, unknown>, api.deps.cfg.his));
  } catch {
    return undefined;
  }
}

async function billLabel(api: ApiContext, billId: number): Promise<string> {
  const bill = await api.deps.orm.em.fork().findOne(Bill, billId);
  return bill ? `已用于票据 ${bill.billBatchCode}-${bill.billNo}` : '';
}
