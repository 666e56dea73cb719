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
 * Today it only records (the row itself is the record; a log line says it arrived). The refund
 * workflow (issue 5, later) will be signalled from here: e.g.
 *   await api.client.workflow.getHandle(refundWorkflowId(n.outRefundNo)).signal(refundNoticeSignal, { channel, state, ... })
 * with WorkflowNotFoundError ignored (a refund started elsewhere, or already closed), as
 * api/lifecycle/hooks.ts does for paper recovery. The workflow should also query the channel
 * (PaymentChannel.queryRefund) when no notice came in time: notices are a shortcut, not the truth.
 */
import type { ApiContext } from '../context';
import type { PaymentChannelName, RefundState } from '../../activities/payment/channel';

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
  if (api.deps.cfg.logLevel === 'debug') console.log(`[pay] refund ${n.channel} ${n.outRefundNo} -> ${n.state} (notice row ${n.noticeRowId})`);
}
