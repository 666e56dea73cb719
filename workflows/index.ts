// The worker bundles this file: export every workflow function here (no barrel re-exports of activities).
export { issueBillWorkflow } from './issue-bill';
export { writeOffWorkflow } from './write-off';
export { noticeWorkflow } from './notice';
export { paperWorkflow } from './paper';
export { basicDataSyncWorkflow } from './basic-data-sync';
export { requisitionWorkflow } from './requisition';
export { stockAlarmWorkflow } from './stock-alarm';
export { operationLogCheckWorkflow } from './operation-log-check';
export { archiveCheckWorkflow } from './archive-check';
export { fiscalUploadWorkflow, fiscalAccountStatusWorkflow } from './fiscal-upload';
export { refundWorkflow } from './refund';
