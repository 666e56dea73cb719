/**
 * Every workflow ID of the platform, in one place. An operator finds a bill's processes in the
 * Temporal UI by these IDs (README "Operations"); tests and the console build links with them.
 * Pure: workflows import it too.
 */
type BillRef = { billBatchCode: string; billNo: string };

/** Issuance (and delivery) of the bill of one HIS business serial. */
export const billWorkflowId = (appid: string, busNo: string) => `bill-${appid}-${busNo}`;
/** Reversal (冲红) and partial refund of one bill, and its wait for a paper form. */
export const writeOffWorkflowId = (b: BillRef) => `writeoff-${b.billBatchCode}-${b.billNo}`;
/** The paper form of one bill (exchange, re-exchange, void, A4 print). */
export const paperWorkflowId = (b: BillRef) => `paper-${b.billBatchCode}-${b.billNo}`;
/** One resend request of a bill's notices. */
export const noticeWorkflowId = (b: BillRef, requestKey: string) => `notice-${b.billBatchCode}-${b.billNo}-${requestKey}`;
/** One refund request (退费). */
export const refundWorkflowId = (refundNo: string) => `refund-${refundNo}`;
/** One bill-stock requisition (票据申领). */
export const requisitionWorkflowId = (id: number) => `requisition-${id}`;

/** The Temporal UI page of a workflow. */
export const workflowUrl = (ui: { temporalUiUrl: string; namespace: string }, workflowId: string) =>
  `${ui.temporalUiUrl}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
