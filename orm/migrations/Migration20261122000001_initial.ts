/**
 * Initial schema. Written with Knex's schema builder so that one migration produces the right
 * SQL for both SQLite and MySQL/MariaDB. Names follow MikroORM's underscore naming strategy.
 */
import { Migration } from '@mikro-orm/migrations';
import type { Knex } from '@mikro-orm/knex';

type T = Knex.CreateTableBuilder;

export class Migration20261122000001_initial extends Migration {
  private create(name: string, build: (t: T) => void): void {
    const sql = this.getKnex().schema.createTable(name, (t) => {
      t.increments('id').primary();
      build(t);
    });
    for (const q of sql.toSQL()) this.addSql(q.sql);
  }

  override async up(): Promise<void> {
    const dt = (t: T, name: string, nullable = false) => {
      const c = t.datetime(name, { precision: 3 });
      return nullable ? c.nullable() : c.notNullable();
    };
    const fk = (t: T, name: string, table: string, nullable = false) => {
      const c = t.integer(`${name}_id`).unsigned().references('id').inTable(table);
      return nullable ? c.nullable() : c.notNullable();
    };

    this.create('hospital', (t) => {
      t.string('code', 32).notNullable().unique();
      t.string('name', 128).notNullable();
      t.string('region_code', 2).notNullable();
      t.string('public_key', 160).notNullable();
      t.text('private_key_enc').notNullable();
      t.text('check_secret_enc').notNullable();
      dt(t, 'created_at');
    });
    this.create('billing_point', (t) => {
      fk(t, 'hospital', 'hospital');
      t.string('code', 32).notNullable();
      t.string('name', 128).notNullable();
      fk(t, 'parent', 'billing_point', true);
      t.boolean('active').notNullable().defaultTo(true);
      dt(t, 'created_at');
      t.unique(['hospital_id', 'code']);
    });
    this.create('bill_kind', (t) => {
      t.string('code', 4).notNullable().unique();
      t.string('name', 64).notNullable();
      t.string('category', 16).notNullable();
      t.boolean('electronic').notNullable().defaultTo(true);
    });
    this.create('fiscal_item', (t) => {
      t.string('code', 16).notNullable().unique();
      t.string('name', 64).notNullable();
    });
    this.create('charge_code_map', (t) => {
      fk(t, 'hospital', 'hospital');
      t.string('his_code', 32).notNullable();
      t.string('his_name', 64).nullable();
      fk(t, 'fiscal_item', 'fiscal_item');
      t.unique(['hospital_id', 'his_code']);
    });
    this.create('business_category', (t) => {
      fk(t, 'hospital', 'hospital');
      t.string('bus_type', 2).notNullable();
      t.string('name', 32).notNullable();
      fk(t, 'bill_kind', 'bill_kind');
      t.unique(['hospital_id', 'bus_type']);
    });
    this.create('stock_segment', (t) => {
      fk(t, 'hospital', 'hospital');
      fk(t, 'place', 'billing_point');
      fk(t, 'bill_kind', 'bill_kind');
      t.string('bill_batch_code', 8).notNullable();
      t.bigInteger('start_no').notNullable();
      t.bigInteger('end_no').notNullable();
      t.bigInteger('next_no').notNullable();
      t.string('status', 16).notNullable().defaultTo('active');
      dt(t, 'created_at');
      t.unique(['bill_batch_code', 'start_no']);
      t.index(['place_id', 'bill_kind_id', 'status']);
    });
    this.create('his_app', (t) => {
      t.string('appid', 64).notNullable().unique();
      t.string('name', 128).notNullable();
      t.text('key_enc').notNullable();
      fk(t, 'hospital', 'hospital');
      t.boolean('active').notNullable().defaultTo(true);
    });
    this.create('issue_request', (t) => {
      t.string('appid', 64).notNullable();
      t.string('bus_no', 64).notNullable();
      t.string('method', 64).notNullable();
      t.string('payload_hash', 64).notNullable();
      t.text('payload', 'mediumtext').notNullable();
      t.string('status', 16).notNullable().defaultTo('received');
      t.string('error_code', 8).nullable();
      t.text('error_message').nullable();
      t.integer('bill_id').nullable();
      dt(t, 'created_at');
      dt(t, 'updated_at');
      t.unique(['appid', 'bus_no']);
    });
    this.create('bill', (t) => {
      fk(t, 'hospital', 'hospital');
      t.string('appid', 64).notNullable();
      t.string('bus_no', 64).notNullable();
      t.string('bus_type', 2).notNullable();
      t.string('method', 64).notNullable();
      fk(t, 'bill_kind', 'bill_kind');
      fk(t, 'place', 'billing_point');
      t.string('bill_batch_code', 8).notNullable();
      t.string('bill_no', 10).notNullable();
      t.string('random', 6).notNullable();
      t.bigInteger('total_amt').notNullable().defaultTo(0);
      t.string('payer', 128).notNullable();
      t.string('patient_no', 64).notNullable();
      t.string('patient_id', 64).nullable();
      t.string('id_card_no', 32).nullable();
      t.string('tel', 32).nullable();
      t.string('email', 128).nullable();
      t.string('open_id', 64).nullable();
      t.string('payee', 64).notNullable();
      t.string('author', 64).notNullable();
      t.string('checker', 64).nullable();
      t.string('bus_date_time', 17).notNullable();
      dt(t, 'issued_at');
      t.string('state', 16).notNullable().defaultTo('normal');
      t.boolean('is_scarlet').notNullable().defaultTo(false);
      t.text('remark').nullable();
      t.text('extra', 'mediumtext').nullable();
      t.text('list_detail', 'mediumtext').nullable();
      t.text('signed_data', 'mediumtext').notNullable();
      t.string('signature', 160).notNullable();
      t.string('layout_path', 255).nullable();
      t.string('layout_sha256', 64).nullable();
      t.string('upload_state', 16).notNullable().defaultTo('pending');
      t.string('workflow_id', 160).notNullable();
      t.unique(['bill_batch_code', 'bill_no']);
      t.unique(['appid', 'bus_no']);
      t.index(['issued_at']);
      t.index(['place_id', 'issued_at']);
      t.index(['patient_no']);
      t.index(['upload_state']);
    });
    this.create('bill_item', (t) => {
      fk(t, 'bill', 'bill');
      t.integer('sort_no').notNullable();
      t.string('his_code', 32).notNullable();
      t.string('fiscal_code', 16).notNullable();
      t.string('name', 128).notNullable();
      t.string('unit', 16).nullable();
      t.string('std', 24).nullable();
      t.string('number', 24).nullable();
      t.bigInteger('amt').notNullable().defaultTo(0);
      t.bigInteger('self_amt').notNullable().defaultTo(0);
      t.string('remark', 255).nullable();
    });
    this.create('bill_payment', (t) => {
      fk(t, 'bill', 'bill');
      t.string('channel_code', 8).notNullable();
      t.bigInteger('amount').notNullable().defaultTo(0);
    });
    this.create('notification', (t) => {
      fk(t, 'bill', 'bill');
      t.string('channel', 16).notNullable();
      t.string('target', 128).notNullable();
      t.string('status', 16).notNullable().defaultTo('pending');
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('last_error').nullable();
      t.string('provider_id', 64).nullable();
      dt(t, 'sent_at', true);
      dt(t, 'created_at');
      t.unique(['bill_id', 'channel']);
    });
    this.create('user', (t) => {
      t.string('username', 64).notNullable().unique();
      t.string('display_name', 64).notNullable();
      t.string('password_hash', 200).notNullable();
      t.string('roles', 128).notNullable();
      t.string('place_code', 32).nullable();
      t.boolean('active').notNullable().defaultTo(true);
      dt(t, 'created_at');
    });
  }
}
