/**
 * 在线开具 (issue 15 point 1): the new permissions `menu:online-issue` and `bill:online-issue`
 * (domain/permissions.ts) given to the built-in finance role where it exists and lacks them. A
 * database created after this change got them from the roles migration (it seeds the catalogue's
 * current built-in roles), so the insert skips what is there.
 */
import { Migration } from '@mikro-orm/migrations';

const GRANTS: ReadonlyArray<[string, string]> = [
  ['finance', 'menu:online-issue'],
  ['finance', 'bill:online-issue'],
];

export class Migration20261207000010_online_issue extends Migration {
  override async up(): Promise<void> {
    for (const [role, permission] of GRANTS) {
      this.addSql(
        `insert into role_permission (role_code, permission) select code, '${permission}' from role r where r.code = '${role}' ` +
          `and not exists (select 1 from role_permission p where p.role_code = '${role}' and p.permission = '${permission}')`,
      );
    }
  }
}
