/** The payment channels' refund notices (payment_notice), stored once per channel, refund and state. */
import { onConnection, type Db } from './db';

/** The channel delivered a notice already stored once more: counted. */
export async function countNoticeDelivery(db: Db, key: { channel: string; outRefundNo: string; state: string }): Promise<void> {
  await onConnection(db, 'update payment_notice set deliveries = deliveries + 1 where channel = ? and out_refund_no = ? and state = ?', [key.channel, key.outRefundNo, key.state], 'run');
}
