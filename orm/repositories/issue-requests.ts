/** The HIS's issuance requests (issue_request) as the issuing activity reads and closes them. */
import type { Sql } from '../sql';
import { onConnection, type Db } from './db';

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
  return request;
}

/** The request is answered by its bill (in the transaction that stored the bill). */
export async function markRequestIssued(sql: Sql, requestId: number, billId: number): Promise<void> {
  await sql.execute(
    `update issue_request set status = 'issued', bill_id = ?, error_code = null, error_message = null, updated_at = ? where id = ?`,
    [billId, sql.getPlatform().processDateProperty(new Date()), requestId],
    'run',
  );
}
