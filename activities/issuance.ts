/**
 * The issue workflow's activities: the issuing local activity and the delivery after it (layout
 * file, patient notices). Thin wrappers: the use cases are services/issuance.ts and
 * services/delivery.ts; the worker's DomainFailureInterceptor turns their DomainErrors into failures.
 */
import { Context } from '@temporalio/activity';
import type { Deps } from '../services/deps';
import { issueBill, type IssueBillInput, type IssuedBill } from '../services/issuance';
import { deliverBill, sendNotices, type DeliveryResult, type NoticeRequest } from '../services/delivery';
import type { Channel } from '../domain/bill/facts';

export function issueActivities(deps: Deps) {
  return {
    /** Issues the stored request; the activity's attempt bounds the retries of an unexpected error. */
    issueBill: (input: IssueBillInput): Promise<IssuedBill> => issueBill(deps, input, { attempt: Context.current().info.attempt }),
    /** The layout file, then every notice channel; idempotent, so a retry redoes only what is not done. */
    deliverBill: (billId: number): Promise<DeliveryResult> => deliverBill(deps, billId),
    /** A resend request's notices, each sent at most once for the request. */
    sendNotices: (req: NoticeRequest): Promise<Partial<Record<Channel, 'sent' | 'failed'>>> => sendNotices(deps, req),
  };
}
