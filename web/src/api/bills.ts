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

export type NotificationChannel = 'sms' | 'email' | 'wechat' | 'card';
export type NotificationStatus = 'pending' | 'sent' | 'failed';

export interface BillNotification {
  id?: string | number;
  channel: NotificationChannel | string;
  target: string;
  status: NotificationStatus | string;
  attempts: number;
  /** `issue` (sent on issuance) or `resend:{requestKey}`. */
  purpose?: string;
  /** Who asked for it: a console username, `HIS:{appid}` or `system`. */
  actor?: string;
  createdAt?: string;
  sentAt?: string | null;
  lastError?: string | null;
}

/** A short reference to another bill (the original of a red bill, or the red bill of a reversed one). */
export interface BillRef {
  id: BillId;
  billBatchCode: string;
  billNo: string;
  /** Negative on a red bill ("-126.50"). */
  totalAmt: Yuan;
  issuedAt: string;
}

/** How a reversed original was reversed (冲红). */
export interface BillWriteOff {
  reason?: string | null;
  operator?: string | null;
  /** ISO timestamp. */
  reversedAt: string;
  /** The reversal workflow in the Temporal UI. */
  workflowUrl?: string;
}

/** Answer of POST /api/bills/:id/write-off: the red bill. */
export interface WriteOffResult {
  eScarletBillBatchCode: string;
  eScarletBillNo: string;
  eScarletRandom: string;
  createTime: string;
  billQRCode: string;
  pictureUrl: string;
  pictureNetUrl: string;
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
  /** A red (reversal) bill: its amounts are negative. */
  isScarlet?: boolean;
  /** On a red bill: the original it reverses. */
  relatedBill?: BillRef | null;
  /** On a reversed original: its red bill. */
  scarletBill?: BillRef | null;
  /** On a reversed original: who reversed it, why and when. */
  writeOff?: BillWriteOff | null;
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

/** Reverses a whole bill (冲红) with a red bill; repeating it answers with the same red bill. */
export const writeOffBill = (id: BillId, reason: string, options?: { silent?: boolean }) =>
  http.post<WriteOffResult>(`/bills/${encodeURIComponent(String(id))}/write-off`, { reason }, options);

/** Where the layout file (PDF) of a bill is served, if the API did not send pdfUrl. */
export const billPdfPath = (id: BillId) => `/api/bills/${encodeURIComponent(String(id))}/pdf`;

/** Answer of POST /api/bills/:id/notices/resend (202): the notice workflow that sends it. */
export interface ResendResult {
  workflowId: string;
  requestId: string;
  channel: NotificationChannel;
  target: string;
}

/**
 * Resends one notice (短信 / 邮件 / 微信 / 微信卡包). `requestId` is this request's idempotency key:
 * the same id again (a retry) sends nothing more. Without `target` the bill's own target is used.
 */
export const resendNotice = (id: BillId, body: { channel: NotificationChannel; target?: string; requestId: string }, options?: { silent?: boolean }) =>
  http.post<ResendResult>(`/bills/${encodeURIComponent(String(id))}/notices/resend`, body, options);

/** The notice slip (告知单) PDF, for printing in the browser. */
export const noticeSlipPath = (id: BillId) => `/api/bills/${encodeURIComponent(String(id))}/notice-slip`;
