/**
 * Accounting status (入账) of uploaded bills, run by workflows/fiscal-upload.ts's
 * `fiscalAccountStatusWorkflow`: one batch of uploaded, not yet accounted bills (by id, after a
 * cursor), asked of the fiscal platform per hospital, stored in one transaction. Storing is
 * idempotent (only `accounted = 0` rows change). The fiscal side down throws (Temporal retries);
 * a refusal is returned so the run goes on with the next batch and the next run asks again.
 */
import type { Deps } from '../deps';
import { FiscalRejectedError } from '../../adapters/fiscal/platform';
import { recordBillEvent } from '../../orm/repositories/bill-events';
import { markAccountChecked, markAccounted, uploadedNotAccounted, type AccountCandidateRow } from '../../orm/repositories/upload';

export interface AccountBatchResult {
  /** The highest bill id looked at (the cursor of the next batch). */
  lastId: number;
  count: number;
  accounted: number;
  /** E0074: the fiscal side refused the query (per hospital). */
  errors: string[];
}

type AccountRow = AccountCandidateRow;

export async function fetchAccountStatus(deps: Deps, input: { afterId: number; limit: number }): Promise<AccountBatchResult> {
  const em = deps.orm.em.fork();
  const rows = await uploadedNotAccounted(em, input.afterId, input.limit);
  if (!rows.length) return { lastId: input.afterId, count: 0, accounted: 0, errors: [] };
  const byHospital = new Map<string, AccountRow[]>();
  for (const r of rows) byHospital.set(r.code, [...(byHospital.get(r.code) ?? []), r]);
  const answers: Array<{ id: number; accountedAt: Date }> = [];
  const errors: string[] = [];
  for (const [code, list] of byHospital) {
    try {
      const status = await deps.fiscal.accountStatus(code, list.map((r) => ({ billBatchCode: r.bill_batch_code, billNo: r.bill_no })));
      const byKey = new Map(list.map((r) => [`${r.bill_batch_code}-${r.bill_no}`, Number(r.id)]));
      for (const s of status) {
        const id = byKey.get(`${s.billBatchCode}-${s.billNo}`);
        if (id === undefined || !s.accounted) continue;
        const at = s.accountedAt ? new Date(s.accountedAt) : new Date();
        answers.push({ id, accountedAt: Number.isNaN(at.getTime()) ? new Date() : at });
      }
    } catch (e) {
      if (!(e instanceof FiscalRejectedError)) throw e;
      errors.push(`E0074 ${code}: 财政平台拒绝入账状态查询（${e.code}）：${e.message}`);
    }
  }
  const accounted = await em.transactional(async (sql) => {
    const now = new Date();
    let n = 0;
    for (const a of answers) {
      if (!(await markAccounted(sql, a.id, a.accountedAt, now))) continue;
      n++;
      await recordBillEvent(sql, { billId: a.id, type: 'accounted', actor: 'system:fiscal-account', detail: `入账时间 ${a.accountedAt.toISOString()}`, at: now });
    }
    const ids = rows.map((r) => Number(r.id));
    await markAccountChecked(sql, ids, now);
    return n;
  });
  return { lastId: Number(rows[rows.length - 1].id), count: rows.length, accounted, errors };
}
