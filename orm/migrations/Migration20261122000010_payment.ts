/**
 * Refund result notices from the payment channels (WeChat Pay, Alipay): one row per state change
 * of a refund, whatever the number of deliveries (unique channel + out_refund_no + state).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000010_payment extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const step = knex.schema.createTable('payment_notice', (t) => {
      t.increments('id').primary();
      t.string('channel', 16).notNullable();
      t.string('notice_id', 64).notNullable();
      t.string('out_refund_no', 64).notNullable();
      t.string('out_trade_no', 64).nullable();
      t.string('channel_refund_id', 64).nullable();
      t.string('state', 16).notNullable();
      t.bigInteger('amount_fen').nullable();
      t.string('success_time', 40).nullable();
      t.string('fail_reason', 64).nullable();
      t.integer('deliveries').notNullable().defaultTo(1);
      t.text('detail').nullable();
      t.datetime('received_at', { precision: 3 }).notNullable();
      t.datetime('handled_at', { precision: 3 }).nullable();
      t.unique(['channel', 'out_refund_no', 'state']);
      t.index(['channel', 'notice_id']);
    });
    for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
