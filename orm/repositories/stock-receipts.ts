/** The bill-number ranges the hospital received from the fiscal platform (stock_receipt). */
import { onConnection, type Db } from './db';

export interface ReceivedRange {
  billKindCode: string;
  billBatchCode: string;
  startNo: number;
  endNo: number;
}

/** A hospital's received ranges, in the order they came in. */
export async function receivedRanges(db: Db, hospitalId: number): Promise<ReceivedRange[]> {
  type R = { code: string; bill_batch_code: string; start_no: number | string; end_no: number | string };
  const rows = await onConnection<R[]>(
    db,
    'select k.code, r.bill_batch_code, r.start_no, r.end_no from stock_receipt r join bill_kind k on k.id = r.bill_kind_id where r.hospital_id = ? order by r.id',
    [hospitalId],
  );
  return rows.map((r) => ({ billKindCode: r.code, billBatchCode: r.bill_batch_code, startNo: Number(r.start_no), endNo: Number(r.end_no) }));
}
