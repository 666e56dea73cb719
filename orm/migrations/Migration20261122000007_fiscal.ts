/**
 * Basic data from the fiscal platform and the code mapping the console maintains.
 * - `bill_kind` / `fiscal_item` get `active` (an entry the fiscal side no longer serves is marked
 *   inactive, never deleted: bills and mappings point at it) and `synced_at`.
 * - `basic_data_sync`: one row per sync run (version served, counts, changes made).
 * - `basic_data_change`: what a sync changed (added / updated / deactivated / reactivated), old and new.
 * - `item_group` (项目分组): named groups of HIS charge codes, quick-issue templates.
 * - `charge_code_map` gets `updated_by` / `updated_at` (who changed a mapping in the console).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000007_fiscal extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('bill_kind', (t) => {
        t.boolean('active').notNullable().defaultTo(true);
        t.datetime('synced_at', { precision: 3 }).nullable();
      }),
      knex.schema.alterTable('fiscal_item', (t) => {
        t.boolean('active').notNullable().defaultTo(true);
        t.datetime('synced_at', { precision: 3 }).nullable();
      }),
      knex.schema.alterTable('charge_code_map', (t) => {
        t.string('updated_by', 64).nullable();
        t.datetime('updated_at', { precision: 3 }).nullable();
      }),
      knex.schema.createTable('basic_data_sync', (t) => {
        t.increments('id').primary();
        t.string('version', 64).notNullable();
        t.integer('kinds').notNullable();
        t.integer('items').notNullable();
        t.integer('changes').notNullable();
        t.string('workflow_id', 160).nullable();
        t.datetime('synced_at', { precision: 3 }).notNullable();
        t.index(['synced_at']);
      }),
      knex.schema.createTable('basic_data_change', (t) => {
        t.increments('id').primary();
        t.integer('sync_id').unsigned().notNullable().references('id').inTable('basic_data_sync');
        t.string('entity', 16).notNullable();
        t.string('code', 16).notNullable();
        t.string('change_type', 16).notNullable();
        t.string('old_value', 200).nullable();
        t.string('new_value', 200).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['entity', 'code']);
      }),
      knex.schema.createTable('item_group', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.string('name', 64).notNullable();
        t.text('his_codes').notNullable();
        t.string('remark', 200).nullable();
        t.string('updated_by', 64).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.unique(['hospital_id', 'name']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
