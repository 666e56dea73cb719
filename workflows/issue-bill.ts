/**
 * One workflow per bill, ID `bill-{appid}-{busNo}`. The HIS call arrives as update-with-start:
 * the `issue` update returns as soon as the local activity has stored the signed bill, and the
 * same run then renders the layout file and notifies the patient in the background.
 */
import { defineUpdate } from '@temporalio/workflow';
import type { IssuedBill, IssueBillInput } from '../services/issuance';
import { local, runBillProcess, statusQuery, type BillProcessStatus } from './bill-process';

export type IssueStatus = BillProcessStatus;
/** The HIS's issuance call: answers with the issued bill, or fails with the reason. */
export const issueUpdate = defineUpdate<IssuedBill>('issue');
export const issueStatusQuery = statusQuery;

export async function issueBillWorkflow(input: IssueBillInput): Promise<IssueStatus> {
  return runBillProcess(issueUpdate, { produce: () => local.issueBill(input) });
}
