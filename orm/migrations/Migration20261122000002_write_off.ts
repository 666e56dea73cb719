/**
 * Reversal (冲红): a red (scarlet) bill points to its original; the original records who reversed it,
 * why and when, and its red bill. `related_bill_id` is unique, so one original can never get two
 * red bills, whatever races above it.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000002_write_off extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('bill', (t) => {
        t.integer('related_bill_id').nullable();
        t.integer('scarlet_bill_id').nullable();
        t.text('write_off_reason').nullable();
        t.string('write_off_operator', 64).nullable();
        t.datetime('reversed_at', { precision: 3 }).nullable();
      }),
      knex.schema.alterTable('bill', (t) => {
        t.unique(['related_bill_id']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
