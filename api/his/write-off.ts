/**
 * writeOffEBill: reverses a whole bill with a red bill (INTERFACES.md §1). The HIS and the
 * console both come here; the write-off workflow does the work, so concurrent or repeated calls
 * for one bill make one red bill.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import { DomainError, fieldError } from '../../common/errors';
import { Bill } from '../../orm/entities';
import { validBusDateTime } from '../../activities/issue/draft';
import { h5Url } from '../../activities/issue/bill-facts';
import { writeOffWorkflowId } from '../../activities/writeoff/write-off';
import { writeOffUpdate, writeOffWorkflow } from '../../workflows/write-off';
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

export async function writeOff(api: ApiContext, req: WriteOffRequest) {
  const original = await api.deps.orm.em.fork().findOne(Bill, { billBatchCode: req.billBatchCode, billNo: req.billNo }, { populate: ['place'] });
  if (!original || original.hospital.id !== req.hospitalId) {
    throw new DomainError('E0030', `billNo: no bill ${req.billBatchCode}-${req.billNo} issued by this hospital`, 'billNo');
  }
  if (original.isScarlet) throw new DomainError('E0031', `billNo: ${req.billBatchCode}-${req.billNo} is a red bill; a red bill cannot be reversed`, 'billNo');
  const place = await api.deps.master.lookup(req.hospitalId, (h) => h.places.get(req.placeCode));
  if (!place) throw fieldError('placeCode', `unknown billing point "${req.placeCode}"`, 'E0020');
  const start = new WithStartWorkflowOperation(writeOffWorkflow, {
    workflowId: writeOffWorkflowId(original),
    taskQueue: api.taskQueue,
    args: [{ billId: original.id, placeCode: req.placeCode, reason: req.reason, operator: req.operator }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: {
      BusNo: [original.busNo],
      PlaceCode: [req.placeCode],
      BusType: [original.busType],
      PatientNo: [original.patientNo],
      BillState: ['reversing'],
    },
  });
  const red = await updateWithStart(api, writeOffUpdate, start, `billNo: the reversal of ${req.billBatchCode}-${req.billNo} is still in progress; call again to get the red bill`, 'billNo');
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

export async function writeOffEBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: unknown application ${appid}`, 'appid');
  const busDateTime = str(o, 'busDateTime', 17);
  if (!validBusDateTime(busDateTime)) throw fieldError('busDateTime', 'must be a valid time as yyyyMMddHHmmssSSS');
  return writeOff(api, {
    hospitalId: app.hospitalId,
    billBatchCode: str(o, 'billBatchCode', 8),
    billNo: str(o, 'billNo', 10),
    placeCode: str(o, 'placeCode', 32),
    reason: str(o, 'reason', 200),
    operator: str(o, 'operator', 64),
  });
}
