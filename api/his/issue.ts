/**
 * Issuance through the HIS interface: validate at once, then update-with-start the bill's
 * workflow and answer with the bill as soon as it is stored. The same busNo again answers with
 * the same bill; the same busNo with other content is refused.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { DomainError } from '../../common/errors';
import { isUniqueViolation } from '../../orm/errors';
import { Bill } from '../../orm/entities';
import { parseIssueDraft, payloadHash } from '../../domain/bill/issue-request';
import { h5Url } from '../../domain/bill/facts';
import { toIssued, type IssuedBill } from '../../services/issuance';
import { issueBillWorkflow, issueUpdate } from '../../workflows/issue-bill';
import { billStateAttribute } from '../../temporal/search-attributes';
import type { ApiContext } from '../context';
import { billWorkflowId } from '../../temporal/ids';
import { updateWithStart } from '../../temporal/update-with-start';

export async function issueAnswer(api: ApiContext, bill: IssuedBill) {
  return {
    billBatchCode: bill.billBatchCode,
    billNo: bill.billNo,
    random: bill.random,
    createTime: bill.createTime,
    billQRCode: await api.deps.layout.qrBase64(bill.h5Url),
    pictureUrl: bill.h5Url,
    pictureNetUrl: h5Url(api.deps.cfg.publicUrl, bill),
  };
}

export async function issueViaHis(api: ApiContext, appid: string, method: string, business: Record<string, unknown>) {
  const draft = parseIssueDraft(method, business);
  const hash = payloadHash(business);
  const stored = await storeRequest(api, appid, method, draft.busNo, hash, business);
  if (stored.billId) {
    const bill = await api.deps.orm.em.fork().findOneOrFail(Bill, stored.billId, { populate: ['place'] });
    return issueAnswer(api, toIssued(api.deps, bill, bill.place.code));
  }

  const start = new WithStartWorkflowOperation(issueBillWorkflow, {
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
  const bill = await updateWithStart(api, issueUpdate, start, { message: `busNo: issuance of ${draft.busNo} is still in progress; call again with the same busNo to get the bill`, field: 'busNo' });
  return issueAnswer(api, bill);
}

/**
 * Stores the request (the durable record of what the HIS asked) or checks a repeat against the
 * stored one: same content -> go on (answer with the bill if there is one); other content -> refused,
 * unless the first request was refused, which a corrected request may replace.
 */
async function storeRequest(api: ApiContext, appid: string, method: string, busNo: string, hash: string, business: Record<string, unknown>): Promise<{ billId?: number }> {
  const conn = api.deps.orm.em.getConnection();
  const now = api.deps.orm.em.getPlatform().processDateProperty(new Date());
  const find = () =>
    conn.execute<Array<{ id: number; payload_hash: string; status: string; bill_id: number | null }>>(
      'select id, payload_hash, status, bill_id from issue_request where appid = ? and bus_no = ?',
      [appid, busNo],
    );
  let [req] = await find();
  if (!req) {
    try {
      await conn.execute(
        `insert into issue_request (appid, bus_no, method, payload_hash, payload, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'received', ?, ?)`,
        [appid, busNo, method, hash, JSON.stringify(business), now, now],
        'run',
      );
      return {};
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      [req] = await find(); // a concurrent retry stored it first
    }
  }
  if (req.payload_hash === hash) return { billId: req.bill_id ?? undefined };
  if (req.status === 'rejected') {
    const res = await conn.execute<{ affectedRows: number }>(
      `update issue_request set method = ?, payload_hash = ?, payload = ?, status = 'received', error_code = null, error_message = null, updated_at = ?
       where id = ? and status = 'rejected' and payload_hash = ?`,
      [method, hash, JSON.stringify(business), now, req.id, req.payload_hash],
      'run',
    );
    if (res.affectedRows === 1) return {};
  }
  const billText = req.bill_id ? await billLabel(api, req.bill_id) : '';
  throw new DomainError('E0012', `busNo: ${busNo} was already used${billText} with different content; use a new busNo`, 'busNo');
}

async function billLabel(api: ApiContext, billId: number): Promise<string> {
  const bill = await api.deps.orm.em.fork().findOne(Bill, billId);
  return bill ? ` for bill ${bill.billBatchCode}-${bill.billNo}` : '';
}
