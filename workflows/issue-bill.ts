/**
 * One workflow per bill, ID `bill-{appid}-{busNo}`. The HIS call arrives as update-with-start:
 * the `issue` update returns as soon as the local activity has stored the signed bill, and the
 * same run then renders the layout file and notifies the patient in the background.
 */
import type { IssueBillInput } from '../services/issuance';
import { issueUpdate, type IssueStatus } from '../temporal/messages';
import { local, runBillProcess } from './bill-process';

export async function issueBillWorkflow(input: IssueBillInput): Promise<IssueStatus> {
  return runBillProcess(issueUpdate, { produce: () => local.issueBill(input) });
}
