/** Every activity the worker serves, built from the shared Deps. Workflows import this only as a type. */
import type { Deps } from './deps';
import { createIssueActivities } from './issue/activities';
import { writeOffActivity } from './writeoff/write-off';
import { createLifecycleActivities } from './lifecycle/activities';
import { paperActivities } from './paper/paper';
import { basicDataActivities } from './fiscal/basic-data';
import { requisitionActivities } from './stock/requisition';
import { stockAlarmActivities } from './stock/alarms';
import { uploadActivities } from './fiscal/upload';
import { accountActivities } from './fiscal/account';
import { refundActivities } from './refund/activities';

export function createActivities(deps: Deps) {
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
    ...refundActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
