/**
 * The e-bill archive (票据档案, issue 15 point 3):
 * - `archive_package`: one row per bill archived: its class (year, bill kind, billing point), where
 *   the package lies in the store, the SM3 of its manifest and of every part (kept here, apart from
 *   the package, so a package rewritten with a matching manifest is still found), the retention's
 *   end, the last 四性 check and the state (archived | destroyed);
 * - `archive_check_run`: one row per run of the 四性 checks (at archiving, scheduled, by hand):
 *   how many packages were checked, passed and failed; `archive_check_failure` one row per failed
 *   package of a run with the checks that failed and why;
 * - `archive_destruction`: the destruction register (销毁登记): who proposed, who approved (another
 *   person), when, why. Its rows are never deleted.
 * The built-in finance role of an existing install gets the archive's permissions (a fresh install
 * has them from the role seed already: inserted only where missing).
 * Portable schema (SQLite, MariaDB, PostgreSQL): knex's builder only, no dialect SQL.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261208000010_archive extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('archive_package', (t) => {
        t.increments('id').primary();
        t.integer('bill_id').unsigned().notNullable().unique().references('id').inTable('bill');
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.string('bill_batch_code', 8).notNullable();
        t.string('bill_no', 10).notNullable();
        t.integer('bill_year').notNullable();
        t.string('kind_code', 8).notNullable();
        t.string('kind_name', 64).notNullable();
        t.string('place_code', 32).notNullable();
        t.string('place_name', 128).notNullable();
        t.string('reason', 16).notNullable();
        t.string('store_key', 255).notNullable();
        t.string('manifest_sm3', 64).notNullable();
        t.text('parts_json').notNullable();
        t.bigInteger('total_bytes').notNullable().defaultTo(0);
        t.datetime('archived_at', { precision: 3 }).notNullable();
        t.datetime('retain_until', { precision: 3 }).notNullable();
        t.string('state', 16).notNullable().defaultTo('archived');
        t.datetime('last_check_at', { precision: 3 }).nullable();
        t.boolean('last_check_ok').nullable();
        t.text('last_check_json').nullable();
        t.datetime('destroyed_at', { precision: 3 }).nullable();
        t.index(['bill_year', 'kind_code', 'place_code']);
        t.index(['state', 'id']);
        t.index(['last_check_ok']);
      }),
      knex.schema.createTable('archive_check_run', (t) => {
        t.increments('id').primary();
        t.string('run_trigger', 16).notNullable();
        t.string('actor', 64).notNullable();
        t.string('workflow_id', 160).nullable();
        t.datetime('started_at', { precision: 3 }).notNullable();
        t.datetime('finished_at', { precision: 3 }).nullable();
        t.integer('checked').notNullable().defaultTo(0);
        t.integer('passed').notNullable().defaultTo(0);
        t.integer('failed').notNullable().defaultTo(0);
        t.index(['started_at']);
      }),
      knex.schema.createTable('archive_check_failure', (t) => {
        t.increments('id').primary();
        t.integer('run_id').unsigned().notNullable().references('id').inTable('archive_check_run');
        t.integer('package_id').unsigned().notNullable().references('id').inTable('archive_package');
        t.string('checks', 64).notNullable();
        t.text('detail').notNullable();
        t.index(['run_id', 'id']);
        t.index(['package_id']);
      }),
      knex.schema.createTable('archive_destruction', (t) => {
        t.increments('id').primary();
        t.integer('package_id').unsigned().notNullable().references('id').inTable('archive_package');
        t.string('bill_batch_code', 8).notNullable();
        t.string('bill_no', 10).notNullable();
        t.string('manifest_sm3', 64).notNullable();
        t.datetime('retain_until', { precision: 3 }).notNullable();
        t.string('state', 16).notNullable();
        t.text('reason').notNullable();
        t.string('proposed_by', 64).notNullable();
        t.string('proposed_by_name', 64).nullable();
        t.datetime('proposed_at', { precision: 3 }).notNullable();
        t.string('approved_by', 64).nullable();
        t.string('approved_by_name', 64).nullable();
        t.datetime('approved_at', { precision: 3 }).nullable();
        t.index(['package_id']);
        t.index(['state', 'id']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
    for (const permission of ['menu:archive', 'archive:check', 'archive:destroy']) {
      const missing = knex('role').select(knex.raw('?', ['finance']), knex.raw('?', [permission])).where({ code: 'finance', builtin: true })
        .whereNotExists(knex('role_permission').select(knex.raw('1')).where({ role_code: 'finance', permission }));
      this.addSql(knex.into(knex.raw('?? (??, ??)', ['role_permission', 'role_code', 'permission'])).insert(missing).toQuery());
    }
  }
}
