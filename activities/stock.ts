/**
 * The stock processes' activities: the requisition workflow's steps and the stock-alarm schedule.
 * Thin wrappers over services/stock/*: they name the fiscal platform's errors as the failures the
 * requisition workflow's retry policy knows, and log the alarms a run opened.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { Deps } from '../services/deps';
import { FiscalRejectedError, FiscalUnavailableError } from '../adapters/fiscal/platform';
import {
  confirmRequisitionStockIn, pollRequisition, recordRequisitionRejected, sendRequisition, submitRequisition, type SubmitInput,
} from '../services/stock/requisition';
import { checkStockAlarms, type AlarmCheck } from '../services/stock/alarms';

/** FiscalUnavailableError: retried; FiscalRejectedError (a refused status query): not retried by the workflow's policy. */
async function fiscalCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof FiscalUnavailableError) throw ApplicationFailure.create({ message: e.message, type: 'FiscalUnavailableError' });
    if (e instanceof FiscalRejectedError) throw ApplicationFailure.create({ message: `${e.code}: ${e.message}`, type: 'FiscalRejectedError' });
    throw e;
  }
}

export function stockActivities(deps: Deps) {
  return {
    /** The submit step (the `submit` update's transaction): draft/returned -> submitted. */
    markRequisitionSubmitted: (input: SubmitInput): Promise<{ state: string; revision: number; requisitionNo: string }> => submitRequisition(deps, input),
    sendRequisition: (input: { requisitionId: number; revision: number }): Promise<{ state: 'sent' | 'rejected'; reason?: string }> => fiscalCall(() => sendRequisition(deps, input)),
    pollRequisition: (input: { requisitionId: number; revision: number }): Promise<{ state: 'submitted' | 'received' | 'returned'; comment?: string }> => fiscalCall(() => pollRequisition(deps, input)),
    recordRequisitionRejected: (input: { requisitionId: number; revision: number; reason: string }): Promise<void> => recordRequisitionRejected(deps, input),
    confirmRequisitionStockIn: (input: { requisitionId: number; actor: string }): Promise<{ state: string; quantity: number }> => confirmRequisitionStockIn(deps, input),

    /** One run of the `stock-alarm` schedule. */
    async checkStockAlarms(): Promise<{ checked: number; open: number; opened: AlarmCheck[] }> {
      const result = await checkStockAlarms(deps);
      // The log lines finance's monitoring picks up; the console shows the alarm and its badge.
      for (const a of result.opened) log.warn(`stock alarm: billing point ${a.placeCode} has ${a.remaining} numbers of bill kind ${a.billKindCode} left (threshold ${a.threshold})`);
      return result;
    },
  };
}
