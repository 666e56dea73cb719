/**
 * Refund approval (退费审批): a refund asked for by the HIS, the patient or a cashier goes through an
 * approval chain (doctor → department → finance …), then the money goes back through its channel
 * and the bill is reversed (and reissued for the rest of a partial refund). See refund-contract.md.
 */
import { http } from './http';
import type { BillId, Yuan } from './bills';

/** The API's own vocabularies (domain/refund/states.ts, rules.ts): one list of states, actions and channels. */
import type { RefundActionName, RefundState } from '../../../domain/refund/states';
import type { RefundChannel } from '../../../domain/refund/rules';
export type { RefundChannel, RefundState };
/** 自费 / 医保: each has its own approval chain. */
export type PayType = 'self' | 'insured';
export type RefundAction = RefundActionName;
/** The lists of the 退费审批 page; `all` for admin and finance only. */
export type RefundBox = 'todo' | 'done' | 'mine' | 'cc' | 'all';
export type RefundSource = 'his' | 'patient' | 'console';

/** One step of an approval chain, as configured (退费流程配置): the platform's own type. */
export type { ChainStep } from '@domain/refund/chain';
import type { ChainStep } from '@domain/refund/chain';

export interface RefundBillRef {
  id: BillId;
  billBatchCode: string;
  billNo: string;
  totalAmt: Yuan;
}

export interface RefundCurrentStep {
  index: number;
  key: string;
  name: string;
  assignee?: string | null;
  /** The assignee's display name. */
  assigneeName?: string | null;
  /** Roles that may decide the step when nobody is assigned. */
  roles?: string[];
  /** ISO timestamp; null when the step has no deadline. */
  deadline: string | null;
  overdue: boolean;
}

export interface RefundListItem {
  id: number;
  refundNo: string;
  state: RefundState | string;
  stateName: string;
  payType: PayType | string;
  channel: RefundChannel | string;
  channelName: string;
  /** The refund amount (yuan). */
  amount: Yuan;
  patientName: string;
  patientNo: string;
  bill: RefundBillRef;
  currentStep?: RefundCurrentStep | null;
  reason: string;
  createdAt: string;
  updatedAt: string;
  source: RefundSource | string;
}

export type ChainStepStatus = 'done' | 'current' | 'pending' | 'skipped';

export interface RefundChainStep extends ChainStep {
  index: number;
  status: ChainStepStatus | string;
  /** How the step was decided (sent by the API beyond the contract). */
  decision?: 'approve' | 'reject' | null;
  decidedBy?: string;
  decidedAt?: string;
}

export interface RefundTimelineEntry {
  id: number;
  at: string;
  /** Username (or `system`, `HIS:{appid}`, `patient`). */
  actor: string;
  actorName: string;
  action: string;
  actionName: string;
  stepName?: string;
  comment?: string | null;
  detail?: Record<string, unknown>;
}

export type MoneyState = 'none' | 'processing' | 'success' | 'failed';

export interface RefundMoney {
  state: MoneyState | string;
  outRefundNo: string;
  channelRefundId?: string | null;
  at?: string | null;
  failReason?: string | null;
  /** A cashier's receipt or UnionPay reference (window refunds). */
  voucherNo?: string | null;
}

export interface RefundBillStatus {
  state: string;
  redBill?: { id: BillId; billBatchCode: string; billNo: string } | null;
  reissuedBill?: RefundBillRef | null;
  /** Why the reissue is blocked. */
  reason?: string | null;
}

export interface RefundWorkflow {
  workflowId: string;
  /** The workflow in the Temporal UI. */
  url: string;
  /** The workflow's query answer; null once it is closed. */
  live: Record<string, unknown> | null;
}

export interface RefundItem {
  sortNo: number;
  name: string;
  amt: Yuan;
  refundAmt: Yuan;
}

export interface RefundDetail extends RefundListItem {
  /** What was paid through the channel. */
  paidAmt: Yuan;
  /** Other refunds of this bill already taken. */
  refundedBefore: Yuan;
  /** Per charge line; null = one amount. */
  items: RefundItem[] | null;
  chain: RefundChainStep[];
  timeline: RefundTimelineEntry[];
  money: RefundMoney;
  billStatus: RefundBillStatus;
  workflow: RefundWorkflow;
  rejectReason?: string | null;
  /** What the signed-in user may do now (computed by the server). */
  actions: RefundAction[];
  /** Optimistic concurrency token, sent back with an action. */
  version: number;
  /** Users holding the current step's roles (for 转办). */
  transferCandidates?: Array<{ username: string; displayName: string }>;
  /** Sent by the API beyond the contract: who asked for it, the doctor named, the original payment. */
  applicant?: string | null;
  applicantName?: string | null;
  doctor?: string | null;
  doctorName?: string | null;
  outTradeNo?: string | null;
  transactionId?: string | null;
}

export interface RefundQuery {
  box: RefundBox;
  state?: string;
  q?: string;
  page: number;
  pageSize: number;
}

export interface RefundPage {
  items: RefundListItem[];
  total: number;
}

export interface RefundCounts {
  todo: number;
  overdue: number;
  done: number;
  mine: number;
  cc: number;
  /** Every refund: sent to those who may see them all (admin, finance). */
  all?: number;
}

export interface RefundActionRequest {
  action: RefundAction;
  version: number;
  comment?: string;
  /** return: the index of an earlier step. */
  toStep?: number;
  /** transfer: a username. */
  to?: string;
  /** extend: 1..720. */
  hours?: number;
  /** cashier_confirm. */
  voucherNo?: string;
}

export interface CreateRefundRequest {
  billId: number;
  channel: RefundChannel;
  amount?: Yuan;
  items?: Array<{ sortNo: number; amt: Yuan }>;
  reason: string;
  /** Username of the doctor who decides the first step. */
  doctor?: string;
  /** The merchant order number (商户订单号) of a WeChat Pay / Alipay payment. */
  outTradeNo?: string;
}

export interface RefundChain {
  code: PayType;
  name: string;
  steps: ChainStep[];
  updatedAt?: string | null;
  updatedBy?: string | null;
}

/** The optimistic-concurrency refusal (HTTP 409): the step was decided by someone else. */
export const CONFLICT_CODE = 'E0093';

type Options = { silent?: boolean; signal?: AbortSignal };
const refundPath = (id: number | string) => `/refunds/${encodeURIComponent(String(id))}`;

export const fetchRefunds = (query: RefundQuery, options?: Options) => http.get<RefundPage>('/refunds', { ...query }, options);

export const fetchRefundCounts = (options?: Options) => http.get<RefundCounts>('/refunds/counts', undefined, options);

export const fetchRefund = (id: number | string, options?: Options) => http.get<RefundDetail>(refundPath(id), undefined, options);

/** An action on a refund; answers with the refund as it is now. The caller shows the errors. */
export const actOnRefund = (id: number | string, body: RefundActionRequest) =>
  http.post<RefundDetail>(`${refundPath(id)}/actions`, body, { silent: true });

/** A refund started at the window (cashier, finance, admin); 201 with the new refund. */
export const createRefund = (body: CreateRefundRequest) => http.post<RefundDetail>('/refunds', body, { silent: true });

export const fetchRefundChains = (options?: Options) => http.get<RefundChain[]>('/refund-chains', undefined, options);

/** Replaces a chain's steps (admin); refunds started afterwards follow it. */
export const saveRefundChain = (code: PayType, steps: ChainStep[]) =>
  http.put<RefundChain>(`/refund-chains/${encodeURIComponent(code)}`, { steps }, { silent: true });
