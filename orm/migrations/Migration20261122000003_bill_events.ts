/**
 * A bill's life after issue. `bill_event` is its timeline (issued, notified, printed, exchanged
 * for paper, paper voided, reversed, reissued ...), who did it and when, with the workflow that did
 * it. `bill.paper_state` says whether an e-bill is currently exchanged for a paper form
 * (none | exchanged); a reversal waits while it is `exchanged`.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003_bill_events extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('bill_event', (t) => {
        t.increments('id').primary();
        t.integer('bill_id').unsigned().notNullable().references('id').inTable('bill');
        t.string('type', 32).notNullable();
        t.string('actor', 64).notNullable();
        t.text('detail').nullable();
        t.string('workflow_id', 160).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['bill_id', 'id']);
      }),
      knex.schema.alterTable('bill', (t) => {
        t.string('paper_state', 16).notNullable().defaultTo('none');
        t.string('paper_bill_batch_code', 16).nullable();
        t.string('paper_bill_no', 16).nullable();
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
