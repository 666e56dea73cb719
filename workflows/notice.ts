/**
 * One resend request of a bill's notices (console "重发通知", HIS sendEBillNotice), ID
 * `notice-{billBatchCode}-{billNo}-{requestKey}`: the same request started twice is one workflow,
 * and its activity sends each notice of the request at most once. Like the issuance delivery it
 * keeps retrying for a day while a channel is down and never touches the bill itself.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NoticeRequest } from '../services/delivery';
import { backgroundOptions } from './bill-process';

const background = proxyActivities<Activities>(backgroundOptions);

export interface NoticeResult {
  notices: Record<string, 'done' | 'failed'>;
}

export async function noticeWorkflow(req: NoticeRequest): Promise<NoticeResult> {
  const notices: NoticeResult['notices'] = {};
  try {
    const sent = await background.sendNotices(req);
    for (const [c, r] of Object.entries(sent)) notices[c] = r === 'sent' ? 'done' : 'failed';
  } catch (err) {
    for (const t of req.targets) notices[t.channel] ??= 'failed';
    log.error('notice resend gave up', { billId: req.billId, requestKey: req.requestKey, err: String(err) });
  }
  return { notices };
}
