/**
 * What a refund result notice tells the rest of the platform: THE seam between the payment
 * channels' notify endpoints (api/pay/routes.ts) and the refund process.
 *
 * `onRefundNotice` is called once per state change of a refund (channel + outRefundNo + state),
 * after the notice was verified and its row in `payment_notice` committed; duplicates of a state
 * change never reach it. It must be idempotent all the same: if it throws (or the process dies)
 * before the row is marked handled, the channel's next delivery of that notice calls it again.
 * It must also be quick: the channel waits at most 5 s for the endpoint's answer.
 *
 * It wakes the refund's process (`refund-{refundNo}`), which then queries the channel for the
 * refund's state (notices are a shortcut, not the truth; without one the process queries every
 * MEDBILL_REFUND_POLL).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { refundNoticeSignal } from './messages';
import type { PaymentChannelName, RefundState } from '../adapters/payment/channel';
import { refundNoByOutRefundNo } from '../orm/repositories/refund-reads';
import { refundWorkflowId } from './ids';
import type { ProcessContext as ApiContext } from './context';

export interface RefundNoticeFacts {
  channel: PaymentChannelName;
  outRefundNo: string;
  state: RefundState;
  outTradeNo?: string;
  channelRefundId?: string;
  amountFen?: number;
  successTime?: string;
  failReason?: string;
  /** payment_notice.id of the recorded state change. */
  noticeRowId: number;
}

export async function onRefundNotice(api: ApiContext, n: RefundNoticeFacts): Promise<void> {
  if (api.deps.cfg.server.logLevel === 'debug') console.log(`[pay] refund ${n.channel} ${n.outRefundNo} -> ${n.state} (notice row ${n.noticeRowId})`);
  // out_refund_no is the refund number, or `{refundNo}-R{n}` for a retry after a failed refund.
  const refundNo = await refundNoByOutRefundNo(api.deps.orm.em, n.outRefundNo);
  if (!refundNo) return; // not a refund of this platform's processes (or one started elsewhere)
  try {
    await api.client.workflow.getHandle(refundWorkflowId(refundNo)).signal(refundNoticeSignal, { state: n.state });
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return; // the process already finished: the notice changes nothing
    throw e;
  }
}
