/** The HIS's issuance requests (issue_request) as the issuing activity reads and closes them. The payload is sealed at rest (orm/sealed.ts). */
import type { Sql } from '../sql';
import { connectionNow, onConnection, type Db } from './db';
import { openFields, sealIn } from '../sealed';

export interface IssueRequestRow {
  id: number;
  method: string;
  payload: string;
  status: string;
  bill_id: number | null;
  origin_bill_id: number | null;
}

/** The stored request of a business serial, if any. */
export async function issueRequestOf(db: Db, appid: string, busNo: string): Promise<IssueRequestRow | undefined> {
  const [request] = await onConnection<IssueRequestRow[]>(db, 'select id, method, payload, status, bill_id, origin_bill_id from issue_request where appid = ? and bus_no = ?', [appid, busNo]);
  return openFields(db, request, ['payload']);
}

/** The request is answered by its bill (in the transaction that stored the bill). */
export async function markRequestIssued(sql: Sql, requestId: number, billId: number): Promise<void> {
  await sql.execute(
    `update issue_request set status = 'issued', bill_id = ?, error_code = null, error_message = null, updated_at = ? where id = ?`,
    [billId, sql.getPlatform().processDateProperty(new Date()), requestId],
    'run',
  );
}

/** What a repeat of a request is checked against. */
export async function requestHashOf(db: Db, appid: string, busNo: string): Promise<{ id: number; payload_hash: string; status: string; bill_id: number | null } | undefined> {
  const [r] = await onConnection<Array<{ id: number; payload_hash: string; status: string; bill_id: number | null }>>(
    db,
    'select id, payload_hash, status, bill_id from issue_request where appid = ? and bus_no = ?',
    [appid, busNo],
  );
  return r;
}

/** Stores a new request as received (unique by appid and busNo: a concurrent store of the same one throws a unique violation). */
export async function insertReceivedRequest(db: Db, r: { appid: string; busNo: string; method: string; hash: string; payload: string }): Promise<void> {
  const now = connectionNow(db);
  await onConnection(db, `insert into issue_request (appid, bus_no, method, payload_hash, payload, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'received', ?, ?)`, [r.appid, r.busNo, r.method, r.hash, sealIn(db, r.payload), now, now], 'run');
}

/** A corrected request takes the place of a refused one (compare-and-swap on the refused one's hash); false if it was not the refused one any more. */
export async function replaceRejectedRequest(db: Db, id: number, oldHash: string, r: { method: string; hash: string; payload: string }): Promise<boolean> {
  const res = await onConnection<{ affectedRows: number }>(
    db,
    `update issue_request set method = ?, payload_hash = ?, payload = ?, status = 'received', error_code = null, error_message = null, updated_at = ?
     where id = ? and status = 'rejected' and payload_hash = ?`,
    [r.method, r.hash, sealIn(db, r.payload), connectionNow(db), id, oldHash],
    'run',
  );
  return res.affectedRows === 1;
}

/** A stored request's method and payload as first sent. */
export async function storedRequest(db: Db, id: number): Promise<{ method: string; payload: string } | undefined> {
  const [row] = await onConnection<Array<{ method: string; payload: string }>>(db, 'select method, payload from issue_request where id = ?', [id]);
  return openFields(db, row, ['payload']);
}
