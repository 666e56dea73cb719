/**
 * 印章管理 (issue 15 point 2):
 * - `seal`: the hospital's seals as images (PNG, base64 with its SHA-256): kind `finance`
 *   (财务专用章, printed on the bills) or `unit` (单位公章), name, code, the signing key it goes
 *   with (the signer's key id), valid from / to. A bill prints the finance seal valid at its issue
 *   time; its layout file is written once, so a later change of a seal never changes it.
 * - `bill.seal_id`: the seal its layout file printed (null: the seal drawn from the hospital's name).
 * - the permissions `menu:seals` / `seal:edit` for the built-in finance and system administrator
 *   roles where they lack them (a newer database got them from the roles migration).
 */
import { Migration } from '@mikro-orm/migrations';

const GRANTS: ReadonlyArray<[string, string]> = [
  ['finance', 'menu:seals'],
  ['finance', 'seal:edit'],
  ['sysadmin', 'menu:seals'],
  ['sysadmin', 'seal:edit'],
];

export class Migration20261207000020_seals extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('seal', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').notNullable();
        t.string('kind', 16).notNullable();
        t.string('name', 64).notNullable();
        t.string('code', 64).notNullable();
        t.string('key_id', 64).notNullable();
        t.text('image_base64', 'mediumtext').notNullable();
        t.string('image_sha256', 64).notNullable();
        t.datetime('valid_from', { precision: 3 }).notNullable();
        t.datetime('valid_to', { precision: 3 }).nullable();
        t.string('created_by', 64).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.string('updated_by', 64).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.unique(['hospital_id', 'code']);
        t.index(['hospital_id', 'kind', 'valid_from']);
      }),
      knex.schema.alterTable('bill', (t) => {
        t.integer('seal_id').nullable();
      }),
    ];
    for (const q of steps) for (const s of q.toSQL()) this.addSql(s.sql);
    for (const [role, permission] of GRANTS) {
      this.addSql(
        `insert into role_permission (role_code, permission) select code, '${permission}' from role r where r.code = '${role}' ` +
          `and not exists (select 1 from role_permission p where p.role_code = '${role}' and p.permission = '${permission}')`,
      );
    }
  }
}
