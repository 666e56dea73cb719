import { http } from './http';

/** Amounts are strings of yuan ("12.34"); never parse them into floats. */
export type Yuan = string;
export type BillId = string | number;
export type BillState = 'normal' | 'reversed';
export type UploadState = 'pending' | 'uploaded' | 'rejected';

export interface BillQuery {
  dateFrom?: string;
  dateTo?: string;
  placeCode?: string;
  busNo?: string;
  patient?: string;
  billNo?: string;
  page: number;
  pageSize: number;
}

export interface BillListItem {
  id: BillId;
  billBatchCode: string;
  billNo: string;
  random: string;
  busNo: string;
  busType: string;
  placeCode: string;
  placeName: string;
  payer: string;
  patientNo: string;
  totalAmt: Yuan;
  issuedAt: string;
  state: BillState;
  uploadState: UploadState | string;
  layoutReady: boolean;
}

export interface BillPage {
  total: number;
  page: number;
  pageSize: number;
  items: BillListItem[];
}

export interface BillItem {
  sortNo?: number | string;
  name: string;
  fiscalCode?: string;
  hisCode?: string;
  unit?: string;
  std?: string | number;
  number?: string | number;
  amt: Yuan;
  selfAmt?: Yuan;
  remark?: string;
}

/** One line of the detailed list (清单); the fields vary with the HIS, so everything is optional. */
export interface BillListDetail {
  sortNo?: number | string;
  listDetailNo?: string;
  listTypeCode?: string;
  listTypeName?: string;
  chargeCode?: string;
  chargeName?: string;
  code?: string;
  hisCode?: string;
  name?: string;
  form?: string;
  specification?: string;
  unit?: string;
  std?: string | number;
  number?: string | number;
  /** As the HIS sent it: a yuan string or a JSON number (shown, never computed with as a float). */
  amt?: Yuan | number;
  selfAmt?: Yuan | number;
  remark?: string;
  [key: string]: unknown;
}

export interface BillPayment {
  channelCode: string;
  channelName?: string;
  amount: Yuan;
}

export interface BillSignature {
  valid: boolean;
  algorithm?: string;
  publicKey?: string;
  signedData?: string;
  value?: string;
}

export type NotificationChannel = 'sms' | 'email' | 'wechat';
export type NotificationStatus = 'pending' | 'sent' | 'failed';

export interface BillNotification {
  id?: string | number;
  channel: NotificationChannel | string;
  target: string;
  status: NotificationStatus | string;
  attempts: number;
  sentAt?: string | null;
  lastError?: string | null;
}

export interface BillDetail {
  id: BillId;
  billBatchCode: string;
  billNo: string;
  random: string;
  busNo: string;
  busType: string;
  busTypeName?: string;
  /** The HIS interface that issued it (invoiceEBillOutpatient, …). */
  method?: string;
  placeCode: string;
  placeName?: string;
  billKindCode?: string;
  billKindName?: string;
  payer: string;
  patientNo?: string;
  patientId?: string;
  tel?: string;
  email?: string;
  payee?: string;
  author?: string;
  checker?: string;
  /** HIS local time, "yyyyMMddHHmmssSSS". */
  busDateTime?: string;
  issuedAt: string;
  state: BillState;
  isScarlet?: boolean;
  totalAmt: Yuan;
  totalAmtChinese?: string;
  remark?: string;
  uploadState: UploadState | string;
  extra?: Record<string, unknown> | null;
  items: BillItem[];
  payments: BillPayment[];
  listDetail?: BillListDetail[] | null;
  signature?: BillSignature | null;
  layoutReady: boolean;
  pdfUrl?: string;
  h5Url?: string;
  qrCode?: string;
  workflowId?: string;
  workflowUrl?: string;
  notifications?: BillNotification[];
}

export const searchBills = (query: BillQuery, signal?: AbortSignal) =>
  http.get<BillPage>('/bills', { ...query }, { signal });

export const fetchBill = (id: BillId, options?: { silent?: boolean; signal?: AbortSignal }) =>
  http.get<{ bill: BillDetail }>(`/bills/${encodeURIComponent(String(id))}`, undefined, options);

/** Where the layout file (PDF) of a bill is served, if the API did not send pdfUrl. */
export const billPdfPath = (id: BillId) => `/api/bills/${encodeURIComponent(String(id))}/pdf`;
