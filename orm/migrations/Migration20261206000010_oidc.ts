/**
 * Single sign-on (issue 14 point 3, services/oidc.ts):
 * - `oidc_login`: an authorization request in flight, keyed by the SM3 of its `state`: the PKCE
 *   verifier and the nonce stay on the server; the callback deletes the row, so a state (and its
 *   code) is used once. Rows older than the request lifetime are pruned.
 * - `console_session.sso_issuer` / `sso_id_token`: a session opened by the identity platform, and
 *   the ID token the platform's logout sends back to it as `id_token_hint`.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261206000010_oidc extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('oidc_login', (t) => {
        t.string('state_hash', 64).primary();
        t.string('verifier', 128).notNullable();
        t.string('nonce', 128).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['created_at']);
      }),
      knex.schema.alterTable('console_session', (t) => {
        t.string('sso_issuer', 255).nullable();
        t.text('sso_id_token').nullable();
      }),
    ];
    for (const q of steps) for (const s of q.toSQL()) this.addSql(s.sql);
  }
}
