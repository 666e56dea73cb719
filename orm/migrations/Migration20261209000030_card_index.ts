/**
 * 就诊卡号 search (issue 15 point 7): the bill's clinic card number lives in the sealed `extra`
 * JSON; `card_no_bidx` holds its blind index (HMAC-SM3, orm/sealed.ts) so the console and
 * 单位通码取票 find a card's bills exactly without opening every row. New bills write it at issue
 * ('' when the bill has no card); bills issued before this migration are indexed by the startup
 * step that follows the migrations (indexBillCards), which needs the data key a migration has not.
 * Portable schema (SQLite, MariaDB, PostgreSQL): knex's builder only.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261209000030_card_index extends Migration {
  override async up(): Promise<void> {
    const q = this.getKnex().schema.alterTable('bill', (t) => {
      t.string('card_no_bidx', 64).nullable();
      t.index(['card_no_bidx'], 'bill_card_no_bidx_index');
    });
    for (const s of q.toSQL()) this.addSql(s.sql);
  }
}
