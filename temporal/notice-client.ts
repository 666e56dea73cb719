/**
 * Resending a bill's notices, for the console and the HIS: validates the targets and starts the
 * notice workflow `notice-{billBatchCode}-{billNo}-{requestKey}`. The same request key is the same
 * workflow and the same notification rows, so a request retried by its caller sends once.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DomainError, fieldError } from '../common/errors';
import { EMAIL, TEL } from '../domain/bill/issue-request';
import type { Channel } from '../domain/bill/facts';
import type { NoticeRequest } from '../services/delivery';
import { startWorkflow } from './workflow-types';
import type { ProcessContext as ApiContext } from './context';
import { noticeWorkflowId } from './ids';

export const CHANNELS: Channel[] = ['sms', 'email', 'wechat', 'card'];
const OPENID = /^o[\w-]{5,63}$/;
export const REQUEST_KEY = /^[A-Za-z0-9_-]{8,64}$/;


/** Checks a target for its channel; `field` names it in the error. */
export function checkTarget(channel: Channel, target: string, field: string): string {
  const t = target.trim();
  if (!t) throw fieldError(field, '必填');
  if (channel === 'sms' && !TEL.test(t)) throw fieldError(field, `${t} 不是手机号码`);
  if (channel === 'email' && (!EMAIL.test(t) || t.length > 128)) throw fieldError(field, `${t} 不是邮箱地址`);
  if ((channel === 'wechat' || channel === 'card') && !OPENID.test(t)) throw fieldError(field, `${t} 不是微信 openID`);
  return t;
}

export const newRequestKey = () => randomUUID().replace(/-/g, '');

/** When the notice request `requestKey` of a bill started (ms since the epoch), or undefined if there is none. */
export async function noticeRequestStartedAt(
  api: ApiContext,
  bill: { billBatchCode: string; billNo: string },
  requestKey: string,
): Promise<number | undefined> {
  try {
    const d = await api.client.workflow.getHandle(noticeWorkflowId(bill, requestKey)).describe();
    return d.startTime.getTime();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return undefined;
    throw e;
  }
}

export async function startNoticeResend(
  api: ApiContext,
  bill: { id: number; billBatchCode: string; billNo: string; busNo: string; isScarlet: boolean },
  req: Omit<NoticeRequest, 'billId'>,
): Promise<{ workflowId: string }> {
  if (req.targets.some((t) => t.channel === 'card') && bill.isScarlet) {
    throw new DomainError('E0031', 'channel: 红字票据不能放入微信卡包', 'channel');
  }
  const workflowId = noticeWorkflowId(bill, req.requestKey);
  await startWorkflow(api.client, 'noticeWorkflow', {
    workflowId,
    taskQueue: api.taskQueue,
    args: [{ billId: bill.id, ...req }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE', // a new run of a finished request finds its rows sent and sends nothing
    searchAttributes: { BusNo: [bill.busNo], BillNo: [bill.billNo], BillBatchCode: [bill.billBatchCode] },
  });
  return { workflowId };
}
