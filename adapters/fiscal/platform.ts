/**
 * The fiscal e-bill platform (财政电子票据平台), as the hospital platform sees it (INTERFACES.md §3):
 * one adapter interface. `client.ts` implements it over HTTP against the real platform's
 * province-specific gateway or against sim/fiscal (the simulator `npm start` runs). Money is
 * decimal yuan text on the wire, never a float.
 *
 * Errors: `FiscalUnavailableError` (outage, timeout, 5xx: retry later, nothing was decided) and
 * `FiscalRejectedError` (the platform refused the request itself: retrying the same request will
 * not help; the message says why).
 */

import type { AccountStatus, BasicData, RequisitionReview, RequisitionSubmission, UploadBill, UploadResult } from '../../protocol/fiscal-wire';

export type { FiscalBillKind, FiscalChargeItem, BasicData, RequisitionLine, RequisitionSubmission, IssuedSegment, RequisitionReview, UploadBill, UploadResult, AccountStatus } from '../../protocol/fiscal-wire';

export interface FiscalPlatform {
  basicData(): Promise<BasicData>;
  /** Idempotent by (requisitionNo, revision). */
  submitRequisition(r: RequisitionSubmission): Promise<{ fiscalRequisitionNo: string }>;
  requisitionStatus(hospitalCode: string, requisitionNo: string, revision: number): Promise<RequisitionReview>;
  /** One result per bill; uploading a bill again with the same content is accepted again (idempotent). */
  uploadBills(hospitalCode: string, batchNo: string, bills: UploadBill[]): Promise<UploadResult[]>;
  accountStatus(hospitalCode: string, bills: Array<{ billBatchCode: string; billNo: string }>): Promise<AccountStatus[]>;
}

export class FiscalUnavailableError extends Error {
  override name = 'FiscalUnavailableError';
}

export class FiscalRejectedError extends Error {
  override name = 'FiscalRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
