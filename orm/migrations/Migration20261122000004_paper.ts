/**
 * Paper bills (纸质票据). `paper_segment`: the fiscal paper forms a billing point holds, numbered
 * like e-bill stock (8-digit paper code, numbers start..end, `next_no` = the next unused form),
 * each for one e-bill kind. `paper_number`: every paper number that was used or voided, unique by
 * (code, number): printed (exchanged for an e-bill), voided (a printed form voided: who, why,
 * when) or blank_voided (never printed, voided blank). Every number of a segment is either a row
 * here or unused (>= next_no). `print_job`: each print sent to a printer, by an idempotent job id.
 */
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000004_paper extends Migration {
  override async up(): Promise<void> {
    const knex = this.getKnex();
    const steps = [
      knex.schema.createTable('paper_segment', (t) => {
        t.increments('id').primary();
        t.integer('hospital_id').unsigned().notNullable().references('id').inTable('hospital');
        t.integer('place_id').unsigned().notNullable().references('id').inTable('billing_point');
        t.integer('bill_kind_id').unsigned().notNullable().references('id').inTable('bill_kind');
        t.string('p_bill_batch_code', 8).notNullable();
        t.string('name', 64).notNullable();
        t.bigInteger('start_no').notNullable();
        t.bigInteger('end_no').notNullable();
        t.bigInteger('next_no').notNullable();
        t.string('status', 16).notNullable().defaultTo('active');
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.unique(['p_bill_batch_code', 'start_no']);
        t.index(['place_id', 'status']);
      }),
      knex.schema.createTable('paper_number', (t) => {
        t.increments('id').primary();
        t.integer('segment_id').unsigned().notNullable().references('id').inTable('paper_segment');
        t.string('p_bill_batch_code', 8).notNullable();
        t.string('p_bill_no', 10).notNullable();
        t.bigInteger('p_no').notNullable();
        t.string('state', 16).notNullable();
        t.integer('bill_id').unsigned().nullable().references('id').inTable('bill');
        t.string('operator', 64).nullable();
        t.datetime('printed_at', { precision: 3 }).nullable();
        t.text('void_reason').nullable();
        t.string('voided_by', 64).nullable();
        t.datetime('voided_at', { precision: 3 }).nullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.unique(['p_bill_batch_code', 'p_bill_no']);
        t.index(['segment_id', 'p_no']);
        t.index(['bill_id']);
      }),
      knex.schema.createTable('print_job', (t) => {
        t.increments('id').primary();
        t.string('job_id', 96).notNullable().unique();
        t.integer('bill_id').unsigned().notNullable().references('id').inTable('bill');
        t.string('kind', 16).notNullable(); // paper_form | layout
        t.string('printer', 64).notNullable();
        t.string('p_bill_batch_code', 8).nullable();
        t.string('p_bill_no', 10).nullable();
        t.string('state', 16).notNullable().defaultTo('queued'); // queued | printed | cancelled
        t.integer('attempts').notNullable().defaultTo(0);
        t.text('last_error').nullable();
        t.string('operator', 64).notNullable();
        t.datetime('created_at', { precision: 3 }).notNullable();
        t.datetime('printed_at', { precision: 3 }).nullable();
        t.index(['bill_id']);
      }),
    ];
    for (const step of steps) for (const q of step.toSQL()) this.addSql(q.sql);
  }
}
