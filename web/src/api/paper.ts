/** Paper bills (纸质票据): a bill's paper form, the paper stock of billing points, blank voids. */
import { http } from './http';
import type { BillId } from './bills';

export type PaperState = 'none' | 'exchanged';
export type PaperNumberState = 'printed' | 'voided' | 'blank_voided';

export interface PaperForm {
  pBillBatchCode: string;
  pBillNo: string;
  state: PaperNumberState;
  operator: string | null;
  printedAt: string | null;
  voidReason: string | null;
  voidedBy: string | null;
  voidedAt: string | null;
}

export interface PrintJobView {
  jobId: string;
  kind: 'paper_form' | 'layout' | string;
  printer: string;
  state: 'queued' | 'printed' | 'cancelled' | string;
  attempts: number;
  lastError: string | null;
  createdAt: string | null;
  printedAt: string | null;
}

export interface BillPaper {
  state: PaperState;
  pBillBatchCode: string | null;
  pBillNo: string | null;
  placeCode: string;
  next: { pBillBatchCode: string; pBillNo: string } | null;
  forms: PaperForm[];
  printJobs: PrintJobView[];
  workflowUrl: string;
}

export interface PaperResult {
  billBatchCode: string;
  billNo: string;
  paperState: PaperState;
  pBillBatchCode?: string;
  pBillNo?: string;
  voided?: { pBillBatchCode: string; pBillNo: string };
  printJobId?: string;
}

export interface PaperNumberView {
  pBillNo: string;
  state: PaperNumberState;
  billId: number | null;
  billBatchCode: string | null;
  billNo: string | null;
  operator: string | null;
  printedAt: string | null;
  voidReason: string | null;
  voidedBy: string | null;
  voidedAt: string | null;
}

export interface PaperSegment {
  id: number;
  placeCode: string;
  placeName: string;
  pBillBatchCode: string;
  name: string;
  billKindCode: string;
  billKindName: string;
  startNo: string;
  endNo: string;
  nextNo: string | null;
  status: string;
  printed: number;
  voided: number;
  blankVoided: number;
  unused: number;
  numbers: PaperNumberView[];
}

export interface BlankVoidParams {
  placeCode: string;
  pBillBatchCode: string;
  pBillNoStart: string;
  pBillNoEnd: string;
  reason: string;
}

const billPath = (id: BillId) => `/bills/${encodeURIComponent(String(id))}`;

export const fetchBillPaper = (id: BillId) => http.get<BillPaper>(`${billPath(id)}/paper`);
export const exchangePaper = (id: BillId, options?: { silent?: boolean }) => http.post<PaperResult>(`${billPath(id)}/paper/exchange`, {}, options);
export const reExchangePaper = (id: BillId, reason: string, options?: { silent?: boolean }) => http.post<PaperResult>(`${billPath(id)}/paper/re-exchange`, { reason }, options);
export const voidPaper = (id: BillId, reason: string, options?: { silent?: boolean }) => http.post<PaperResult>(`${billPath(id)}/paper/void`, { reason }, options);
export const printLayout = (id: BillId, options?: { silent?: boolean }) => http.post<PaperResult>(`${billPath(id)}/print-layout`, {}, options);
export const fetchPaperStock = (placeCode?: string) => http.get<{ segments: PaperSegment[] }>('/paper/stock', placeCode ? { placeCode } : undefined);
export const voidBlankForms = (params: BlankVoidParams, options?: { silent?: boolean }) =>
  http.post<{ count: number; repeated: boolean; nextPBillNo?: string }>('/paper/blank-void', params, options);

export const PAPER_NUMBER_STATE: Record<string, { label: string; type: 'success' | 'danger' | 'info' | 'warning' }> = {
  printed: { label: '已换开', type: 'success' },
  voided: { label: '已作废', type: 'danger' },
  blank_voided: { label: '空白作废', type: 'warning' },
};
export const PRINT_JOB_STATE: Record<string, string> = { queued: '排队/重试中', printed: '已打印', cancelled: '已取消' };
