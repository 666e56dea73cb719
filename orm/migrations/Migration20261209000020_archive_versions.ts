/**
 * 票据档案 versions: a bill archived before it was reversed gets a new package when its state
 * changes (version 2, 3 ...), beside the one archived first, which is never altered. Each package
 * keeps the bill's state it was made with (`bill_state`; null on packages made before this
 * migration, which are taken as current). One package per bill and version.
 * Portable schema (SQLite, MariaDB, PostgreSQL): knex's builder only, no dialect SQL. The new
 * unique index (bill_id, version) is made before the old one on bill_id is dropped: MariaDB's
 * foreign key on bill_id needs an index that starts with it.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261209000020_archive_versions extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('archive_package', (t) => {
        t.integer('version').notNullable().defaultTo(1);
        t.string('bill_state', 16).nullable();
      }),
      knex.schema.alterTable('archive_package', (t) => {
        t.unique(['bill_id', 'version'], { indexName: 'archive_package_bill_version_unique' });
      }),
      knex.schema.alterTable('archive_package', (t) => {
        t.dropUnique(['bill_id']);
      }),
    ];
    for (const q of steps) for (const s of q.toSQL()) this.addSql(s.sql);
  }
}
