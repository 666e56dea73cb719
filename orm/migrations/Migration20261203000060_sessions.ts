/**
 * Sign-in and sessions (issue 13 point 3):
 * - `console_session`: server-side sessions; the cookie carries a random token, the table only its
 *   HMAC-SM3 (a copy of the table opens no session). Logout and a password change revoke rows.
 * - `login_guard`: wrong passwords in a row per user name (known or not) and the lock they set.
 * - `password_history`: previous password hashes, so a new password repeats none of the last N.
 * - `user`: when the password was set (null for passwords older than this migration: the first
 *   sign-in after it starts their clock), whether a reset forces a change, the last sign-in.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203000060_sessions extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('console_session', (t) => {
        t.string('id', 64).primary();
        t.integer('user_id').notNullable();
        t.string('address', 64).notNullable();
        t.string('user_agent', 200).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('last_seen_at', { precision: 3 }).notNullable();
        t.datetime('revoked_at', { precision: 3 }).nullable();
        t.string('revoked_reason', 32).nullable();
        t.index(['user_id']);
        t.index(['last_seen_at']);
      }),
      knex.schema.createTable('login_guard', (t) => {
        t.string('username', 64).primary();
        t.integer('failures').notNullable().defaultTo(0);
        t.datetime('locked_until', { precision: 3 }).nullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
      knex.schema.createTable('password_history', (t) => {
        t.increments('id').primary();
        t.integer('user_id').notNullable();
        t.string('password_hash', 200).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['user_id']);
      }),
      knex.schema.alterTable('user', (t) => {
        t.datetime('password_changed_at', { precision: 3 }).nullable();
        t.boolean('must_change_password').notNullable().defaultTo(false);
        t.datetime('last_login_at', { precision: 3 }).nullable();
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
