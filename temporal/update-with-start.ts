/**
 * Early return (update-with-start): starts or joins a process and waits for its update at most
 * `timeoutMs` (the HIS: MEDBILL_ISSUE_TIMEOUT_MS); then answers "in progress" (E0050) and the
 * caller asks again with the same key. A refusal comes back as the DomainError it carries.
 */
import type { WithStartWorkflowOperation } from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import { DomainError } from '../common/errors';
import type { ProcessContext } from './context';
import { domainErrorOf } from './domain-errors';

export interface InProgress {
  /** The E0050 answer when the update takes longer than the timeout. */
  message: string;
  field: string;
  timeoutMs?: number;
}

export async function updateWithStart<R, A extends unknown[] = []>(
  ctx: ProcessContext,
  update: UpdateDefinition<R, A>,
  start: WithStartWorkflowOperation<Workflow>,
  inProgress: InProgress,
  ...args: A
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DomainError('E0050', inProgress.message, inProgress.field)), inProgress.timeoutMs ?? ctx.deps.cfg.bills.issueTimeoutMs);
  });
  try {
    const opts = { startWorkflowOperation: start, ...(args.length ? { args } : {}) } as Parameters<typeof ctx.client.workflow.executeUpdateWithStart<Workflow, R, A>>[1];
    return await Promise.race([ctx.client.workflow.executeUpdateWithStart(update, opts), timeout]);
  } catch (e) {
    throw domainErrorOf(e);
  } finally {
    clearTimeout(timer);
  }
}
