/**
 * A bill's timeline (bill_event). Each event is written in the same transaction as the change it
 * records, so the timeline never shows a step that did not happen nor misses one that did.
 */

/** What can happen to a bill; the console shows each with its Chinese label. */
export const BILL_EVENT_TYPES = {
  issued: '开具',
  notified: '已通知',
  notice_failed: '通知失败',
  notice_resent: '重发通知',
  card_inserted: '已插入微信卡包',
  layout_printed: '打印',
  slip_printed: '打印告知单',
  exchanged: '换开纸质票据',
  paper_reprinted: '重新换开纸质票据',
  paper_voided: '作废纸质票据',
  reversal_requested: '申请冲红',
  awaiting_paper: '等待收回纸质票据',
  paper_reminder: '催收纸质票据',
  reversed: '冲红',
  reissue_requested: '申请部分退费重开',
  reissued: '重开',
  reissue_blocked: '重开受阻',
  reissue_abandoned: '放弃重开',
  uploaded: '已上传财政',
  upload_rejected: '财政拒收',
  upload_requeued: '重新上传',
  accounted: '已入账',
} as const;

export type BillEventType = keyof typeof BILL_EVENT_TYPES;

export interface BillEventInput {
  billId: number;
  type: BillEventType;
  /** A console username, `HIS:{appid}`, or `system`. */
  actor: string;
  /** Short human-readable detail (Chinese is fine: the console shows it as is). */
  detail?: string;
  workflowId?: string;
  at?: Date;
}
