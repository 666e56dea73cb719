/**
 * Client and worker side of temporal/failures.ts (not bundle-safe: it knows DomainError and the
 * worker's interceptor types).
 */
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import { DomainError, type ErrorCode } from '../common/errors';
import { domainDetailsOf, domainFailure } from './failures';
import { isDbDriverError } from '../common/redact';
import { redactDbError } from '../orm/errors';

/** A failed update, workflow or activity call as the DomainError it carries; other errors unchanged. */
export function domainErrorOf(e: unknown, fallback: ErrorCode = 'E9999'): unknown {
  if (e instanceof DomainError) return e;
  const d = domainDetailsOf(e, fallback);
  return d ? new DomainError((d.code as ErrorCode) ?? fallback, d.message, d.field) : e;
}

/**
 * Every activity: a DomainError (a refusal) becomes the non-retryable failure that keeps its code
 * and field; a database driver's error loses its statement and values (common/redact.ts). Its subclasses name their own failure type and keep their retry rules (a payment
 * channel that is unavailable, PaymentUnavailableError, is retried).
 */
export class DomainFailureInterceptor implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      return await next(input);
    } catch (e) {
      if (e instanceof DomainError && e.name === 'DomainError') throw domainFailure(e);
      // A failed statement's message holds the statement with its values: Temporal keeps and shows
      // the failure (history, UI, the worker log), so it goes out redacted (still retried).
      if (isDbDriverError(e)) throw Object.assign(new Error(redactDbError(e)), { name: 'DatabaseError' });
      throw e;
    }
  }
}
