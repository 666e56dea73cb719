/**
 * Before and after of a business object changed in the console (issue 14 point 4): the operation
 * log's `before` / `after` for a bill (reversal, paper, partial refund, notices), a refund (each
 * decision), a stock requisition (edit, submit, stock-in) and a to-do (confirm, retry, abandon).
 * Only the fields a change moves, in camelCase with dates as ISO text and counts as numbers; no
 * personal data (see orm/repositories/business-snapshot.ts).
 */
import { billSnapshotRow, refundSnapshotRow, requisitionSnapshotRow, todoSnapshotRow, type SnapshotRow } from '../orm/repositories/business-snapshot';
import type { Db } from '../orm/repositories/db';
import { dbIso } from '../orm/sql-values';

export const SNAPSHOT_TYPES = ['bill', 'refund', 'requisition', 'todo'] as const;
export type SnapshotType = (typeof SNAPSHOT_TYPES)[number];

const READERS: Record<SnapshotType, (db: Db, id: number) => Promise<SnapshotRow | undefined>> = {
  bill: billSnapshotRow,
  refund: refundSnapshotRow,
  requisition: requisitionSnapshotRow,
  todo: todoSnapshotRow,
};
/** Columns that are counts, amounts or flags: numbers whatever the driver answers (MariaDB gives bigints as text). */
const NUMERIC = /(^id$|_id$|_amt$|^amount$|^version$|^revision$|_index$|_count$|^notices$)/;
const FLAG = /^(is_scarlet|step_overdue)$/;
const DATE = /_at$/;

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function normalise(row: SnapshotRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    let value: unknown = v;
    if (DATE.test(k)) value = dbIso(v);
    else if (v !== null && v !== undefined && FLAG.test(k)) value = Boolean(Number(v));
    else if (v !== null && v !== undefined && NUMERIC.test(k)) value = Number(v);
    out[camel(k)] = value ?? null;
  }
  return out;
}

/** The object's state now, or undefined when there is no such object. */
export async function businessSnapshot(db: Db, type: SnapshotType, id: number): Promise<Record<string, unknown> | undefined> {
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const row = await READERS[type](db, id);
  return row ? normalise(row) : undefined;
}
