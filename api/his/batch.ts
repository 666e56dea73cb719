/**
 * invoiceEBillBatch (批量开具, medbill extension): up to MEDBILL_HIS_BATCH_MAX bills in one call,
 * `{ bills: [{ method, ...the method's fields }] }`. Each bill goes through exactly the path of its
 * single-bill method (issueViaHis: the stored request, the same busNo rules, numbering, signing,
 * layout and delivery), and the answer is per bill, in the order sent:
 * `{ total, issued, refused, results: [{ index, busNo, result, message }] }`, where `message` is
 * the single method's answer (S0000) or its refusal text. A refused bill does not stop the others;
 * the call is S0000 when the list itself is well formed. Sending the same list again (a new
 * envelope) answers the same bills: every bill is idempotent by its busNo.
 */
import { DomainError } from '../../common/errors';
import { isIssueMethod } from '../../domain/bill/issue-request';
import type { ApiContext } from '../context';
import { issueViaHis } from './issue';

/** Bills issued at once from one batch: the issuing transactions queue on the billing point's row anyway. */
const PARALLEL = 4;

export interface BatchResult {
  index: number;
  busNo: string | null;
  result: string;
  message: unknown;
}

export async function invoiceEBillBatch(api: ApiContext, appid: string, business: Record<string, unknown>) {
  const max = api.deps.cfg.his.batchMax;
  const bills = business.bills;
  if (!Array.isArray(bills) || bills.length === 0) throw new DomainError('E0010', 'bills: 须为非空的票据列表 [{ method, ...开票字段 }]', 'bills');
  if (bills.length > max) throw new DomainError('E0010', `bills: 一次至多 ${max} 张票据（MEDBILL_HIS_BATCH_MAX），本次 ${bills.length} 张`, 'bills');
  const busNos = new Map<string, number>();
  for (const [i, b] of bills.entries()) {
    const busNo = b && typeof b === 'object' && typeof (b as { busNo?: unknown }).busNo === 'string' ? (b as { busNo: string }).busNo : undefined;
    if (busNo === undefined) continue;
    if (busNos.has(busNo)) throw new DomainError('E0010', `bills[${i}].busNo: 与 bills[${busNos.get(busNo)}] 的业务流水号 ${busNo} 重复`, `bills[${i}].busNo`);
    busNos.set(busNo, i);
  }

  const one = async (raw: unknown, index: number): Promise<BatchResult> => {
    const busNo = raw && typeof raw === 'object' && typeof (raw as { busNo?: unknown }).busNo === 'string' ? (raw as { busNo: string }).busNo : null;
    try {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DomainError('E0010', '须为对象 { method, ...开票字段 }');
      const { method, ...fields } = raw as Record<string, unknown>;
      if (typeof method !== 'string' || !isIssueMethod(method)) {
        throw new DomainError('E0040', `method: 须为开票方法 invEBillRegistration、invoiceEBillOutpatient、invEBillHospitalized 或 invEBillCheckUp，收到 "${String(method ?? '')}"`, 'method');
      }
      return { index, busNo, result: 'S0000', message: await issueViaHis(api, appid, method, fields) };
    } catch (e) {
      if (!(e instanceof DomainError)) throw e; // an internal error: the whole call answers E9999 and is retried with the same busNos
      // The field in front, as in a single call, under its place in the list: bills[2].chargeDetail[0].amt: ...
      return { index, busNo, result: e.code, message: e.field ? `bills[${index}].${e.message}` : `bills[${index}]: ${e.message}` };
    }
  };

  const results: BatchResult[] = new Array(bills.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < bills.length; i = next++) results[i] = await one(bills[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, bills.length) }, lane));
  const issued = results.filter((r) => r.result === 'S0000').length;
  return { total: bills.length, issued, refused: bills.length - issued, results };
}
