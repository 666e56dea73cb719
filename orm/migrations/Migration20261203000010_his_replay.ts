/**
 * The HIS interface's replay guard and its issuance to-dos.
 * - `his_replay`: one row per verified envelope (appid + noise + sign) received within the replay
 *   window (cfg.his.replayWindowMs): `pending` while the first delivery runs, then `done` with the
 *   exact answer text, which a repeat of the envelope gets byte for byte. Pruned past the window.
 * - `issue_todo`: an issuance that failed on an unexpected error after its bounded retries, one per
 *   (appid, bus_no), for a person to look at (the console's to-do list shows it); closed when the
 *   same busNo is issued later.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203000010_his_replay extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('his_replay', (t) => {
        t.increments('id').primary();
        t.string('appid', 64).notNullable();
        t.string('noise', 64).notNullable();
        t.string('sign', 64).notNullable();
        t.string('method', 64).notNullable();
        t.string('state', 8).notNullable();
        t.text('answer', 'mediumtext').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('answered_at', { precision: 3 }).nullable();
        t.unique(['appid', 'noise', 'sign']);
        t.index(['created_at']);
      }),
      knex.schema.createTable('issue_todo', (t) => {
        t.increments('id').primary();
        t.string('appid', 64).notNullable();
        t.string('bus_no', 64).notNullable();
        t.string('place_code', 32).notNullable();
        t.string('workflow_id', 160).notNullable();
        t.string('state', 16).notNullable().defaultTo('open');
        t.string('title', 200).notNullable();
        t.text('detail').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.string('closed_by', 64).nullable();
        t.datetime('closed_at', { precision: 3 }).nullable();
        t.unique(['appid', 'bus_no']);
        t.index(['state', 'place_code']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
