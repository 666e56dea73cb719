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
  /** normal | reversed | scarlet */
  state?: string;
  /** a bill kind code */
  kind?: string;
  /** pending | uploaded | rejected */
  uploadState?: string;
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
  /** Who asked for it as a person reads it (domain/actors.ts): 收费员 李敏, HIS 接口（…）, 系统（交付）. */
  actorName?: string;
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

/** One step of a bill's life (开具, 通知, 冲红, 重开, …), oldest first. */
export type TimelineType =
  | 'issued'
  | 'notified'
  | 'notice_failed'
  | 'notice_resent'
  | 'card_inserted'
  | 'layout_printed'
  | 'slip_printed'
  | 'exchanged'
  | 'paper_reprinted'
  | 'paper_voided'
  | 'reversal_requested'
  | 'awaiting_paper'
  | 'paper_reminder'
  | 'reversed'
  | 'reissue_requested'
  | 'reissued'
  | 'reissue_blocked'
  | 'reissue_abandoned';

export interface TimelineEvent {
  type: TimelineType | string;
  /** The Chinese name of the step. */
  label: string;
  actor?: string | null;
  /** Who did it as a person reads it (domain/actors.ts). */
  actorName?: string | null;
  detail?: string | null;
  /** ISO timestamp. */
  at: string;
  workflowId?: string;
  workflowUrl?: string;
}

/** Whether the e-bill has been exchanged for a paper bill (换开纸质票据). */
export interface BillPaper {
  state: 'none' | 'exchanged' | string;
  billBatchCode?: string | null;
  billNo?: string | null;
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
  /** On a partial-refund reissue: the bill it replaced. */
  originBill?: BillRef | null;
  /** On a bill replaced by a partial refund: the reissued bill. */
  reissuedBill?: BillRef | null;
  timeline?: TimelineEvent[];
  paper?: BillPaper | null;
  totalAmt: Yuan;
  totalAmtChinese?: string;
  remark?: string;
  uploadState: UploadState | string;
  /** Fiscal upload and accounting status (入账). */
  upload?: BillUpload | null;
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
  /** The bill's refund applications (退费审批), when the API sends them. */
  refunds?: BillRefund[] | null;
}

/** A refund application of a bill, as listed on the bill's page. */
export interface BillRefund {
  id: number;
  refundNo: string;
  state: string;
  stateName?: string;
  channel?: string;
  channelName?: string;
  amount: Yuan;
  createdAt: string;
}

export const searchBills = (query: BillQuery, signal?: AbortSignal) =>
  http.get<BillPage>('/bills', { ...query }, { signal });

export const fetchBill = (id: BillId, options?: { silent?: boolean; signal?: AbortSignal }) =>
  http.get<{ bill: BillDetail }>(`/bills/${encodeURIComponent(String(id))}`, undefined, options);

/**
 * 202 of a reversal or a partial refund of a bill exchanged for paper: registered, it goes on
 * once the paper bill has been recovered and voided (a to-do for the point's cashiers).
 */
export interface AwaitingPaper {
  state: 'awaiting_paper';
  message: string;
}

export const isAwaitingPaper = (v: unknown): v is AwaitingPaper =>
  typeof v === 'object' && v !== null && (v as { state?: unknown }).state === 'awaiting_paper';

/** Reverses a whole bill (冲红) with a red bill; repeating it answers with the same red bill. */
export const writeOffBill = (id: BillId, reason: string, options?: { silent?: boolean }) =>
  http.post<WriteOffResult | AwaitingPaper>(`/bills/${encodeURIComponent(String(id))}/write-off`, { reason }, options);

/** What is refunded: by charge line (sortNo and amount of each) or as one amount. */
export interface PartialRefundRequest {
  reason: string;
  refundDetail?: Array<{ sortNo: number; amt: Yuan }>;
  refundAmt?: Yuan;
  refundChannelCode?: string;
}

export interface ReissuedBill {
  busNo: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  totalAmt: Yuan;
  pictureUrl?: string;
}

export interface BlockedReissue {
  busNo: string;
  totalAmt: Yuan;
  /** Why the new bill could not be issued (e.g. no numbers left at the point). */
  reason: string;
}

/** 200 of a partial refund: the red bill, and the new bill for the rest (or why it is waiting). */
export type PartialRefundResult = {
  eScarletBillBatchCode: string;
  eScarletBillNo: string;
  eScarletRandom: string;
  createTime: string;
} & ({ reissueState: 'issued'; reissue: ReissuedBill } | { reissueState: 'blocked'; reissue: BlockedReissue });

/** Partial refund (部分退费): reverses the bill and reissues the rest in one process. */
export const partialRefundBill = (id: BillId, body: PartialRefundRequest, options?: { silent?: boolean }) =>
  http.post<PartialRefundResult | AwaitingPaper>(`/bills/${encodeURIComponent(String(id))}/partial-refund`, body, options);

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

export interface BillUpload {
  state: UploadState | string;
  /** Why the fiscal platform rejected it. */
  reason?: string | null;
  batchNo?: string | null;
  attempts: number;
  uploadedAt?: string | null;
  requeuedBy?: string | null;
  requeuedAt?: string | null;
  accounted: boolean;
  accountedAt?: string | null;
  accountCheckedAt?: string | null;
}
