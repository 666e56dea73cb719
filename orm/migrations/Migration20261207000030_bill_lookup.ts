/**
 * 单位通码取票 (issue 15 point 7): `h5_sms_code`, the verification code sent to a phone for the
 * phone path, keyed by the phone's blind index (no phone number in clear): the code's HMAC, when
 * it was sent and expires, and the wrong tries against it (the code dies after five).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261207000030_bill_lookup extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const q = knex.schema.createTable('h5_sms_code', (t) => {
      t.string('tel_bidx', 64).primary();
      t.string('code_hash', 64).notNullable();
      t.datetime('sent_at', { precision: 3 }).notNullable();
      t.datetime('expires_at', { precision: 3 }).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
    });
    for (const s of q.toSQL()) this.addSql(s.sql);
  }
}
