/**
 * Basic data sync (基础数据同步): bill kinds and fiscal charge items from the fiscal platform, upserted
 * in one transaction. Nothing is deleted (bills, segments and mappings point at these rows): an
 * entry the fiscal side no longer serves is marked inactive, and every change is recorded in
 * `basic_data_change` under the run's `basic_data_sync` row. Running again without changes on the
 * fiscal side changes nothing but records the run (version and time), so a retried activity is harmless.
 */
import { DomainError } from '../../common/errors';
import type { Deps } from '../deps';
import { FiscalRejectedError, type BasicData } from '../../adapters/fiscal/platform';
import {
  addBillKind, addFiscalItem, allBillKinds, allFiscalItems, deactivateBillKind, deactivateFiscalItem, recordSync, recordSyncChange, refreshBillKind, refreshFiscalItem,
} from '../../orm/repositories/basic-data';

export interface BasicSyncResult {
  syncId: number;
  version: string;
  kinds: number;
  items: number;
  changes: number;
}

interface Change {
  entity: 'bill_kind' | 'fiscal_item';
  code: string;
  change: 'added' | 'updated' | 'deactivated' | 'reactivated';
  oldValue?: string;
  newValue?: string;
}

const active = (v: unknown) => v === true || v === 1 || v === '1';

export function validateBasicData(bd: BasicData): void {
  const bad = (m: string) => {
    // Malformed data the next fetch would give again: a refusal (not retried), nothing applied.
    throw new DomainError('E0061', `basicData: 财政平台返回的基础数据无效（${m}）`, 'basicData');
  };
  if (!bd || typeof bd.version !== 'string' || !bd.version) bad('version missing');
  if (!Array.isArray(bd.billKinds) || !Array.isArray(bd.chargeItems)) bad('billKinds / chargeItems missing');
  for (const k of bd.billKinds) if (!/^\d{4}$/.test(k.code) || !k.name) bad(`bill kind ${JSON.stringify(k)}`);
  for (const i of bd.chargeItems) if (!/^[\w-]{1,16}$/.test(i.code) || !i.name) bad(`charge item ${JSON.stringify(i)}`);
}

/** Applies one fetched basic-data answer (one transaction). */
export async function applyBasicData(deps: Deps, bd: BasicData, workflowId?: string): Promise<BasicSyncResult> {
  validateBasicData(bd);
  const result = await deps.orm.em.fork().transactional(async (sql) => {
    const now = sql.getPlatform().processDateProperty(new Date());
    const changes: Change[] = [];

    const kinds = await allBillKinds(sql);
    const servedKinds = new Set(bd.billKinds.map((k) => k.code));
    for (const k of bd.billKinds) {
      const cur = kinds.find((r) => r.code === k.code);
      const text = `${k.name}|${k.category}|${k.electronic ? '电子' : '纸质'}`;
      if (!cur) {
        await addBillKind(sql, k, now);
        changes.push({ entity: 'bill_kind', code: k.code, change: 'added', newValue: text });
        continue;
      }
      const old = `${cur.name}|${cur.category}|${active(cur.electronic) ? '电子' : '纸质'}`;
      const reactivated = !active(cur.active);
      if (old !== text || reactivated) {
        changes.push({ entity: 'bill_kind', code: k.code, change: reactivated ? 'reactivated' : 'updated', oldValue: old, newValue: text });
      }
      await refreshBillKind(sql, cur.id, k, now);
    }
    for (const cur of kinds) {
      if (servedKinds.has(String(cur.code)) || !active(cur.active)) continue;
      await deactivateBillKind(sql, cur.id);
      changes.push({ entity: 'bill_kind', code: String(cur.code), change: 'deactivated', oldValue: String(cur.name) });
    }

    const items = await allFiscalItems(sql);
    const servedItems = new Set(bd.chargeItems.map((i) => i.code));
    for (const i of bd.chargeItems) {
      const cur = items.find((r) => r.code === i.code);
      if (!cur) {
        await addFiscalItem(sql, i, now);
        changes.push({ entity: 'fiscal_item', code: i.code, change: 'added', newValue: i.name });
        continue;
      }
      const reactivated = !active(cur.active);
      if (cur.name !== i.name || reactivated) {
        changes.push({ entity: 'fiscal_item', code: i.code, change: reactivated ? 'reactivated' : 'updated', oldValue: String(cur.name), newValue: i.name });
      }
      await refreshFiscalItem(sql, cur.id, i, now);
    }
    for (const cur of items) {
      if (servedItems.has(String(cur.code)) || !active(cur.active)) continue;
      await deactivateFiscalItem(sql, cur.id);
      changes.push({ entity: 'fiscal_item', code: String(cur.code), change: 'deactivated', oldValue: String(cur.name) });
    }

    const syncId = await recordSync(sql, { version: bd.version, kinds: bd.billKinds.length, items: bd.chargeItems.length, changes: changes.length, workflowId: workflowId ?? null }, now);
    for (const c of changes) await recordSyncChange(sql, syncId, c, now);
    return { syncId, version: bd.version, kinds: bd.billKinds.length, items: bd.chargeItems.length, changes: changes.length };
  });
  if (result.changes > 0) deps.master.invalidate();
  return result;
}

/**
 * Fetches basic data and applies it (the sync workflow's activity). An outage is thrown for a
 * retry; a refusal of the fiscal platform is a DomainError (E0061), not retried.
 */
export async function syncBasicData(deps: Deps, workflowId?: string): Promise<BasicSyncResult> {
  let bd: BasicData;
  try {
    bd = await deps.fiscal.basicData();
  } catch (e) {
    if (e instanceof FiscalRejectedError) throw new DomainError('E0061', `财政平台拒绝基础数据查询（${e.code}）：${e.message}`);
    throw e;
  }
  return applyBasicData(deps, bd, workflowId);
}
