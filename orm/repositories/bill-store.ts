/**
 * Writes a signed bill with its items and payments, inside the caller's transaction (the one that
 * holds the billing point's number). Plain INSERTs: that transaction holds the segment's lock, so
 * it must be short, and the ORM's unit of work would triple its CPU time (bench/RESULTS.md).
 * Issuance and reversal both store bills through here. The patient's ID number, phone and e-mail,
 * the signed text and the extra fields are sealed here (orm/sealed.ts), with the blind indexes.
 */
import type { SqlEntityManager } from '@mikro-orm/knex';
import type { Fen } from '../../common/money';
import { sealIn, sealedBillContacts } from '../sealed';

export interface NewBill {
  hospitalId: number;
  appid: string;
  busNo: string;
  busType: string;
  method: string;
  billKindId: number;
  placeId: number;
  billBatchCode: string;
  billNo: string;
  random: string;
  totalAmt: Fen;
  payer: string;
  patientNo: string;
  patientId?: string | null;
  idCardNo?: string | null;
  tel?: string | null;
  email?: string | null;
  openId?: string | null;
  payee: string;
  author: string;
  checker?: string | null;
  busDateTime: string;
  issuedAt: Date;
  isScarlet: boolean;
  remark?: string | null;
  extra?: string | null;
  listDetail?: string | null;
  signedData: string;
  signature: string;
  workflowId: string;
  relatedBillId?: number | null;
  /** A partial-refund reissue: the bill it replaces. */
  originBillId?: number | null;
}

export interface NewBillItem {
  sortNo: number;
  hisCode: string;
  fiscalCode: string;
  name: string;
  unit?: string | null;
  std?: string | null;
  number?: string | null;
  amt: Fen;
  selfAmt: Fen;
  remark?: string | null;
}

/** Inserts the bill, its items and payments; returns the bill's id. */
export async function insertBill(sql: SqlEntityManager, b: NewBill, items: NewBillItem[], payments: Array<{ channelCode: string; amount: Fen }>): Promise<number> {
  const columns: Array<[string, unknown]> = [
    ['hospital_id', b.hospitalId], ['appid', b.appid], ['bus_no', b.busNo], ['bus_type', b.busType], ['method', b.method],
    ['bill_kind_id', b.billKindId], ['place_id', b.placeId], ['bill_batch_code', b.billBatchCode], ['bill_no', b.billNo],
    ['random', b.random], ['total_amt', b.totalAmt], ['payer', b.payer], ['patient_no', b.patientNo], ['patient_id', b.patientId ?? null],
    ...sealedBillContacts(sql, b), ['open_id', b.openId ?? null],
    ['payee', b.payee], ['author', b.author], ['checker', b.checker ?? null], ['bus_date_time', b.busDateTime],
    ['issued_at', sql.getPlatform().processDateProperty(b.issuedAt)], ['state', 'normal'], ['is_scarlet', b.isScarlet ? 1 : 0],
    ['remark', b.remark ?? null], ['extra', sealIn(sql, b.extra ?? null)], ['list_detail', b.listDetail ?? null], ['signed_data', sealIn(sql, b.signedData)],
    ['signature', b.signature], ['upload_state', 'pending'], ['workflow_id', b.workflowId], ['related_bill_id', b.relatedBillId ?? null],
    ['origin_bill_id', b.originBillId ?? null],
  ];
  const inserted = await sql.execute<{ insertId: number }>(
    `insert into bill (${columns.map(([c]) => c).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    columns.map(([, v]) => v),
    'run',
  );
  const billId = Number(inserted.insertId);
  if (items.length) {
    await sql.execute(
      `insert into bill_item (bill_id, sort_no, his_code, fiscal_code, name, unit, std, number, amt, self_amt, remark) values ${items.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      items.flatMap((i) => [billId, i.sortNo, i.hisCode, i.fiscalCode, i.name, i.unit ?? null, i.std ?? null, i.number ?? null, i.amt, i.selfAmt, i.remark ?? null]),
      'run',
    );
  }
  if (payments.length) {
    await sql.execute(
      `insert into bill_payment (bill_id, channel_code, amount) values ${payments.map(() => '(?, ?, ?)').join(', ')}`,
      payments.flatMap((p) => [billId, p.channelCode, p.amount]),
      'run',
    );
  }
  return billId;
}
