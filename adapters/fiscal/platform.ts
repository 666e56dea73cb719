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

export interface FiscalBillKind {
  /** 4-digit bill-kind code, e.g. 0401 */
  code: string;
  name: string;
  category: 'outpatient' | 'inpatient' | 'other';
  electronic: boolean;
}

export interface FiscalChargeItem {
  code: string;
  name: string;
}

export interface BasicData {
  /** Changes whenever the fiscal side changes its lists. */
  version: string;
  billKinds: FiscalBillKind[];
  chargeItems: FiscalChargeItem[];
}

export interface RequisitionLine {
  billKindCode: string;
  /** How many numbers are asked for. */
  quantity: number;
}

export interface RequisitionSubmission {
  /** The hospital's requisition number: the idempotency key. */
  requisitionNo: string;
  /** 1 for the first submission, +1 for each resubmission after a return. */
  revision: number;
  hospitalCode: string;
  lines: RequisitionLine[];
  applicant: string;
  remark?: string;
}

export interface IssuedSegment {
  billKindCode: string;
  /** 8 digits: region + kind + year */
  billBatchCode: string;
  /** 10-digit numbers as integers */
  startNo: number;
  endNo: number;
}

export type RequisitionReview =
  | { state: 'submitted' }
  | { state: 'approved'; reviewer: string; reviewedAt: string; segments: IssuedSegment[] }
  | { state: 'returned'; reviewer: string; reviewedAt: string; comment: string };

export interface UploadBill {
  billBatchCode: string;
  billNo: string;
  random: string;
  billKindCode: string;
  /** yuan text, negative on a red bill */
  totalAmt: string;
  /** ISO instant */
  issuedAt: string;
  payer: string;
  isScarlet: boolean;
  /** normal | reversed (an original reversed since it was uploaded is uploaded again) */
  state: 'normal' | 'reversed';
  relatedBillBatchCode?: string;
  relatedBillNo?: string;
  /** the canonical text that was SM2-signed, and the signature (r||s hex) */
  signedData: string;
  signature: string;
}

export interface UploadResult {
  billBatchCode: string;
  billNo: string;
  state: 'accepted' | 'rejected';
  /** why a bill was rejected (in the fiscal platform's words) */
  reason?: string;
}

export interface AccountStatus {
  billBatchCode: string;
  billNo: string;
  /** 入账: the payer's unit has booked the bill */
  accounted: boolean;
  accountedAt?: string;
}

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
