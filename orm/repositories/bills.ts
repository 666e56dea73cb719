/**
 * Bills once stored (bill, bill_item, bill_payment): their numbers, their content for the layout
 * and the red bill, and the changes of their life (layout file, reversal). insertBill is in
 * bill-store.ts.
 */
import { fieldError } from '../../common/errors';
import type { Sql } from '../sql';
import { onConnection, type Db } from './db';
import { openFields } from '../sealed';

/**
 * Takes the next number of the point's stock for the bill kind, inside the caller's transaction.
 * The conditional UPDATE both locks the segment row (MySQL) / the database (SQLite) and refuses a
 * used-up segment, so two transactions can never get the same number; a rollback returns it.
 */
export async function takeNextNumber(
  tx: Sql,
  placeId: number,
  kindId: number,
  placeCode: string,
): Promise<{ segmentId: number; billBatchCode: string; number: number }> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await tx.execute<Array<{ id: number }>>(
      `select id from stock_segment where place_id = ? and bill_kind_id = ? and status = 'active' and next_no <= end_no
       order by bill_batch_code, start_no limit 1`,
      [placeId, kindId],
    );
    if (rows.length === 0) {
      throw fieldError('placeCode', `开票点 ${placeCode} 没有该票据种类的剩余票号，请申领或分发票据（库存不足）`, 'E0023');
    }
    const id = Number(rows[0].id);
    const res = await tx.execute<{ affectedRows: number }>(
      'update stock_segment set next_no = next_no + 1 where id = ? and next_no <= end_no',
      [id],
      'run',
    );
    if (res.affectedRows !== 1) continue; // used up by a concurrent transaction: try the next segment
    const [seg] = await tx.execute<Array<{ bill_batch_code: string; next_no: number | string }>>(
      'select bill_batch_code, next_no from stock_segment where id = ?',
      [id],
    );
    return { segmentId: id, billBatchCode: seg.bill_batch_code, number: Number(seg.next_no) - 1 };
  }
  throw new Error(`could not take a number at ${placeCode} after 100 attempts`);
}

export interface BillItemRow {
  sort_no: number;
  his_code: string;
  fiscal_code: string;
  name: string;
  unit: string | null;
  std: string | null;
  number: string | null;
  amt: number | string;
  self_amt: number | string;
  remark: string | null;
}

export interface BillPaymentRow {
  channel_code: string;
  amount: number | string;
}

/** A bill's charge items, in their order. */
export function itemsOfBill(db: Db, billId: number): Promise<BillItemRow[]> {
  return onConnection<BillItemRow[]>(db, 'select sort_no, his_code, fiscal_code, name, unit, std, number, amt, self_amt, remark from bill_item where bill_id = ? order by sort_no, id', [billId]);
}

/** A bill's payments, in their order. */
export function paymentsOfBill(db: Db, billId: number): Promise<BillPaymentRow[]> {
  return onConnection<BillPaymentRow[]>(db, 'select channel_code, amount from bill_payment where bill_id = ? order by id', [billId]);
}

/** A bill with what its layout file and its notices show (hospital, point, kind, related bill). */
export interface DeliveryBillRow {
  id: number;
  hospital_id: number;
  bill_batch_code: string;
  bill_no: string;
  random: string;
  issued_at: number | string | Date;
  payer: string;
  id_card_no: string | null;
  patient_no: string;
  bus_no: string;
  bus_type: string;
  payee: string;
  checker: string | null;
  author: string;
  total_amt: number | string;
  remark: string | null;
  extra: string | null;
  state: string;
  is_scarlet: number | boolean;
  signature: string;
  tel: string | null;
  email: string | null;
  open_id: string | null;
  layout_path: string | null;
  hospital_name: string;
  region_code: string;
  place_name: string;
  kind_name: string;
  related_code: string | null;
  related_no: string | null;
}

export async function billForDelivery(db: Db, billId: number): Promise<DeliveryBillRow | undefined> {
  const [row] = await onConnection<DeliveryBillRow[]>(
    db,
    `select b.id, b.hospital_id, b.bill_batch_code, b.bill_no, b.random, b.issued_at, b.payer, b.id_card_no, b.patient_no, b.bus_no, b.bus_type,
            b.payee, b.checker, b.author, b.total_amt, b.remark, b.extra, b.state, b.is_scarlet, b.signature, b.tel, b.email,
            b.open_id, b.layout_path, h.name as hospital_name, h.region_code, p.name as place_name, k.name as kind_name,
            r.bill_batch_code as related_code, r.bill_no as related_no
       from bill b join hospital h on h.id = b.hospital_id join billing_point p on p.id = b.place_id join bill_kind k on k.id = b.bill_kind_id
       left join bill r on r.id = b.related_bill_id
      where b.id = ?`,
    [billId],
  );
  return openFields(db, row, ['id_card_no', 'tel', 'email', 'extra']);
}

/** Records where a bill's layout file lies (relative to the data folder) and its SHA-256. */
export async function recordLayoutFile(db: Db, billId: number, relPath: string, sha256: string): Promise<void> {
  await onConnection(db, 'update bill set layout_path = ?, layout_sha256 = ? where id = ?', [relPath, sha256, billId], 'run');
}

/**
 * Marks a normal, non-red bill whose paper form is not out as reversed (and pending upload again:
 * the fiscal side learns of the reversal). False when it is not such a bill any more: the
 * conditional UPDATE is the compare-and-swap that lets one reversal through.
 */
export async function markReversed(sql: Sql, billId: number, r: { at: Date; reason: string; operator: string }): Promise<boolean> {
  const marked = await sql.execute<{ affectedRows: number }>(
    `update bill set state = 'reversed', reversed_at = ?, write_off_reason = ?, write_off_operator = ?, upload_state = 'pending', upload_reason = null where id = ? and state = 'normal' and is_scarlet = 0 and paper_state <> 'exchanged'`,
    [sql.getPlatform().processDateProperty(r.at), r.reason, r.operator, billId],
    'run',
  );
  return marked.affectedRows === 1;
}

/** A bill's paper form as the transaction sees it now. */
export async function paperFormOf(sql: Sql, billId: number): Promise<{ paper_state: string; paper_bill_batch_code: string | null; paper_bill_no: string | null } | undefined> {
  const [row] = await sql.execute<Array<{ paper_state: string; paper_bill_batch_code: string | null; paper_bill_no: string | null }>>(
    'select paper_state, paper_bill_batch_code, paper_bill_no from bill where id = ?',
    [billId],
  );
  return row;
}

/** Points a reversed bill to its red bill. */
export async function linkScarletBill(sql: Sql, originalId: number, redId: number): Promise<void> {
  await sql.execute('update bill set scarlet_bill_id = ? where id = ?', [redId, originalId], 'run');
}

/** Count and amount of a point's bills with a business time in [from, to] (the HIS's daily reconciliation). */
export async function pointTotals(db: Db, hospitalId: number, placeId: number, from: string, to: string): Promise<{ n: number | string; amt: number | string | null }> {
  const [agg] = await onConnection<Array<{ n: number | string; amt: number | string | null }>>(
    db,
    'select count(*) as n, sum(total_amt) as amt from bill where hospital_id = ? and place_id = ? and bus_date_time between ? and ?',
    [hospitalId, placeId, from, to],
  );
  return agg;
}

export interface BillRefundRow {
  id: number;
  refund_no: string;
  state: string;
  amount: number | string;
  channel: string;
  created_at: string;
}

/** A bill's refund requests (退费申请), newest first. */
export function refundsOfBill(db: Db, billId: number): Promise<BillRefundRow[]> {
  return onConnection<BillRefundRow[]>(db, 'select id, refund_no, state, amount, channel, created_at from refund where bill_id = ? order by id desc', [billId]);
}
