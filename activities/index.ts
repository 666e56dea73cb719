/**
 * Every activity the worker serves, built from the shared Deps: thin wrappers over the use cases
 * in services/ (the Temporal side of them: attempts, heartbeats, failure types, logging). Workflows
 * import this only as a type.
 */
import type { Deps } from '../services/deps';
import type { ProcessContext } from '../temporal/context';
import { issueActivities } from './issuance';
import { lifecycleActivities } from './lifecycle';
import { paperActivities } from './paper';
import { fiscalActivities } from './fiscal';
import { stockActivities } from './stock';
import { refundActivities } from './refund';
import { auditActivities } from './audit';
import { archiveActivities } from './archive';

export function createActivities(deps: Deps, processes: ProcessContext) {
  return {
    ...issueActivities(deps),
    ...lifecycleActivities(deps),
    ...paperActivities(deps),
    ...fiscalActivities(deps),
    ...stockActivities(deps),
    ...refundActivities(deps, processes),
    ...auditActivities(deps),
    ...archiveActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
