/** Every activity the worker serves, built from the shared Deps. Workflows import this only as a type. */
import type { Deps } from '../services/deps';
import type { ProcessContext } from '../temporal/context';
import { createIssueActivities } from '../services/delivery';
import { writeOffActivity } from '../services/reversal';
import { createLifecycleActivities } from '../services/lifecycle';
import { paperActivities } from '../services/paper';
import { basicDataActivities } from '../services/fiscal/basic-data';
import { requisitionActivities } from '../services/stock/requisition';
import { stockAlarmActivities } from '../services/stock/alarms';
import { uploadActivities } from '../services/fiscal/upload';
import { accountActivities } from '../services/fiscal/account';
import { refundActivities } from './refund';

export function createActivities(deps: Deps, processes: ProcessContext) {
  return {
    ...createIssueActivities(deps),
    ...createLifecycleActivities(deps),
    writeOffBill: writeOffActivity(deps),
    ...paperActivities(deps),
    ...basicDataActivities(deps),
    ...requisitionActivities(deps),
    ...stockAlarmActivities(deps),
    ...uploadActivities(deps),
    ...accountActivities(deps),
    ...refundActivities(deps, processes),
  };
}

export type Activities = ReturnType<typeof createActivities>;
