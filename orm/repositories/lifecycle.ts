/**
 * What the bill lifecycle processes (reversal, partial refund) read and store beyond the bill
 * itself: the bill's paper hold, the stored issuance request a reissue is planned from, and the
 * refunds waiting for a reversal.
 */
import type { EntityManager } from '@mikro-orm/core';
import { dbNow, type Sql } from '../sql';
import type { SqlRunner } from './bill-events';
import { openFields, sealIn } from '../sealed';

type Em = Pick<EntityManager, 'getConnection'>;
const conn = (em: Em) => em.getConnection();

export interface BillPaperHoldRow {
  paper_state: string;
  paper_bill_batch_code: string | null;
  paper_bill_no: string | null;
  place_code: string;
  bill_batch_code: string;
  bill_no: string;
}

/** The bill's paper state with its billing point's code. */
export async function billPaperHold(em: Em, billId: number): Promise<BillPaperHoldRow | undefined> {
  const [b] = (await conn(em).execute(
    `select b.paper_state, b.paper_bill_batch_code, b.paper_bill_no, p.code as place_code, b.bill_batch_code, b.bill_no
           from bill b join billing_point p on p.id = b.place_id where b.id = ?`,
    [billId],
  )) as BillPaperHoldRow[];
  return b;
}

/** The bill's current paper form (code and number, null when none), in the caller's transaction. */
export async function billPaperForm(sql: Sql, billId: number): Promise<{ paper_bill_batch_code: string | null; paper_bill_no: string | null } | undefined> {
  const [b] = await sql.execute<Array<{ paper_bill_batch_code: string | null; paper_bill_no: string | null }>>('select paper_bill_batch_code, paper_bill_no from bill where id = ?', [billId]);
  return b;
}

export interface ReissueSourceBill {
  id: number;
  appid: string;
  bus_no: string;
  state: string;
  is_scarlet: number | boolean;
  bill_batch_code: string;
  bill_no: string;
  place_code: string;
}

/** The bill a partial refund reissues, with its billing point's code. */
export async function reissueSourceBill(em: Em, billId: number): Promise<ReissueSourceBill | undefined> {
  const [b] = (await conn(em).execute(
    `select b.id, b.appid, b.bus_no, b.state, b.is_scarlet, b.bill_batch_code, b.bill_no, p.code as place_code
             from bill b join billing_point p on p.id = b.place_id where b.id = ?`,
    [billId],
  )) as ReissueSourceBill[];
  return b;
}

/** The issuance request the bill was issued from (method and payload). */
export async function issueRequestOfBill(em: Em, billId: number): Promise<{ method: string; payload: string } | undefined> {
  const [req] = (await conn(em).execute('select method, payload from issue_request where bill_id = ?', [billId])) as Array<{ method: string; payload: string }>;
  return openFields(em, req, ['payload']);
}

export interface StoredIssueRequest {
  id: number;
  payload_hash: string;
  payload: string;
  bill_id: number | null;
  origin_bill_id: number | null;
}

/** The issuance request stored under (appid, busNo), in the caller's transaction. */
export async function issueRequestByBusNo(sql: Sql, appid: string, busNo: string): Promise<StoredIssueRequest | undefined> {
  const [existing] = await sql.execute<StoredIssueRequest[]>('select id, payload_hash, payload, bill_id, origin_bill_id from issue_request where appid = ? and bus_no = ?', [appid, busNo]);
  return openFields(sql, existing, ['payload']);
}

export interface PlannedReissue {
  method: string;
  payloadHash: string;
  payload: string;
  originBillId: number;
  at: Date;
}

/** A previous refund attempt's request that never reversed the bill: replaced by this one, received again. */
export async function replanReissueRequest(sql: Sql, id: number, r: PlannedReissue): Promise<void> {
  await sql.execute(
    `update issue_request set method = ?, payload_hash = ?, payload = ?, status = 'received', error_code = null, error_message = null, origin_bill_id = ?, updated_at = ? where id = ?`,
    [r.method, r.payloadHash, sealIn(sql, r.payload), r.originBillId, dbNow(sql, r.at), id],
    'run',
  );
}

/** Stores the reissue's request under its derived busNo, received, linked to the original bill. */
export async function insertReissueRequest(sql: Sql, appid: string, busNo: string, r: PlannedReissue): Promise<void> {
  const now = dbNow(sql, r.at);
  await sql.execute(
    `insert into issue_request (appid, bus_no, method, payload_hash, payload, status, origin_bill_id, created_at, updated_at) values (?, ?, ?, ?, ?, 'received', ?, ?, ?)`,
    [appid, busNo, r.method, r.payloadHash, sealIn(sql, r.payload), r.originBillId, now, now],
    'run',
  );
}

/** The refunds of the bill waiting for its reversal (state reversing). */
export async function refundsAwaitingReversal(em: Em, bill: { billBatchCode: string; billNo: string }): Promise<string[]> {
  const refunds = (await conn(em).execute(
    `select r.refund_no from refund r join bill b on b.id = r.bill_id where b.bill_batch_code = ? and b.bill_no = ? and r.state = 'reversing'`,
    [bill.billBatchCode, bill.billNo],
  )) as Array<{ refund_no: string }>;
  return refunds.map((r) => r.refund_no);
}
