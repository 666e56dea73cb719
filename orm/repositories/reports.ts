/**
 * The reads behind the console's reports (api/console/reports.ts, stock-reports.ts): the bill
 * listings in keyset pages, and the stock tables (stock_receipt, stock_pool, stock_segment,
 * stock_movement, requisition*). All on the ORM's connection, outside any transaction.
 */
import { openFields } from '../sealed';
import type { Connection, EntityManager } from '@mikro-orm/core';

type Execute = Pick<Connection, 'execute'>;
const conn = (em: EntityManager): Execute => em.getConnection();
const dbTime = (em: EntityManager, d: Date) => em.getPlatform().processDateProperty(d);

// ---- bill listings ----

export interface BillReportRow {
  id: number;
  bus_date_time: string;
  issued_at: string | number | Date;
  place_code: string;
  place_name: string;
  payee: string;
  payer: string;
  bus_no: string;
  extra: string | null;
  total_amt: number | string;
  kind_name: string;
  bill_batch_code: string;
  bill_no: string;
  state: string;
  is_scarlet: number | boolean;
  paper_bill_no: string | null;
  red_no: string | null;
  original_no: string | null;
  channels: string | null;
}

export interface BillListingFilter {
  from: Date;
  to: Date;
  placeCode?: string;
}

/** The listing's groups: points (by code) or cashiers; `place` / `payee`. */
export type BillListingGroup = 'place' | 'payee';

const listingWhere = (em: EntityManager, f: BillListingFilter) => {
  const where = ['b.issued_at >= ?', 'b.issued_at < ?'];
  const args: unknown[] = [dbTime(em, f.from), dbTime(em, f.to)];
  if (f.placeCode) {
    where.push('p.code = ?');
    args.push(f.placeCode);
  }
  return { where, args };
};
const groupColumn = (groupBy: BillListingGroup) => (groupBy === 'place' ? 'p.code' : 'b.payee');

/** The points or cashiers that issued bills in the period, in order. */
export async function billListingGroups(em: EntityManager, groupBy: BillListingGroup, f: BillListingFilter): Promise<string[]> {
  const { where, args } = listingWhere(em, f);
  const keys = await conn(em).execute<Array<{ g: string }>>(
    `select distinct ${groupColumn(groupBy)} as g from bill b join billing_point p on p.id = b.place_id where ${where.join(' and ')} order by g`,
    args,
  );
  return keys.map((k: { g: string }) => k.g);
}

/** One keyset page of a group's bills in the period (ids after `afterId`, in id order). */
export async function billListingPage(em: EntityManager, groupBy: BillListingGroup, f: BillListingFilter, group: string, afterId: number, pageSize: number): Promise<BillReportRow[]> {
  const { where, args } = listingWhere(em, f);
  const groupCol = groupColumn(groupBy);
  const rows = await conn(em).execute<BillReportRow[]>(
    `select b.id, b.bus_date_time, b.issued_at, p.code as place_code, p.name as place_name, b.payee, b.payer, b.bus_no, b.extra, b.total_amt,
            k.name as kind_name, b.bill_batch_code, b.bill_no, b.state, b.is_scarlet, b.paper_bill_no,
            r.bill_no as red_no, o.bill_no as original_no,
            (select group_concat(distinct bp.channel_code) from bill_payment bp where bp.bill_id = b.id) as channels
       from bill b join billing_point p on p.id = b.place_id join bill_kind k on k.id = b.bill_kind_id
       left join bill r on r.id = b.scarlet_bill_id left join bill o on o.id = b.related_bill_id
      where ${where.join(' and ')} and ${groupCol} = ? and b.id > ? order by b.id limit ${Number(pageSize)}`,
    [...args, group, afterId],
  );
  for (const r of rows) openFields(em, r, ['extra']); // sealed at rest (orm/sealed.ts)
  return rows;
}

// ---- stock ----

export interface StockBalanceRow {
  location: string;
  kind_name: string;
  bill_batch_code: string;
  ranges: number;
  first_no: number | string;
  last_no: number | string;
  quantity: number | string;
}

/** What is left now: received but not stocked in, the hospital pool, each point's unused numbers (per bill code). */
export async function* stockBalance(em: EntityManager): AsyncGenerator<StockBalanceRow> {
  const parts = [
    `select '待入库（已下发）' as location, k.name as kind_name, r.bill_batch_code, count(*) as ranges, min(r.start_no) as first_no, max(r.end_no) as last_no, sum(r.end_no - r.start_no + 1) as quantity
       from stock_receipt r join bill_kind k on k.id = r.bill_kind_id where r.state = 'received' group by k.name, r.bill_batch_code order by r.bill_batch_code`,
    `select '医院库存' as location, k.name as kind_name, s.bill_batch_code, count(*) as ranges, min(s.start_no) as first_no, max(s.end_no) as last_no, sum(s.end_no - s.start_no + 1) as quantity
       from stock_pool s join bill_kind k on k.id = s.bill_kind_id group by k.name, s.bill_batch_code order by s.bill_batch_code`,
    `select p.name as location, k.name as kind_name, s.bill_batch_code, count(*) as ranges, min(s.next_no) as first_no, max(s.end_no) as last_no, sum(s.end_no - s.next_no + 1) as quantity
       from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
      where s.next_no <= s.end_no group by p.code, p.name, k.name, s.bill_batch_code order by p.code, s.bill_batch_code`,
  ];
  for (const sql of parts) yield* await conn(em).execute<StockBalanceRow[]>(sql);
}

export interface RequisitionReportRow {
  id: number;
  requisition_no: string;
  state: string;
  revision: number;
  created_by: string | null;
  submitted_at: string | null;
  reviewer: string | null;
  reviewed_at: string | null;
  review_comment: string | null;
  stocked_by: string | null;
  stocked_at: string | null;
}

/** The requisitions created in [from, to), in id order. */
export async function requisitionsCreatedIn(em: EntityManager, from: Date, to: Date): Promise<RequisitionReportRow[]> {
  return conn(em).execute<RequisitionReportRow[]>(
    `select id, requisition_no, state, revision, created_by, submitted_at, reviewer, reviewed_at, review_comment, stocked_by, stocked_at
       from requisition where created_at >= ? and created_at < ? order by id`,
    [dbTime(em, from), dbTime(em, to)],
  );
}

export async function requisitionLineNames(em: EntityManager, requisitionId: number): Promise<Array<{ name: string; quantity: number }>> {
  return conn(em).execute('select k.name, l.quantity from requisition_line l join bill_kind k on k.id = l.bill_kind_id where l.requisition_id = ? order by l.id', [requisitionId]);
}

export async function requisitionSegments(em: EntityManager, requisitionId: number): Promise<Array<{ bill_batch_code: string; start_no: number | string; end_no: number | string }>> {
  return conn(em).execute('select bill_batch_code, start_no, end_no from stock_receipt where requisition_id = ? order by id', [requisitionId]);
}

export interface MovementReportRow {
  created_at: string;
  type: string;
  place_name: string | null;
  kind_name: string;
  bill_batch_code: string;
  start_no: number | string;
  end_no: number | string;
  quantity: number | string;
  actor: string | null;
  reason: string | null;
}

/** The stock movements of these types in [from, to) (of one point, or all), in id order. */
export async function stockMovementsIn(em: EntityManager, types: string[], from: Date, to: Date, placeCode?: string): Promise<MovementReportRow[]> {
  const where = [`m.type in (${types.map(() => '?').join(', ')})`, 'm.created_at >= ?', 'm.created_at < ?'];
  const params: unknown[] = [...types, dbTime(em, from), dbTime(em, to)];
  if (placeCode) {
    where.push('p.code = ?');
    params.push(placeCode);
  }
  return conn(em).execute<MovementReportRow[]>(
    `select m.created_at, m.type, p.name as place_name, k.name as kind_name, m.bill_batch_code, m.start_no, m.end_no, m.quantity, m.actor, m.reason
       from stock_movement m join bill_kind k on k.id = m.bill_kind_id left join billing_point p on p.id = m.place_id
      where ${where.join(' and ')} order by m.id`,
    params,
  );
}

/** Every (point, kind) that ever held stock (of one point, or all). */
export async function pointKindsEverStocked(em: EntityManager, placeCode?: string): Promise<Array<{ place_id: number; place_code: string; place_name: string; kind_id: number; kind_name: string }>> {
  return conn(em).execute(
    `select distinct p.id as place_id, p.code as place_code, p.name as place_name, k.id as kind_id, k.name as kind_name
       from stock_segment s join billing_point p on p.id = s.place_id join bill_kind k on k.id = s.bill_kind_id
      where 1 = 1${placeCode ? ' and p.code = ?' : ''} order by p.code, k.id`,
    placeCode ? [placeCode] : [],
  );
}

/** Before `from`, or within [from, to). */
export type UsageWindow = { before: Date } | { from: Date; to: Date };

const windowOf = (em: EntityManager, col: string, w: UsageWindow): [string, unknown[]] =>
  'before' in w ? [`${col} < ?`, [dbTime(em, w.before)]] : [`${col} >= ? and ${col} < ?`, [dbTime(em, w.from), dbTime(em, w.to)]];

async function sums(em: EntityManager, sql: string, params: unknown[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const r of await conn(em).execute<Array<{ place_id: number; kind_id: number; n: number | string }>>(sql, params)) m.set(`${r.place_id}|${r.kind_id}`, Number(r.n));
  return m;
}

/** Numbers moved by movements of a type in the window, keyed `placeId|kindId`. */
export function movedPerPointKind(em: EntityManager, type: string, w: UsageWindow): Promise<Map<string, number>> {
  const [cond, params] = windowOf(em, 'm.created_at', w);
  return sums(em, `select m.place_id, m.bill_kind_id as kind_id, sum(m.quantity) as n from stock_movement m where m.type = ? and m.place_id is not null and ${cond} group by m.place_id, m.bill_kind_id`, [type, ...params]);
}

/** Bills issued in the window (red bills included: each takes a number), keyed `placeId|kindId`. */
export function issuedPerPointKind(em: EntityManager, w: UsageWindow): Promise<Map<string, number>> {
  const [cond, params] = windowOf(em, 'b.issued_at', w);
  return sums(em, `select b.place_id, b.bill_kind_id as kind_id, count(*) as n from bill b where ${cond} group by b.place_id, b.bill_kind_id`, params);
}
