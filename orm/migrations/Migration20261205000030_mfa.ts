/**
 * Two-factor sign-in (issue 14 point 3): one `user_totp` row per user who began enrolling a TOTP
 * authenticator (RFC 6238). `secret` is sealed (orm/sealed.ts SEALED_COLUMNS); `confirmed_at`
 * is set when the user proved the authenticator with a code, and only then is the second factor
 * asked at sign-in; `last_step` is the last accepted time step (a code is never accepted twice);
 * `recovery_json` holds the SHA-256 of the unused one-time recovery codes.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000030_mfa extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const q = knex.schema.createTable('user_totp', (t) => {
      t.increments('id').primary();
      t.integer('user_id').notNullable().unique();
      t.text('secret').notNullable();
      t.datetime('confirmed_at', { precision: 3 }).nullable();
      t.bigInteger('last_step').nullable();
      t.text('recovery_json').nullable();
      t.datetime('created_at', { precision: 3 }).notNullable();
      t.datetime('updated_at', { precision: 3 }).notNullable();
    });
    for (const s of q.toSQL()) this.addSql(s.sql);
  }
}
