/**
 * Refund trust (issue 13, points 2 and 5):
 * - `refund_proof_nonce`: the nonce of every refund action proof the worker accepted (services/refund-proof.ts),
 *   so the same signed action is never applied twice; the update it was accepted for (run and update
 *   id) lets a retried verification of that same update pass. Pruned past the proof's lifetime.
 * - `refund.bill_total_amt`: the bill's total when the refund was filed, so the payout can tell that
 *   the bill changed behind the refund's back (null for refunds filed before this migration).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203000040_refund_trust extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('refund_proof_nonce', (t) => {
        t.string('nonce', 64).primary();
        t.string('refund_no', 32).notNullable();
        t.string('update_key', 200).notNullable();
        t.datetime('used_at', { precision: 3 }).notNullable();
        t.index(['used_at']);
      }),
      knex.schema.alterTable('refund', (t) => {
        t.bigInteger('bill_total_amt').nullable();
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
