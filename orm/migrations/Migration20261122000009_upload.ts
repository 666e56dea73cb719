/**
 * The fiscal batch upload and the accounting status (入账). On `bill`: how its upload went
 * (`upload_state` pending | uploaded | rejected already exists), in which batch, why it was
 * rejected, who put it back in the queue, and whether the payer has booked it. `fiscal_upload_batch`
 * is one row per batch sent (unique `batch_no`, derived from the batch's content): attempts, the
 * last error while the fiscal side is down, and the outcome — the console's "last run".
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000009_upload extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('bill', (t) => {
        t.integer('upload_attempts').notNullable().defaultTo(0);
        t.datetime('uploaded_at', { precision: 3 }).nullable();
        t.string('upload_batch_no', 64).nullable();
        t.text('upload_reason').nullable();
        t.string('upload_requeued_by', 64).nullable();
        t.datetime('upload_requeued_at', { precision: 3 }).nullable();
        t.boolean('accounted').notNullable().defaultTo(false);
        t.datetime('accounted_at', { precision: 3 }).nullable();
        t.datetime('account_checked_at', { precision: 3 }).nullable();
        t.index(['upload_state', 'accounted']);
      }),
      knex.schema.createTable('fiscal_upload_batch', (t) => {
        t.increments('id').primary();
        t.string('batch_no', 64).notNullable().unique();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('bill_count').notNullable();
        t.integer('first_bill_id').notNullable();
        t.integer('last_bill_id').notNullable();
        /** sending | done | rejected */
        t.string('state', 16).notNullable().defaultTo('sending');
        t.integer('attempts').notNullable().defaultTo(0);
        t.text('last_error').nullable();
        t.integer('accepted_count').notNullable().defaultTo(0);
        t.integer('rejected_count').notNullable().defaultTo(0);
        t.string('workflow_id', 160).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.datetime('finished_at', { precision: 3 }).nullable();
        t.index(['created_at']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
