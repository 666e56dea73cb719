/**
 * The fiscal platform's wire format, spoken by the client (adapters/fiscal/client.ts) and the
 * simulator (sim/fiscal/server.ts) alike; fiscal-wire.test.ts pins it with known-answer vectors.
 *
 * Request authentication: headers appId, timestamp (epoch ms), nonce and the signature
 * lower-case hex HMAC-SM3(secret, METHOD + path-with-query + timestamp + nonce + body).
 */
import { hmacSm3Hex } from '../common/gm';

export const FISCAL_HEADERS = {
  appId: 'x-fiscal-appid',
  timestamp: 'x-fiscal-timestamp',
  nonce: 'x-fiscal-nonce',
  signature: 'x-fiscal-signature',
} as const;

export function fiscalSignature(secret: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string): string {
  // RFC 2104 HMAC over SM3 with the secret's UTF-8 bytes (a string key would be read as hex by sm-crypto).
  return hmacSm3Hex(new Uint8Array(Buffer.from(secret, 'utf8')), method.toUpperCase() + pathWithQuery + timestamp + nonce + body);
}

// ---- the messages (decimal yuan text on the wire, never a float) ----

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
