/**
 * The Chinese names of a refund's states and of the actions on its timeline, shared by the
 * workflow's refusals, the store's refusals and the API's answers. Pure, so the workflow bundle
 * can import it.
 */
export const REFUND_STATE_NAMES: Record<string, string> = {
  approving: '审批中',
  withdrawn: '已撤回',
  rejected: '已驳回',
  refunding: '退款中',
  awaiting_cashier: '待窗口退款',
  refund_failed: '退款失败',
  reversing: '票据冲红中',
  done: '已完成',
  bill_blocked: '票据重开受阻',
  bill_changed: '票据已变更，未退款',
};

export const REFUND_ACTION_NAMES: Record<string, string> = {
  submit: '提交申请',
  approve: '同意',
  reject: '驳回',
  return: '退回',
  transfer: '转办',
  comment: '评论',
  extend: '延期',
  withdraw: '撤回',
  cashier_confirm: '确认已退款',
  retry_money: '重新退款',
  offline: '改为窗口退款',
  remind: '超时提醒',
  escalate: '超时上报',
  money_sent: '已发起退款',
  money_back: '退款成功',
  money_failed: '退款失败',
  bill_reversed: '票据已冲红',
  bill_reissued: '票据已重开',
  bill_blocked: '票据重开受阻',
  notified: '已通知患者',
  bill_changed: '票据已变更，停止退款',
};

export const refundStateName = (state: string) => REFUND_STATE_NAMES[state] ?? state;
export const refundActionName = (action: string) => REFUND_ACTION_NAMES[action] ?? action;
