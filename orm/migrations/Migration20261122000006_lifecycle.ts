/**
 * The lifecycle processes' durable traces. `todo` holds what waits for a person (a paper form to
 * recover before a reversal, a reissue that could not be done); one row per (kind, bill), reopened
 * rather than duplicated. `origin_bill_id` links a partial-refund reissue (and the issuance request
 * behind it) to the bill it replaces.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000006_lifecycle extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('todo', (t) => {
        t.increments('id').primary();
        t.string('kind', 32).notNullable();
        t.integer('bill_id').unsigned().notNullable().references('id').inTable('bill');
        t.string('place_code', 32).notNullable();
        t.string('workflow_id', 160).notNullable();
        t.string('state', 16).notNullable().defaultTo('open');
        t.string('title', 200).notNullable();
        t.text('detail').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('remind_at', { precision: 3 }).nullable();
        t.integer('remind_count').notNullable().defaultTo(0);
        t.datetime('last_reminded_at', { precision: 3 }).nullable();
        t.string('closed_by', 64).nullable();
        t.datetime('closed_at', { precision: 3 }).nullable();
        t.unique(['kind', 'bill_id']);
        t.index(['state', 'place_code']);
      }),
      knex.schema.alterTable('bill', (t) => {
        t.integer('origin_bill_id').nullable();
      }),
      knex.schema.alterTable('issue_request', (t) => {
        t.integer('origin_bill_id').nullable();
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
