/**
 * Refunds (退费): one `refund` row per request, the system of record for its money and its
 * approval chain's position (the workflow `refund-{refundNo}` holds the process; every change it
 * makes is mirrored here in the same step). `refund_action` is the audit trail (who, when,
 * decision, comment), unique per (refund, action_key) so a retried activity records once.
 * `refund_cc` lists who is copied (escalations, transfers). `refund_chain` holds a chain
 * changed in the console; a payment type without a row uses the default
 * (domain/refund/chain.ts: seed 002's chains).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000012_refund extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('refund_chain', (t) => {
        t.increments('id').primary();
        t.string('code', 16).notNullable().unique();
        t.string('name', 64).notNullable();
        t.text('steps').notNullable();
        t.string('updated_by', 64).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
      knex.schema.createTable('refund', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').notNullable();
        t.string('refund_no', 40).notNullable().unique();
        t.string('source', 16).notNullable();
        t.string('appid', 64).nullable();
        t.integer('bill_id').notNullable();
        t.string('pay_type', 8).notNullable();
        t.string('channel', 16).notNullable();
        t.string('out_trade_no', 64).nullable();
        t.string('transaction_id', 64).nullable();
        t.bigInteger('paid_amt').notNullable();
        t.bigInteger('amount').notNullable();
        t.text('items').nullable();
        t.string('reason', 200).notNullable();
        t.string('patient_name', 128).notNullable();
        t.string('patient_no', 64).notNullable();
        t.string('open_id', 64).nullable();
        t.string('tel', 32).nullable();
        t.string('applicant', 64).notNullable();
        t.string('applicant_name', 64).notNullable();
        t.string('doctor', 64).nullable();
        t.string('chain_code', 16).notNullable();
        t.text('chain_steps').notNullable();
        t.string('state', 20).notNullable();
        t.integer('step_index').notNullable().defaultTo(0);
        t.string('step_assignee', 64).nullable();
        t.datetime('step_deadline', { precision: 3 }).nullable();
        t.boolean('step_overdue').notNullable().defaultTo(false);
        t.integer('version').notNullable().defaultTo(0);
        t.string('out_refund_no', 64).notNullable().unique();
        t.string('money_state', 16).notNullable().defaultTo('none');
        t.string('channel_refund_id', 64).nullable();
        t.datetime('money_at', { precision: 3 }).nullable();
        t.string('money_fail_reason', 200).nullable();
        t.string('voucher_no', 64).nullable();
        t.string('bill_state', 20).notNullable().defaultTo('pending');
        t.integer('red_bill_id').nullable();
        t.integer('reissued_bill_id').nullable();
        t.text('bill_reason').nullable();
        t.string('reject_reason', 500).nullable();
        t.string('request_hash', 64).notNullable();
        t.string('workflow_id', 160).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.index(['bill_id']);
        t.index(['state']);
        t.index(['applicant']);
      }),
      knex.schema.createTable('refund_action', (t) => {
        t.increments('id').primary();
        t.integer('refund_id').notNullable();
        t.string('action_key', 64).notNullable();
        t.integer('step_index').nullable();
        t.string('step_name', 64).nullable();
        t.string('action', 24).notNullable();
        t.string('actor', 64).notNullable();
        t.string('actor_name', 64).notNullable();
        t.string('comment', 500).nullable();
        t.text('detail').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.unique(['refund_id', 'action_key']);
        t.index(['actor', 'action']);
      }),
      knex.schema.createTable('refund_cc', (t) => {
        t.increments('id').primary();
        t.integer('refund_id').notNullable();
        t.string('username', 64).notNullable();
        t.string('reason', 200).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.unique(['refund_id', 'username']);
        t.index(['username']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
