/**
 * Bill stock (票据库存): the hospital's own numbers between the fiscal platform and the billing points.
 *
 * - `requisition` (申领单) with its `requisition_line`s (bill kind + quantity) and every step in
 *   `requisition_event` (who, when, what). State: draft -> submitted -> returned (edit, resubmit:
 *   revision + 1) | received (segments issued by the fiscal side) -> stocked (入库 confirmed).
 * - `stock_receipt`: every number segment ever received from the fiscal platform (the audit's universe).
 * - `stock_pool`: the hospital's unused ranges, confirmed into stock but not at a billing point.
 *   Distribution carves a range out of it into a `stock_segment` at a point; a return puts a
 *   point's unused tail back.
 * - `stock_void`: unused numbers voided by finance with a reason (a gap is always explained).
 * - `stock_movement`: the log of every stock-in, distribution, return and void (reports read it).
 * - `stock_threshold` per point and kind; `stock_alarm`: at most one open alarm per point and kind
 *   (`open_key` is unique while open, NULL once closed).
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000008_stock extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('requisition', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.string('requisition_no', 32).notNullable().unique();
        t.string('state', 16).notNullable().defaultTo('draft');
        t.integer('revision').notNullable().defaultTo(1);
        t.text('remark').nullable();
        t.string('created_by', 64).notNullable();
        t.string('workflow_id', 160).nullable();
        t.string('fiscal_requisition_no', 64).nullable();
        t.string('reviewer', 64).nullable();
        t.text('review_comment').nullable();
        t.datetime('reviewed_at', { precision: 3 }).nullable();
        t.datetime('submitted_at', { precision: 3 }).nullable();
        t.string('stocked_by', 64).nullable();
        t.datetime('stocked_at', { precision: 3 }).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.index(['state']);
      }),
      knex.schema.createTable('requisition_line', (t) => {
        t.increments('id').primary();
        t.integer('requisition_id').unsigned().notNullable().references('id').inTable('requisition');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.integer('quantity').notNullable();
        t.index(['requisition_id']);
      }),
      knex.schema.createTable('requisition_event', (t) => {
        t.increments('id').primary();
        t.integer('requisition_id').unsigned().notNullable().references('id').inTable('requisition');
        t.string('type', 32).notNullable();
        t.string('actor', 64).notNullable();
        t.integer('revision').notNullable();
        t.text('detail').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['requisition_id', 'id']);
      }),
      knex.schema.createTable('stock_receipt', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('requisition_id').unsigned().nullable().references('id').inTable('requisition');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('bill_batch_code', 8).notNullable();
        t.bigInteger('start_no').notNullable();
        t.bigInteger('end_no').notNullable();
        t.string('state', 16).notNullable().defaultTo('received');
        t.datetime('received_at', { precision: 3 }).notNullable();
        t.string('stocked_by', 64).nullable();
        t.datetime('stocked_at', { precision: 3 }).nullable();
        t.unique(['bill_batch_code', 'start_no']);
        t.index(['requisition_id']);
      }),
      knex.schema.createTable('stock_pool', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('bill_batch_code', 8).notNullable();
        t.bigInteger('start_no').notNullable();
        t.bigInteger('end_no').notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.unique(['bill_batch_code', 'start_no']);
        t.index(['hospital_id', 'bill_kind_id']);
      }),
      knex.schema.createTable('stock_void', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('bill_batch_code', 8).notNullable();
        t.bigInteger('start_no').notNullable();
        t.bigInteger('end_no').notNullable();
        t.integer('place_id').unsigned().nullable().references('id').inTable('billing_point');
        t.text('reason').notNullable();
        t.string('voided_by', 64).notNullable();
        t.datetime('voided_at', { precision: 3 }).notNullable();
        t.unique(['bill_batch_code', 'start_no']);
      }),
      knex.schema.createTable('stock_movement', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.string('type', 16).notNullable(); // stock_in | distribute | return | void
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('bill_batch_code', 8).notNullable();
        t.bigInteger('start_no').notNullable();
        t.bigInteger('end_no').notNullable();
        t.bigInteger('quantity').notNullable();
        t.integer('place_id').unsigned().nullable().references('id').inTable('billing_point');
        t.integer('requisition_id').unsigned().nullable();
        t.string('actor', 64).notNullable();
        t.text('reason').nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.index(['hospital_id', 'created_at']);
        t.index(['place_id']);
      }),
      knex.schema.createTable('stock_threshold', (t) => {
        t.increments('id').primary();
        t.integer('place_id').unsigned().notNullable().references('id').inTable('billing_point');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.bigInteger('min_remaining').notNullable();
        t.string('updated_by', 64).notNullable();
        t.datetime('updated_at', { precision: 3 }).notNullable();
        t.unique(['place_id', 'bill_kind_id']);
      }),
      knex.schema.createTable('stock_alarm', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('place_id').unsigned().notNullable().references('id').inTable('billing_point');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('state', 16).notNullable().defaultTo('open');
        t.string('open_key', 64).nullable().unique();
        t.bigInteger('remaining').notNullable();
        t.bigInteger('threshold').notNullable();
        t.datetime('opened_at', { precision: 3 }).notNullable();
        t.datetime('checked_at', { precision: 3 }).notNullable();
        t.datetime('closed_at', { precision: 3 }).nullable();
        t.text('closed_reason').nullable();
        t.index(['state']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
