/**
 * The pure part of the fiscal batch upload: which pending bills go into the next batch and in what
 * order, what each bill looks like on the wire, and the batch number.
 *
 * - Order: by bill id, which is the order of issue. A red bill always has a higher id than its
 *   original, and a reversed original that goes back to pending keeps its id, so an original is
 *   always sent before (or in the same batch ahead of) its red bill.
 * - A red bill whose original is neither uploaded nor ahead of it in this batch (the original was
 *   rejected, or is otherwise not on the fiscal side) is held back: the fiscal side refuses a red
 *   bill without its original. It stays pending and goes as soon as the original is uploaded.
 * - The batch number is derived from the batch's content (hospital, and per bill code, number,
 *   state and SM3 of the signature), so the same pending bills give the same batch after a crash
 *   or a retry, and a batch number never stands for two different contents.
 */
import { sm3Hex } from '../../common/gm';
import { formatYuan } from '../../common/money';
import type { UploadBill } from './platform';

/** A pending bill as selected from the database for the next batch. */
export interface UploadCandidate {
  id: number;
  isScarlet: boolean;
  /** On a red bill: its original's id and upload state. */
  relatedBillId?: number;
  relatedUploadState?: string;
}

export interface BatchPlan {
  /** Bill ids in upload order. */
  billIds: number[];
  /** Red bills waiting for their original. */
  held: number[];
}

/** Takes up to `limit` bills in upload order (originals before their red bills), holding back red bills whose original is not uploaded. */
export function planUploadBatch(candidates: UploadCandidate[], limit: number): BatchPlan {
  const sorted = [...candidates].sort((a, b) => a.id - b.id);
  const taken = new Set<number>();
  const billIds: number[] = [];
  const held: number[] = [];
  for (const c of sorted) {
    if (billIds.length >= limit) break;
    if (c.isScarlet) {
      const originalThere = c.relatedUploadState === 'uploaded' || (c.relatedBillId !== undefined && taken.has(c.relatedBillId));
      if (!originalThere) {
        held.push(c.id);
        continue;
      }
    }
    taken.add(c.id);
    billIds.push(c.id);
  }
  return { billIds, held };
}

/** A bill row with what the upload needs (see loadUploadRows). */
export interface UploadRow {
  id: number;
  billBatchCode: string;
  billNo: string;
  random: string;
  billKindCode: string;
  totalAmt: number;
  issuedAt: Date;
  payer: string;
  isScarlet: boolean;
  state: string;
  relatedBillBatchCode?: string | null;
  relatedBillNo?: string | null;
  signedData: string;
  signature: string;
}

export function toUploadBill(r: UploadRow): UploadBill {
  return {
    billBatchCode: r.billBatchCode,
    billNo: r.billNo,
    random: r.random,
    billKindCode: r.billKindCode,
    totalAmt: formatYuan(r.totalAmt),
    issuedAt: r.issuedAt.toISOString(),
    payer: r.payer,
    isScarlet: r.isScarlet,
    state: r.state === 'reversed' ? 'reversed' : 'normal',
    ...(r.isScarlet && r.relatedBillBatchCode && r.relatedBillNo ? { relatedBillBatchCode: r.relatedBillBatchCode, relatedBillNo: r.relatedBillNo } : {}),
    signedData: r.signedData,
    signature: r.signature,
  };
}

/** `{hospitalCode}-{20 hex}`: the same bills with the same content always give the same number. */
export function uploadBatchNo(hospitalCode: string, bills: UploadBill[]): string {
  const lines = bills.map((b) => `${b.billBatchCode}|${b.billNo}|${b.state}|${b.totalAmt}|${sm3Hex(b.signature)}`);
  return `${hospitalCode}-${sm3Hex(`${hospitalCode}\n${lines.join('\n')}`).slice(0, 20).toUpperCase()}`;
}
