/** A bill's timeline rows (bill_event), written in the transaction of the change they record. */
import type { BillEventInput } from '../../domain/bill/events';

/** Anything that runs SQL: a transaction's SqlEntityManager or the ORM's connection. */
export interface SqlRunner {
  execute(sql: string, params?: unknown[], method?: 'all' | 'get' | 'run'): Promise<unknown>;
  getPlatform(): { processDateProperty(d: unknown): unknown };
}

export async function recordBillEvent(sql: SqlRunner, ev: BillEventInput): Promise<void> {
  await sql.execute(
    'insert into bill_event (bill_id, type, actor, detail, workflow_id, created_at) values (?, ?, ?, ?, ?, ?)',
    [ev.billId, ev.type, ev.actor.slice(0, 64), ev.detail ?? null, ev.workflowId ?? null, sql.getPlatform().processDateProperty(ev.at ?? new Date())],
    'run',
  );
}
