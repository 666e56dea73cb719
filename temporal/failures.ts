/**
 * The one mapping between DomainError (code, message, field) and Temporal failures, used on all
 * three sides:
 * - activities: `domainFailureInterceptor` (registered once by the worker) turns a DomainError
 *   thrown by any activity into a non-retryable ApplicationFailure of type `DomainError` that keeps
 *   code and field; services just throw DomainError;
 * - workflows: `domainDetailsOf` reads those details from a failed activity, `refusal` builds the
 *   failure an update or its validator answers with (bundle-safe: @temporalio/common only);
 * - clients: `domainErrorOf` turns a failed update / workflow back into the DomainError.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from '../common/errors';

export interface DomainDetails {
  code: ErrorCode | string;
  message: string;
  field?: string;
}

export const DOMAIN_FAILURE_TYPE = 'DomainError';

/** A non-retryable failure that carries a domain refusal (code, message, field). */
export function refusal(d: DomainDetails): ApplicationFailure {
  return ApplicationFailure.create({ message: d.message, type: DOMAIN_FAILURE_TYPE, nonRetryable: true, details: [d] });
}

/** A DomainError (or anything with code and message) as that failure. */
export function domainFailure(e: { code: string; message: string; field?: string }): ApplicationFailure {
  return refusal({ code: e.code, message: e.message, field: e.field });
}

/** The domain refusal inside a failure (an activity's, a child's or an update's), or undefined; `fallbackCode` when it carries no details. */
export function domainDetailsOf(e: unknown, fallbackCode = 'E9999'): DomainDetails | undefined {
  let cause: unknown = e;
  for (let i = 0; i < 4 && cause; i++) {
    if (cause instanceof ApplicationFailure && cause.type === DOMAIN_FAILURE_TYPE) {
      return (cause.details?.[0] as DomainDetails | undefined) ?? { code: fallbackCode, message: cause.message };
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Re-raises a domain refusal of an activity as the workflow's own failure (for an update's caller); anything else as it is. */
export function passOnRefusal(e: unknown): unknown {
  const d = domainDetailsOf(e);
  return d ? refusal(d) : e;
}

