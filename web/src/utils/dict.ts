/** Display labels (zh-CN) and tag colours for the codes the API sends. */
import { REFUND_ACTION_NAMES, REFUND_STATE_NAMES } from '@domain/refund/names';
import { FINAL_STATES, NO_MONEY_STATES } from '@domain/refund/states';
import { ONLINE_CHANNELS } from '@domain/refund/rules';
import { BILL_STATE_NAMES } from '@domain/bill/states';
import { cardTypeName, PAYER_TYPES } from '@domain/bill/codes';

export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger';

export interface DictEntry {
  label: string;
  type: TagType;
}

const lookup = (dict: Record<string, DictEntry>, code: string | null | undefined): DictEntry =>
  (code && dict[code]) || { label: code || '-', type: 'info' };

/** Each state's name is the API's (domain/bill/states.ts); the colour is the console's. */
export const BILL_STATE: Record<string, DictEntry> = {
  normal: { label: BILL_STATE_NAMES.normal, type: 'success' },
  reversed: { label: BILL_STATE_NAMES.reversed, type: 'danger' },
};

export const UPLOAD_STATE: Record<string, DictEntry> = {
  pending: { label: '待上传', type: 'warning' },
  uploaded: { label: '已上传', type: 'success' },
  rejected: { label: '被拒收', type: 'danger' },
};

export const NOTIFY_CHANNEL: Record<string, DictEntry> = {
  sms: { label: '短信', type: 'primary' },
  email: { label: '邮件', type: 'primary' },
  wechat: { label: '微信', type: 'success' },
  card: { label: '微信卡包', type: 'success' },
};

export const NOTIFY_STATUS: Record<string, DictEntry> = {
  pending: { label: '待发送', type: 'warning' },
  sent: { label: '已发送', type: 'success' },
  failed: { label: '失败', type: 'danger' },
};

/** The platform's roles (orm/entities.ts User.roles). */
export const ROLE: Record<string, DictEntry> = {
  sysadmin: { label: '系统管理员', type: 'danger' },
  secadmin: { label: '安全管理员', type: 'danger' },
  auditadmin: { label: '审计管理员', type: 'danger' },
  finance: { label: '财务', type: 'success' },
  cashier: { label: '收费员', type: 'primary' },
  doctor: { label: '医生', type: 'info' },
  department: { label: '科室', type: 'info' },
  audit: { label: '稽核', type: 'warning' },
};


/** Issuance interfaces (the HIS method that issued the bill). */
export const ISSUE_METHOD: Record<string, string> = {
  invEBillRegistration: '挂号票据开具',
  invoiceEBillOutpatient: '门诊票据开具',
  invEBillHospitalized: '住院票据开具',
  invEBillCheckUp: '体检票据开具',
  writeOffEBill: '冲红（红字票据）',
};

/** Kinds of to-do items (待办事项). */
export const TODO_KIND: Record<string, DictEntry> = {
  paper_recovery: { label: '收回纸质票据', type: 'warning' },
  reissue_blocked: { label: '部分退费重开受阻', type: 'danger' },
};

export const TODO_STATE: Record<string, DictEntry> = {
  open: { label: '待处理', type: 'warning' },
  done: { label: '已完成', type: 'success' },
  cancelled: { label: '已取消', type: 'info' },
};

/**
 * Colour of each step on a bill's timeline: reversals red, what went wrong or waits for a person
 * orange, the paper bill's steps grey, issuing green, the rest blue.
 */
export const TIMELINE_TYPE: Record<string, TagType> = {
  issued: 'success',
  reissued: 'success',
  notified: 'primary',
  notice_resent: 'primary',
  reissue_requested: 'primary',
  notice_failed: 'warning',
  reissue_blocked: 'warning',
  reissue_abandoned: 'warning',
  reversal_requested: 'danger',
  reversed: 'danger',
  card_inserted: 'info',
  layout_printed: 'info',
  slip_printed: 'info',
  exchanged: 'info',
  paper_reprinted: 'info',
  paper_voided: 'info',
  awaiting_paper: 'info',
  paper_reminder: 'info',
};

/** Refund states (退费审批). */
const REFUND_STATE_TYPE: Record<string, TagType> = {
  approving: 'primary',
  withdrawn: 'info',
  rejected: 'danger',
  refunding: 'warning',
  awaiting_cashier: 'warning',
  refund_failed: 'danger',
  reversing: 'warning',
  done: 'success',
  bill_blocked: 'danger',
  bill_changed: 'danger',
};
/** Each state's name is the API's (domain/refund/names.ts); the colour is the console's. */
export const REFUND_STATE: Record<string, DictEntry> = Object.fromEntries(
  Object.entries(REFUND_STATE_TYPE).map(([state, type]) => [state, { label: REFUND_STATE_NAMES[state], type }]),
);

/** Refund states the detail page re-reads by itself (the money or the bill is on its way). */
export const REFUND_MOVING_STATES = ['refunding', 'reversing', 'awaiting_cashier'];

/** Refund states that do not change any more (the API's list: domain/refund/states.ts). */
export const REFUND_FINAL_STATES: readonly string[] = FINAL_STATES;

/** Refund states that ended before any money went back (the bill is left alone). */
export const REFUND_NO_MONEY_STATES: readonly string[] = NO_MONEY_STATES;

export const REFUND_CHANNEL: Record<string, DictEntry> = {
  wechat: { label: '微信支付', type: 'success' },
  alipay: { label: '支付宝', type: 'primary' },
  cash: { label: '现金', type: 'warning' },
  unionpay: { label: '银联卡', type: 'info' },
};

/** Channels whose money goes back online: the merchant order number (商户订单号) is needed. */
export const ONLINE_REFUND_CHANNELS: readonly string[] = ONLINE_CHANNELS;

export const PAY_TYPE: Record<string, DictEntry> = {
  self: { label: '自费', type: 'info' },
  insured: { label: '医保', type: 'success' },
};

export const REFUND_SOURCE: Record<string, string> = { his: 'HIS', patient: '患者自助', console: '窗口' };

/** Actions on a refund (buttons) and the steps of its timeline: the names the API and the workflow use. */
export const REFUND_ACTION: Record<string, string> = REFUND_ACTION_NAMES;

/** Colour of each step on a refund's timeline. */
export const REFUND_TIMELINE_TYPE: Record<string, TagType> = {
  submit: 'primary',
  approve: 'success',
  reject: 'danger',
  return: 'warning',
  transfer: 'primary',
  comment: 'info',
  extend: 'info',
  withdraw: 'info',
  remind: 'warning',
  escalate: 'danger',
  cashier_confirm: 'success',
  retry_money: 'primary',
  offline: 'warning',
  money_sent: 'primary',
  money_back: 'success',
  money_failed: 'danger',
  bill_reversed: 'danger',
  bill_reissued: 'success',
  bill_blocked: 'danger',
  bill_changed: 'danger',
  notified: 'primary',
};

export const MONEY_STATE: Record<string, DictEntry> = {
  none: { label: '未发起', type: 'info' },
  processing: { label: '退款处理中', type: 'warning' },
  success: { label: '退款成功', type: 'success' },
  failed: { label: '退款失败', type: 'danger' },
};

/** The bill's side of a refund (billStatus.state); unknown states are shown as they come. */
export const REFUND_BILL_STATE: Record<string, DictEntry> = {
  none: { label: '未处理', type: 'info' },
  pending: { label: '待冲红', type: 'info' },
  waiting: { label: '等待冲红', type: 'warning' },
  reversing: { label: '冲红中', type: 'warning' },
  reversed: { label: '已冲红', type: 'danger' },
  reissuing: { label: '重开中', type: 'warning' },
  reissued: { label: '已冲红并重开', type: 'success' },
  blocked: { label: '重开受阻', type: 'danger' },
  awaiting_paper: { label: '待收回纸质票据', type: 'warning' },
};

/** Roles a chain step can be given to (退费流程配置; domain/refund/chain.ts REFUND_ROLES, which the API checks). */
export const REFUND_STEP_ROLES = ['doctor', 'department', 'finance', 'cashier'] as const;

export const billState = (code: string | null | undefined) => lookup(BILL_STATE, code);
export const uploadState = (code: string | null | undefined) => lookup(UPLOAD_STATE, code);
export const notifyChannel = (code: string | null | undefined) => lookup(NOTIFY_CHANNEL, code);
export const notifyStatus = (code: string | null | undefined) => lookup(NOTIFY_STATUS, code);
export const todoKind = (code: string | null | undefined, label?: string): DictEntry => {
  const e = lookup(TODO_KIND, code);
  return label ? { ...e, label } : e;
};
export const todoState = (code: string | null | undefined) => lookup(TODO_STATE, code);
export const timelineType = (code: string | null | undefined): TagType => (code && TIMELINE_TYPE[code]) || 'primary';
export const roleLabel = (code: string) => ROLE[code]?.label ?? code;
export const refundState = (code: string | null | undefined, label?: string): DictEntry => {
  const e = lookup(REFUND_STATE, code);
  return label ? { ...e, label } : e;
};
export const refundChannel = (code: string | null | undefined, label?: string): DictEntry => {
  const e = lookup(REFUND_CHANNEL, code);
  return label ? { ...e, label } : e;
};
export const payType = (code: string | null | undefined) => lookup(PAY_TYPE, code);
export const moneyState = (code: string | null | undefined) => lookup(MONEY_STATE, code);
export const refundBillState = (code: string | null | undefined) => lookup(REFUND_BILL_STATE, code);
export const refundActionLabel = (code: string) => REFUND_ACTION[code] ?? code;
export const refundTimelineType = (code: string | null | undefined): TagType => (code && REFUND_TIMELINE_TYPE[code]) || 'primary';

/** Labels for the keys of a bill's `extra` object (visit and settlement details from the HIS). */
export const EXTRA_LABELS: Record<string, string> = {
  payerType: '交款人类型',
  cardType: '卡类型',
  cardNo: '卡号',
  alipayCode: '支付宝交易号',
  weChatOrderNo: '微信订单号',
  weChatMedTransNo: '微信医保交易号',
  sex: '性别',
  age: '年龄',
  caseNumber: '病历号',
  patientCategory: '就诊科室',
  patientCategoryCode: '科室编码',
  consultationDate: '就诊日期',
  medicalInstitution: '医疗机构类型',
  medCareInstitution: '医保机构',
  medCareTypeCode: '医疗类别编码',
  medicalCareType: '医疗类别',
  medicalInsuranceID: '医保编号',
  hospitalNo: '住院号',
  visitNo: '就诊号',
  hospitalArea: '病区',
  bedNo: '床号',
  inHospitalDate: '入院日期',
  outHospitalDate: '出院日期',
  hospitalDays: '住院天数',
  leaveCategory: '出院方式',
  checkUpNo: '体检号',
  accountPay: '个人账户支付',
  fundPay: '统筹基金支付',
  otherfundPay: '其他基金支付',
  ownPay: '个人自费',
  selfConceitedAmt: '个人自负',
  selfPayAmt: '个人自付',
  selfCashPay: '个人现金支付',
  cashPay: '现金支付',
  chequePay: '支票支付',
  transferAccountPay: '转账支付',
  cashRecharge: '补缴金额',
  cashRefund: '退款金额',
  reimbursementAmt: '报销金额',
  balancedNumber: '结算号',
  ownAcBalance: '个人账户余额',
  eBillRelateNo: '关联票据号',
  isArrears: '是否欠费',
  arrearsReason: '欠费原因',
  otherInfo: '其他信息',
  otherMedicalList: '其他医保信息',
};

/** `extra` keys not shown in the visit block (shown elsewhere on the page). */
export const EXTRA_HIDDEN = new Set(['noticeList']);

/** Code keys of `extra` and the key of the name they stand for. */
export const EXTRA_CODE_OF: Record<string, string> = {
  patientCategoryCode: 'patientCategory',
  medCareTypeCode: 'medicalCareType',
};

/** payerType codes of the e-bill standard (domain/bill/codes.ts). */
export const PAYER_TYPE: Record<string, string> = PAYER_TYPES;

/**
 * The name of a coded `extra` value (卡类型 01 -> 居民身份证, 交款人类型 1 -> 个人); other values as they are.
 */
export function extraValueName(key: string, value: string): string {
  if (key === 'payerType') return PAYER_TYPES[value] ?? value;
  if (key === 'cardType') return cardTypeName(value);
  return value;
}

/** `extra` keys holding HIS dates ("yyyyMMdd"). */
export const EXTRA_DATES = new Set(['consultationDate', 'inHospitalDate', 'outHospitalDate']);

/** Who has a refund's current step: the assigned user by name, else any holder of its roles (任一医生 / 财务). */
export function stepAssigneeText(step: { assignee?: string | null; assigneeName?: string | null; roles?: string[] } | null | undefined): string {
  if (!step) return '-';
  if (step.assignee) return step.assigneeName ? `${step.assigneeName}（${step.assignee}）` : step.assignee;
  return step.roles?.length ? `任一${step.roles.map(roleLabel).join(' / ')}` : '待认领';
}
