/**
 * The operation log (操作日志, issue 14 point 4):
 * - `operation_log`: append-only, one row per sign-in, failure, lockout, sign-out, permission or
 *   business-object change, read of a bill's patient identity, PDF download, report export; `seq`
 *   runs 1..n without gaps and each row's `mac` is HMAC-SM3 over the previous row's mac and the
 *   row's other columns (services/operation-log.ts), so an edited, deleted or reordered row is found;
 * - `log_chain_head`: one row per chain (the last seq and mac), locked by every append so the chain
 *   stays linear with several API processes; its first row is the empty chain (seq 0, mac of zeros);
 * - `operation_log_archive`: one row per archive file of rows older than the retention (the file's
 *   SM3, its first and last seq and mac, and an HMAC of those): the anchor a verification starts from.
 * Portable schema (SQLite, MariaDB, PostgreSQL): knex's builder only, no dialect SQL.
 */
import { Migration } from '@mikro-orm/migrations';

const ZERO_MAC = '0'.repeat(64);

export class Migration20261205000020_operation_log extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('operation_log', (t) => {
        t.increments('id').primary();
        t.integer('seq').notNullable().unique();
        t.datetime('at', { precision: 3 }).notNullable();
        t.string('username', 64).notNullable();
        t.string('display_name', 64).nullable();
        t.string('address', 64).nullable();
        t.string('action', 48).notNullable();
        t.string('object_type', 32).nullable();
        t.string('object_id', 128).nullable();
        t.string('result', 16).notNullable();
        t.text('detail').nullable();
        t.text('before_json', 'mediumtext').nullable();
        t.text('after_json', 'mediumtext').nullable();
        t.string('prev_mac', 64).notNullable();
        t.string('mac', 64).notNullable();
        t.index(['at']);
        t.index(['username', 'at']);
        t.index(['action', 'at']);
        t.index(['object_type', 'object_id']);
        t.index(['mac']);
      }),
      knex.schema.createTable('log_chain_head', (t) => {
        t.string('chain', 32).primary();
        t.integer('seq').notNullable();
        t.string('mac', 64).notNullable();
      }),
      knex.schema.createTable('operation_log_archive', (t) => {
        t.increments('id').primary();
        t.string('chain', 32).notNullable();
        t.integer('first_seq').notNullable();
        t.integer('last_seq').notNullable();
        t.string('first_prev_mac', 64).notNullable();
        t.string('last_mac', 64).notNullable();
        t.integer('row_count').notNullable();
        t.string('file', 255).notNullable();
        t.string('file_sm3', 64).notNullable();
        t.datetime('cutoff_at', { precision: 3 }).notNullable();
        t.datetime('archived_at', { precision: 3 }).notNullable();
        t.string('mac', 64).notNullable();
        t.unique(['chain', 'last_seq']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
    this.addSql(knex('log_chain_head').insert({ chain: 'operation', seq: 0, mac: ZERO_MAC }).toQuery());
  }
}
