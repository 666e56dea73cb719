/**
 * Reversal (冲红) of a whole bill, ID `writeoff-{billBatchCode}-{billNo}`: the `writeOff` update
 * answers with the red bill as soon as it is stored (original marked reversed in the same
 * transaction); its layout file and notices follow in the background.
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IssuedBill } from '../activities/issue/issue-bill';
import type { WriteOffInput } from '../activities/writeoff/write-off';
import { local, runBillProcess, type BillProcessStatus } from './bill-process';

export const writeOffUpdate = defineUpdate<IssuedBill>('writeOff');

export async function writeOffWorkflow(input: WriteOffInput): Promise<BillProcessStatus> {
  return runBillProcess(writeOffUpdate, () => local.writeOffBill(input), 'scarlet');
}

/**
 * The paper form of an exchanged bill was recovered and voided (console confirmation or the HIS's
 * `invalidPaper`): a reversal waiting in "awaiting paper recovery" goes on. Sent by
 * api/lifecycle/hooks.ts; the workflow re-reads the bill before it acts, so a stray signal is harmless.
 */
export const paperRecoveredSignal = defineSignal<[{ actor: string }]>('paperRecovered');
