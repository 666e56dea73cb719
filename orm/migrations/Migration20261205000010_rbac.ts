/**
 * Roles as data and data scope per user (issue 14, points 1 and 2):
 * - `role` / `role_permission`: the built-in roles of domain/permissions.ts seeded with the
 *   permissions they had when roles were code, then editable in the console (角色权限);
 * - `user.roles` keeps the comma-separated role codes (each one a `role.code`); the legacy `admin`
 *   role held everything and is split by 三员分立: a user who also held business roles keeps those
 *   (finance now edits the refund chains admin alone edited), a user who held `admin` alone becomes
 *   the system administrator;
 * - `user.scope_json`: the user's data scope (hospital / campuses / billing points, nested points
 *   included), null for the role's default; `user.oidc_subject`: the hospital identity platform's
 *   subject of the user (single sign-on);
 * - `billing_point.kind`: `campus` (院区, a point whose children are the billing points) or `point`;
 * - `collector`: the HIS cashier codes (`payee`, `author` of the issuance call) mapped to users, for
 *   the collector reports (开票员).
 */
import { Migration } from '@mikro-orm/migrations';
import { BUILTIN_ROLES } from '../../domain/permissions';

export class Migration20261205000010_rbac extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('role', (t) => {
        t.increments('id').primary();
        t.string('code', 32).notNullable().unique();
        t.string('name', 64).notNullable();
        t.string('kind', 16).notNullable();
        t.boolean('builtin').notNullable().defaultTo(false);
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
      }),
      knex.schema.createTable('role_permission', (t) => {
        t.string('role_code', 32).notNullable();
        t.string('permission', 48).notNullable();
        t.primary(['role_code', 'permission']);
      }),
      knex.schema.createTable('collector', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').notNullable();
        t.string('his_code', 32).notNullable();
        t.string('his_name', 64).nullable();
        t.string('username', 64).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.unique(['hospital_id', 'his_code']);
        t.index(['username']);
      }),
      knex.schema.alterTable('user', (t) => {
        t.text('scope_json').nullable();
        t.string('oidc_subject', 128).nullable().unique();
      }),
      knex.schema.alterTable('billing_point', (t) => {
        t.string('kind', 8).notNullable().defaultTo('point');
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
    const at = new Date().toISOString().slice(0, 23).replace('T', ' ');
    for (const r of BUILTIN_ROLES) {
      this.addSql(knex('role').insert({ code: r.code, name: r.name, kind: r.kind, builtin: true, created_at: at, updated_at: at }).toQuery());
      for (const p of r.permissions) this.addSql(knex('role_permission').insert({ role_code: r.code, permission: p }).toQuery());
    }
    // 三员分立: the legacy all-powerful `admin` role is split (see above).
    this.addSql(knex('user').update({ roles: 'sysadmin' }).where({ roles: 'admin' }).toQuery());
    for (const [from, to] of [["admin,", ''], [",admin", '']] as const) {
      this.addSql(knex('user').update({ roles: knex.raw('replace(roles, ?, ?)', [from, to]) }).where('roles', 'like', '%admin%').whereNot('roles', 'like', '%sysadmin%').whereNot('roles', 'like', '%secadmin%').whereNot('roles', 'like', '%auditadmin%').toQuery());
    }
  }
}
