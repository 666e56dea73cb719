/**
 * The reads behind the finance reports (api/console/finance-reports.ts: 医疗电子票据汇总表,
 * 交费渠道汇总表, 日报明细, 单位收费情况, 退费台账). Bills are read in keyset pages (id order) with
 * their payments per channel; the reports sum them in integer fen. Refunds are read from `refund`
 * with their approvals from `refund_action`. All on the ORM's connection, outside any transaction.
 */
import type { EntityManager } from '@mikro-orm/core';
import { openFields } from '../sealed';
import { onConnection, type Db } from './db';

const dbTime = (em: EntityManager, d: Date) => em.getPlatform().processDateProperty(d);

/** What a finance report covers: issued (or, for refunds, filed) in [from, to). */
export interface FinanceFilter {
  from: Date;
  to: Date;
  /** Only these billing points (undefined: the whole hospital). */
  placeCodes?: string[];
  /** Only bills of these HIS cashier codes (the 开票员's codes in the collector mapping). */
  payees?: string[];
  busType?: string;
}

function billWhere(em: EntityManager, f: FinanceFilter, alias = 'b'): { where: string[]; args: unknown[] } {
  const where = [`${alias}.issued_at >= ?`, `${alias}.issued_at < ?`];
  const args: unknown[] = [dbTime(em, f.from), dbTime(em, f.to)];
  if (f.placeCodes) {
    where.push(`p.code in (${f.placeCodes.map(() => '?').join(', ')})`);
    args.push(...f.placeCodes);
  }
  if (f.payees) {
    where.push(`${alias}.payee in (${f.payees.map(() => '?').join(', ')})`);
    args.push(...f.payees);
  }
  if (f.busType) {
    where.push(`${alias}.bus_type = ?`);
    args.push(f.busType);
  }
  return { where, args };
}

export interface FinanceBillRow {
  id: number;
  issued_at: string | number | Date;
  place_code: string;
  place_name: string;
  bus_type: string;
  bus_no: string;
  kind_code: string;
  kind_name: string;
  payee: string;
  payer: string;
  bill_batch_code: string;
  bill_no: string;
  total_amt: number | string;
  state: string;
  is_scarlet: number | boolean;
  related_no: string | null;
  /** Sealed at rest; opened only when asked for (the department is in it). */
  extra?: string | null;
  /** channel code -> amount in fen (red bills negative) */
  payments: Map<string, number>;
}

/** One keyset page of the bills the filter covers (ids after `afterId`), with their payments per channel. */
export async function financeBillsPage(em: EntityManager, f: FinanceFilter, afterId: number, pageSize: number, opts: { extra?: boolean } = {}): Promise<FinanceBillRow[]> {
  const { where, args } = billWhere(em, f);
  const rows = await onConnection<FinanceBillRow[]>(
    em,
    `select b.id, b.issued_at, p.code as place_code, p.name as place_name, b.bus_type, b.bus_no, k.code as kind_code, k.name as kind_name,
            b.payee, b.payer, b.bill_batch_code, b.bill_no, b.total_amt, b.state, b.is_scarlet,
            coalesce(r.bill_no, o.bill_no) as related_no${opts.extra ? ', b.extra' : ''}
       from bill b join billing_point p on p.id = b.place_id join bill_kind k on k.id = b.bill_kind_id
       left join bill r on r.id = b.scarlet_bill_id left join bill o on o.id = b.related_bill_id
      where ${where.join(' and ')} and b.id > ? order by b.id limit ${Number(pageSize)}`,
    [...args, afterId],
  );
  for (const r of rows) r.payments = new Map();
  if (rows.length) {
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const pays = await onConnection<Array<{ bill_id: number; channel_code: string; amount: number | string }>>(
      em,
      `select bill_id, channel_code, sum(amount) as amount from bill_payment where bill_id in (${rows.map(() => '?').join(', ')}) group by bill_id, channel_code`,
      rows.map((r) => r.id),
    );
    for (const p of pays) {
      const r = byId.get(Number(p.bill_id));
      if (r) r.payments.set(p.channel_code, (r.payments.get(p.channel_code) ?? 0) + Number(p.amount));
    }
  }
  if (opts.extra) for (const r of rows) openFields(em, r, ['extra']);
  return rows;
}

/** The pay channels the filter's bills were paid through, in code order. */
export async function financeChannels(em: EntityManager, f: FinanceFilter): Promise<string[]> {
  const { where, args } = billWhere(em, f);
  const rows = await onConnection<Array<{ c: string }>>(
    em,
    `select distinct bp.channel_code as c from bill_payment bp join bill b on b.id = bp.bill_id join billing_point p on p.id = b.place_id where ${where.join(' and ')} order by c`,
    args,
  );
  return rows.map((r) => r.c);
}

/** The filter's totals: bills (and red bills among them), their amount, and the amount per channel, in fen. */
export async function financeTotals(em: EntityManager, f: FinanceFilter): Promise<{ count: number; scarlet: number; amount: number; scarletAmount: number; channels: Map<string, number> }> {
  const { where, args } = billWhere(em, f);
  const [t] = await onConnection<Array<{ n: number | string; s: number | string | null; amt: number | string | null; samt: number | string | null }>>(
    em,
    `select count(*) as n, sum(case when b.is_scarlet = ? then 1 else 0 end) as s, sum(b.total_amt) as amt, sum(case when b.is_scarlet = ? then b.total_amt else 0 end) as samt from bill b join billing_point p on p.id = b.place_id where ${where.join(' and ')}`,
    [1, 1, ...args],
  );
  const ch = await onConnection<Array<{ c: string; amt: number | string }>>(
    em,
    `select bp.channel_code as c, sum(bp.amount) as amt from bill_payment bp join bill b on b.id = bp.bill_id join billing_point p on p.id = b.place_id where ${where.join(' and ')} group by bp.channel_code`,
    args,
  );
  return { count: Number(t?.n ?? 0), scarlet: Number(t?.s ?? 0), amount: Number(t?.amt ?? 0), scarletAmount: Number(t?.samt ?? 0), channels: new Map(ch.map((c) => [c.c, Number(c.amt)])) };
}

/** HIS cashier code -> the mapped user (开票员对照), with the user's display name. */
export async function collectorMap(db: Db): Promise<Array<{ hisCode: string; username: string; displayName: string }>> {
  const rows = await onConnection<Array<{ his_code: string; username: string; display_name: string | null; his_name: string | null }>>(
    db,
    'select c.his_code, c.username, u.display_name, c.his_name from collector c left join user u on u.username = c.username order by c.username, c.his_code',
  );
  return rows.map((r) => ({ hisCode: r.his_code, username: r.username, displayName: r.display_name ?? r.his_name ?? r.username }));
}

/** The business categories (业务类别) by busType. */
export async function businessCategories(db: Db): Promise<Array<{ busType: string; name: string }>> {
  const rows = await onConnection<Array<{ bus_type: string; name: string }>>(db, 'select distinct bus_type, name from business_category order by bus_type');
  return rows.map((r) => ({ busType: r.bus_type, name: r.name }));
}

/** Whether a billing point of this code exists. */
export async function pointExists(db: Db, code: string): Promise<boolean> {
  const rows = await onConnection<Array<{ id: number }>>(db, 'select id from billing_point where code = ?', [code]);
  return rows.length > 0;
}

/** The first hospital's name (the export's heading). */
export async function firstHospitalName(db: Db): Promise<string> {
  const [h] = await onConnection<Array<{ name: string }>>(db, 'select name from hospital order by id limit 1');
  return h?.name ?? '';
}

// ---- 退费台账 ----

export interface RefundLedgerRow {
  id: number;
  refund_no: string;
  created_at: unknown;
  updated_at: unknown;
  money_at: unknown;
  bill_batch_code: string;
  bill_no: string;
  place_code: string;
  place_name: string;
  bus_type: string;
  payee: string;
  patient_name: string;
  amount: number | string;
  channel: string;
  state: string;
  money_state: string;
  bill_state: string;
  applicant: string;
  applicant_name: string;
  red_no: string | null;
  reissued_no: string | null;
  /** The approvers' names in the order they approved. */
  approvers: string[];
}

/** One keyset page of the refunds filed in the period (of the bills the filter's points, cashiers and category cover). */
function refundWhere(em: EntityManager, f: FinanceFilter): { where: string[]; args: unknown[] } {
  const where = ['r.created_at >= ?', 'r.created_at < ?'];
  const args: unknown[] = [dbTime(em, f.from), dbTime(em, f.to)];
  if (f.placeCodes) where.push(`p.code in (${f.placeCodes.map(() => '?').join(', ')})`), args.push(...f.placeCodes);
  if (f.payees) where.push(`b.payee in (${f.payees.map(() => '?').join(', ')})`), args.push(...f.payees);
  if (f.busType) where.push('b.bus_type = ?'), args.push(f.busType);
  return { where, args };
}

/** The refunds of the ledger: how many, their amount, and how many (and how much) the channel paid back, in fen. */
export async function refundLedgerTotals(em: EntityManager, f: FinanceFilter): Promise<{ count: number; amount: number; paidCount: number; paidAmount: number }> {
  const { where, args } = refundWhere(em, f);
  const [t] = await onConnection<Array<{ n: number | string; amt: number | string | null; pn: number | string | null; pamt: number | string | null }>>(
    em,
    `select count(*) as n, sum(r.amount) as amt, sum(case when r.money_state = ? then 1 else 0 end) as pn, sum(case when r.money_state = ? then r.amount else 0 end) as pamt
       from refund r join bill b on b.id = r.bill_id join billing_point p on p.id = b.place_id where ${where.join(' and ')}`,
    ['success', 'success', ...args],
  );
  return { count: Number(t?.n ?? 0), amount: Number(t?.amt ?? 0), paidCount: Number(t?.pn ?? 0), paidAmount: Number(t?.pamt ?? 0) };
}

export async function refundLedgerPage(em: EntityManager, f: FinanceFilter, afterId: number, pageSize: number): Promise<RefundLedgerRow[]> {
  const { where, args } = refundWhere(em, f);
  where.push('r.id > ?');
  args.push(afterId);
  const rows = await onConnection<RefundLedgerRow[]>(
    em,
    `select r.id, r.refund_no, r.created_at, r.updated_at, r.money_at, b.bill_batch_code, b.bill_no, p.code as place_code, p.name as place_name,
            b.bus_type, b.payee, r.patient_name, r.amount, r.channel, r.state, r.money_state, r.bill_state, r.applicant, r.applicant_name,
            rb.bill_no as red_no, nb.bill_no as reissued_no
       from refund r join bill b on b.id = r.bill_id join billing_point p on p.id = b.place_id
       left join bill rb on rb.id = r.red_bill_id left join bill nb on nb.id = r.reissued_bill_id
      where ${where.join(' and ')} order by r.id limit ${Number(pageSize)}`,
    args,
  );
  for (const r of rows) r.approvers = [];
  if (rows.length) {
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const acts = await onConnection<Array<{ refund_id: number; actor_name: string }>>(
      em,
      `select refund_id, actor_name from refund_action where action = ? and refund_id in (${rows.map(() => '?').join(', ')}) order by id`,
      ['approve', ...rows.map((r) => r.id)],
    );
    for (const a of acts) byId.get(Number(a.refund_id))?.approvers.push(a.actor_name);
  }
  return rows;
}
