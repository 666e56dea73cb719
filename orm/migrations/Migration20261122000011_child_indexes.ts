/**
 * Indexes on the columns that look up a bill's children. MySQL/MariaDB index a foreign key by
 * themselves; SQLite does not, so every detail page, notice and report row scanned `bill_item`
 * and `bill_payment` whole (found by bench/report-export.ts: an export of 200,000 bills did not end).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000011_child_indexes extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('bill_item', (t) => t.index(['bill_id'], 'bill_item_bill_id_lookup')),
      knex.schema.alterTable('bill_payment', (t) => t.index(['bill_id'], 'bill_payment_bill_id_lookup')),
      knex.schema.alterTable('bill', (t) => t.index(['origin_bill_id'], 'bill_origin_bill_id_lookup')),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
