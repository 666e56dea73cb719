/**
 * Patient data sealed at rest (orm/sealed.ts): the blind-index columns (`*_bidx`, HMAC-SM3 of the
 * normalized value, indexed for exact search), room for the envelope in the sealed columns that
 * were short strings (MySQL/MariaDB enforce a varchar's length; SQLite does not, so there the
 * columns stay as they are), and `sealing_key`: the data key ids in use and their state
 * (current / retiring / retired) as rotate-keys records them.
 *
 * Existing rows are sealed by the startup step that follows the migrations (sealPlaintextRows):
 * the migration runs without the master key, which never reaches the database.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203000050_sealed extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const mysql = !/sqlite/i.test(String((knex.client as { config?: { client?: unknown } }).config?.client ?? knex.client.dialect));
    const steps = [
      knex.schema.alterTable('bill', (t) => {
        t.string('id_card_bidx', 64).nullable();
        t.string('tel_bidx', 64).nullable();
        t.string('email_bidx', 64).nullable();
        t.index(['id_card_bidx'], 'bill_id_card_bidx_index');
        t.index(['tel_bidx'], 'bill_tel_bidx_index');
        t.index(['email_bidx'], 'bill_email_bidx_index');
        if (mysql) {
          t.string('id_card_no', 512).nullable().alter();
          t.string('tel', 512).nullable().alter();
          t.string('email', 512).nullable().alter();
        }
      }),
      knex.schema.alterTable('refund', (t) => {
        t.string('tel_bidx', 64).nullable();
        t.index(['tel_bidx'], 'refund_tel_bidx_index');
        if (mysql) t.string('tel', 512).nullable().alter();
      }),
      ...(mysql ? [knex.schema.alterTable('notification', (t) => t.string('target', 512).notNullable().alter())] : []),
      knex.schema.createTable('sealing_key', (t) => {
        t.increments('id').primary();
        t.string('key_id', 16).notNullable().unique();
        t.string('state', 16).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
