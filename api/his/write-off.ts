/**
 * writeOffEBill: reverses a whole bill with a red bill (INTERFACES.md §1). The HIS and the
 * console both come here; the write-off workflow does the work, so concurrent or repeated calls
 * for one bill make one red bill.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { DomainError, fieldError } from '../../common/errors';
import { Bill } from '../../orm/entities';
import { validBusDateTime } from '../../domain/bill/issue-request';
import { h5Url } from '../../domain/bill/facts';
import { writeOffWorkflowId } from '../../services/reversal';
import { partialRefundUpdate, refundSpecKey, writeOffUpdate, writeOffWorkflow } from '../../workflows/write-off';
import type { RefundSpec } from '../../domain/bill/reissue-plan';
import type { IssuedBill } from '../../services/issuance';
import { parseYuan } from '../../common/money';
import { billStateAttribute } from '../../temporal/search-attributes';
import type { ApiContext } from '../context';
import { updateWithStart } from './issue';

export interface WriteOffRequest {
  hospitalId: number;
  billBatchCode: string;
  billNo: string;
  placeCode: string;
  reason: string;
  operator: string;
}

const str = (o: Record<string, unknown>, f: string, max: number): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, 'is required');
  if (v.length > max) throw fieldError(f, `must be at most ${max} characters`);
  return v.trim();
};

async function findOriginal(api: ApiContext, req: WriteOffRequest): Promise<Bill> {
  const original = await api.deps.orm.em.fork().findOne(Bill, { billBatchCode: req.billBatchCode, billNo: req.billNo }, { populate: ['place'] });
  if (!original || original.hospital.id !== req.hospitalId) {
    throw new DomainError('E0030', `billNo: no bill ${req.billBatchCode}-${req.billNo} issued by this hospital`, 'billNo');
  }
  if (original.isScarlet) throw new DomainError('E0031', `billNo: ${req.billBatchCode}-${req.billNo} is a red bill; a red bill cannot be reversed`, 'billNo');
  const place = await api.deps.master.lookup(req.hospitalId, (h) => h.places.get(req.placeCode));
  if (!place) throw fieldError('placeCode', `unknown billing point "${req.placeCode}"`, 'E0020');
  return original;
}

function startReversal(api: ApiContext, original: Bill, req: WriteOffRequest, reissue?: RefundSpec) {
  return new WithStartWorkflowOperation(writeOffWorkflow, {
    workflowId: writeOffWorkflowId(original),
    taskQueue: api.taskQueue,
    args: [
      {
        billId: original.id,
        placeCode: req.placeCode,
        reason: req.reason,
        operator: req.operator,
        reissue,
        requestedAt: new Date().toISOString(),
        paperRemindAfterMs: api.deps.cfg.paperRemindAfterMs,
      },
    ],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: {
      BusNo: [original.busNo],
      PlaceCode: [req.placeCode],
      BusType: [original.busType],
      PatientNo: [original.patientNo],
      ...billStateAttribute('reversing'),
    },
  });
}

async function scarletAnswer(api: ApiContext, red: IssuedBill) {
  return {
    eScarletBillBatchCode: red.billBatchCode,
    eScarletBillNo: red.billNo,
    eScarletRandom: red.random,
    createTime: red.createTime,
    billQRCode: await api.deps.layout.qrBase64(red.h5Url),
    pictureUrl: red.h5Url,
    pictureNetUrl: h5Url(api.deps.cfg.publicUrl, red),
  };
}

/**
 * Partial refund (medbill extension of the HIS interface): reverses the bill and reissues it minus
 * the refund in one process. Answers with the red bill and the reissue: issued, or blocked with the
 * reason (the process then waits for a person in the console's to-do list).
 */
export async function partialRefund(api: ApiContext, req: WriteOffRequest, spec: RefundSpec) {
  const original = await findOriginal(api, req);
  const start = startReversal(api, original, req, spec);
  const r = await updateWithStart(
    api,
    partialRefundUpdate,
    start,
    `billNo: the partial refund of ${req.billBatchCode}-${req.billNo} is still in progress; call again with the same content to get the result`,
    'billNo',
    { specKey: refundSpecKey(spec) },
  );
  const re = r.reissue;
  return {
    ...(await scarletAnswer(api, r.red)),
    reissueState: re.state,
    reissue: re.bill
      ? {
          busNo: re.plan?.busNo,
          billBatchCode: re.bill.billBatchCode,
          billNo: re.bill.billNo,
          random: re.bill.random,
          createTime: re.bill.createTime,
          totalAmt: re.plan?.totalAmt,
          billQRCode: await api.deps.layout.qrBase64(re.bill.h5Url),
          pictureUrl: re.bill.h5Url,
          pictureNetUrl: h5Url(api.deps.cfg.publicUrl, re.bill),
        }
      : { busNo: re.plan?.busNo, totalAmt: re.plan?.totalAmt, reason: re.error?.message },
  };
}

export async function writeOff(api: ApiContext, req: WriteOffRequest) {
  const original = await findOriginal(api, req);
  const start = startReversal(api, original, req);
  const red = await updateWithStart(api, writeOffUpdate, start, `billNo: the reversal of ${req.billBatchCode}-${req.billNo} is still in progress; call again to get the red bill`, 'billNo');
  return scarletAnswer(api, red);
}

/** writeOffEBill's business fields (shared by partialRefundEBill), checked and named on error. */
async function writeOffFields(api: ApiContext, appid: string, o: Record<string, unknown>): Promise<WriteOffRequest> {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: unknown application ${appid}`, 'appid');
  const busDateTime = str(o, 'busDateTime', 17);
  if (!validBusDateTime(busDateTime)) throw fieldError('busDateTime', 'must be a valid time as yyyyMMddHHmmssSSS');
  return {
    hospitalId: app.hospitalId,
    billBatchCode: str(o, 'billBatchCode', 8),
    billNo: str(o, 'billNo', 10),
    placeCode: str(o, 'placeCode', 32),
    reason: str(o, 'reason', 200),
    operator: str(o, 'operator', 64),
  };
}

export async function writeOffEBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  return writeOff(api, await writeOffFields(api, appid, o));
}

/** refundAmt (yuan) or refundDetail[{sortNo, amt}], and optionally refundChannelCode, as a RefundSpec. */
export function parseRefundSpec(o: Record<string, unknown>): RefundSpec {
  const spec: RefundSpec = {};
  const yuan = (v: unknown, field: string) => {
    const f = parseYuan(v);
    if (f === undefined || f <= 0) throw fieldError(field, `must be an amount in yuan greater than 0 with at most 2 decimal places, got ${JSON.stringify(v)}`);
    return f;
  };
  if (o.refundDetail !== undefined && o.refundDetail !== null) {
    if (!Array.isArray(o.refundDetail) || !o.refundDetail.length) throw fieldError('refundDetail', 'must be a non-empty list of {sortNo, amt}');
    if (o.refundDetail.length > 500) throw fieldError('refundDetail', 'at most 500 entries');
    spec.items = o.refundDetail.map((r, i) => {
      const row = (r ?? {}) as Record<string, unknown>;
      const sortNo = Number(row.sortNo);
      if (!Number.isInteger(sortNo)) throw fieldError(`refundDetail[${i}].sortNo`, 'must be the sortNo of a charge line of the bill');
      return { sortNo, amt: yuan(row.amt, `refundDetail[${i}].amt`) };
    });
  } else if (o.refundAmt !== undefined && o.refundAmt !== null && o.refundAmt !== '') {
    spec.amount = yuan(o.refundAmt, 'refundAmt');
  } else {
    throw fieldError('refundAmt', 'is required (or refundDetail): the amount refunded');
  }
  if (o.refundChannelCode !== undefined && o.refundChannelCode !== null && o.refundChannelCode !== '') spec.channelCode = str(o, 'refundChannelCode', 8);
  return spec;
}

/** partialRefundEBill (medbill extension): writeOffEBill's fields plus refundAmt / refundDetail / refundChannelCode. */
export async function partialRefundEBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const req = await writeOffFields(api, appid, o);
  return partialRefund(api, req, parseRefundSpec(o));
}
