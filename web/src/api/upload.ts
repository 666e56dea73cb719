import { http } from './http';
import type { BillId } from './bills';

export type UploadBillsState = 'rejected' | 'pending' | 'uploaded';

export interface ScheduleInfo {
  id: string;
  paused?: boolean;
  running?: boolean;
  lastRunAt?: string;
  lastWorkflowId?: string;
  lastWorkflowUrl?: string;
  nextRunAt?: string;
  skippedOverlap?: number;
  error?: string;
}

/** One batch sent to the fiscal platform. */
export interface UploadBatch {
  batchNo: string;
  /** sending | done | rejected (the whole batch refused) */
  state: string;
  billCount: number;
  acceptedCount: number;
  rejectedCount: number;
  attempts: number;
  lastError?: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string | null;
  workflowUrl?: string;
}

export interface UploadSummary {
  counts: { pending: number; uploaded: number; rejected: number; held: number };
  accounting: { accounted: number; notAccounted: number };
  schedules: { upload: ScheduleInfo; account: ScheduleInfo };
  batches: UploadBatch[];
}

export interface UploadBillRow {
  id: BillId;
  billBatchCode: string;
  billNo: string;
  payer: string;
  placeCode: string;
  totalAmt: string;
  issuedAt: string;
  state: string;
  isScarlet: boolean;
  uploadState: string;
  uploadReason?: string | null;
  uploadBatchNo?: string | null;
  uploadAttempts: number;
  uploadedAt?: string | null;
  uploadRequeuedBy?: string | null;
  uploadRequeuedAt?: string | null;
  accounted: boolean;
  accountedAt?: string | null;
}

export const fetchUploadSummary = (options?: { silent?: boolean }) => http.get<UploadSummary>('/upload/summary', undefined, options);

export const fetchUploadBills = (state: UploadBillsState, page = 1, pageSize = 50, options?: { silent?: boolean }) =>
  http.get<{ total: number; page: number; pageSize: number; items: UploadBillRow[] }>('/upload/bills', { state, page, pageSize }, options);

/** 重新上传: rejected bills back to the upload queue. */
export const requeueBills = (billIds: BillId[]) => http.post<{ requeued: number[]; refused: number[] }>('/upload/requeue', { billIds }, { silent: true });

/** 立即上传: runs the upload Schedule now. */
export const runUploadNow = () => http.post<{ ok: boolean }>('/upload/run', {}, { silent: true });

/** 立即查询入账: runs the accounting-status Schedule now. */
export const runAccountNow = () => http.post<{ ok: boolean }>('/upload/account/run', {}, { silent: true });
