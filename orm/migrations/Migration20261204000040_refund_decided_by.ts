/**
 * Four eyes in refunds (issue 14, point 2): `refund.decided_by` mirrors who decided (approved,
 * rejected, returned) which step of the request, as JSON `{ "<stepIndex>": ["username", ...] }`,
 * so the API's `actions` and the to-do list computed from the row apply the same rule as the
 * workflow (domain/refund/permissions.ts). Null for refunds decided before this migration.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261204000040_refund_decided_by extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const step = knex.schema.alterTable('refund', (t) => {
      t.text('decided_by').nullable();
    });
    for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
