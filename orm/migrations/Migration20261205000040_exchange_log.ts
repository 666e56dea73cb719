/**
 * The exchange log (交互日志, issue 14 points 5 and 6): one row per data exchange with an outside
 * system (HIS, fiscal platform, payment channels, notices, printers, the signer):
 * - the searchable keys in clear (when, which system and method, which way, the business, bill,
 *   refund and order numbers, the result code, how long it took), indexed for the audit search;
 * - `body`: the request and the answer, SM4-encrypted with a key derived from the master key
 *   (`key_id` names it, for a rotation);
 * - `seq` runs 1..n without gaps on the chain `exchange` of log_chain_head, and `mac` is
 *   HMAC-SM3 over `prev_mac` and every other column (the ciphertext included).
 * Portable schema (SQLite, MariaDB, PostgreSQL): knex's builder only, no dialect SQL.
 */
import { Migration } from '@mikro-orm/migrations';

const ZERO_MAC = '0'.repeat(64);

export class Migration20261205000040_exchange_log extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const step = knex.schema.createTable('exchange_log', (t) => {
      t.increments('id').primary();
      t.integer('seq').notNullable().unique();
      t.datetime('at', { precision: 3 }).notNullable();
      t.string('system', 16).notNullable();
      t.string('method', 128).notNullable();
      t.string('direction', 3).notNullable();
      t.string('bus_no', 64).nullable();
      t.string('bill_no', 64).nullable();
      t.string('refund_no', 64).nullable();
      t.string('order_no', 64).nullable();
      t.string('result_code', 32).notNullable();
      t.integer('duration_ms').notNullable();
      t.string('key_id', 16).notNullable();
      t.text('body', 'mediumtext').notNullable();
      t.string('prev_mac', 64).notNullable();
      t.string('mac', 64).notNullable();
      t.index(['at']);
      t.index(['system', 'at']);
      t.index(['bus_no']);
      t.index(['bill_no']);
      t.index(['refund_no']);
      t.index(['order_no']);
      t.index(['mac']);
    });
    for (const q of step.toSQL()) this.addSql(q.sql);
    this.addSql(knex('log_chain_head').insert({ chain: 'exchange', seq: 0, mac: ZERO_MAC }).toQuery());
  }
}
