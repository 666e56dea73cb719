/**
 * Delivery to the patient: a bill may now have several notices on one channel. `purpose` tells
 * them apart: `issue` for the notice sent when the bill was issued (and the card-pack insert),
 * `resend:{requestKey}` for each resend asked for by the console or the HIS (one row per request,
 * so a retried request sends once). `actor` is who asked (a console user, `HIS:{appid}`, `system`).
 * The unique key becomes (bill, channel, purpose); the new index is created before the old one is
 * dropped, so MySQL always has an index for the bill_id foreign key.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000005_delivery extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.alterTable('notification', (t) => {
        t.string('purpose', 96).notNullable().defaultTo('issue');
        t.string('actor', 64).notNullable().defaultTo('system');
      }),
      knex.schema.alterTable('notification', (t) => {
        t.unique(['bill_id', 'channel', 'purpose'], { indexName: 'notification_bill_channel_purpose_unique' });
      }),
      knex.schema.alterTable('notification', (t) => {
        t.dropUnique(['bill_id', 'channel']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
