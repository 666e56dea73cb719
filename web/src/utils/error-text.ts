/**
 * What a person reads of an API refusal. The API's messages start with the field at fault
 * (`chargeDetail[0].chargeCode: HIS 收费项目编码 … 未对照财政项目`) so an integrator sees which
 * field; the console shows the field's Chinese name instead (`收费项目第 1 条的收费项目编码：…`),
 * or only the reason when the field has no name here.
 */
import { EXTRA_LABELS } from './dict';

/** Chinese names of the fields the API names in its refusals (the common ones; others are stripped). */
export const FIELD_LABELS: Record<string, string> = {
  ...EXTRA_LABELS,
  // bills and the HIS request
  billId: '票据',
  billIds: '票据',
  billNo: '票据号码',
  billBatchCode: '票据代码',
  billKindCode: '票据种类',
  billKind: '票据种类',
  busNo: '业务流水号',
  busType: '业务类型',
  busDate: '业务日期',
  busDateTime: '业务发生时间',
  placeCode: '开票点',
  payer: '交款人',
  payee: '收款人',
  author: '开票人',
  checker: '复核人',
  operator: '经办人',
  totalAmt: '总金额',
  patientNo: '患者编号',
  patientId: '患者唯一标识',
  idCardNo: '证件号码',
  tel: '手机号码',
  email: '邮箱',
  openID: '微信 openID',
  openId: '微信 openID',
  remark: '备注',
  random: '校验码',
  chargeDetail: '收费项目',
  chargeCode: '收费项目编码',
  chargeName: '收费项目名称',
  sortNo: '序号',
  amt: '金额',
  selfAmt: '自费金额',
  unit: '计量单位',
  std: '收费标准',
  number: '数量',
  payChannelDetail: '支付渠道',
  payChannelCode: '支付渠道编码',
  payChannelValue: '支付金额',
  listDetail: '清单明细',
  noticeList: '通知',
  noticeType: '通知方式',
  noticeValue: '通知接收方',
  // paper bills
  pBillBatchCode: '纸质票据代码',
  pBillNo: '纸质票据号码',
  pBillNoStart: '起始号码',
  pBillNoEnd: '终止号码',
  jobId: '打印任务',
  // refunds and reversals
  refundNo: '退费单号',
  refundAmt: '退费金额',
  refundDetail: '退费明细',
  refundChannelCode: '退费渠道',
  channel: '渠道',
  payType: '支付类型',
  amount: '金额',
  outTradeNo: '商户订单号',
  transactionId: '支付交易号',
  voucherNo: '退款凭证号',
  reason: '原因',
  comment: '意见',
  hours: '延期小时数',
  to: '转办给',
  toStep: '退回到',
  actor: '操作人',
  version: '版本',
  proof: '操作凭证',
  steps: '审批步骤',
  key: '步骤标识',
  name: '名称',
  roles: '角色',
  deadlineHours: '办理时限',
  remindBeforeHours: '提前提醒',
  target: '接收方',
  // stock, points, mappings
  code: '编码',
  parentCode: '上级开票点',
  lines: '明细行',
  quantity: '数量',
  state: '状态',
  startNo: '起始号码',
  endNo: '终止号码',
  hisCode: 'HIS 编码',
  hisName: 'HIS 名称',
  fiscalItemCode: '财政项目编码',
  rows: '行',
  // users and the console
  username: '用户名',
  displayName: '姓名',
  password: '密码',
  currentPassword: '当前密码',
  newPassword: '新密码',
  permissions: '权限',
  kind: '类型',
  scope: '数据范围',
  campuses: '院区',
  points: '开票点',
  id: '编号',
  page: '页码',
  pageSize: '每页条数',
  pageNo: '页码',
  dateFrom: '开始日期',
  dateTo: '结束日期',
  body: '请求内容',
};

const FIELD_PREFIX = /^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*)*): /;

/**
 * The Chinese name of a field path, or undefined when a part has no name:
 * `chargeDetail[0].chargeCode` → `收费项目第 1 条的收费项目编码`.
 */
export function fieldLabel(field: string): string | undefined {
  const parts: string[] = [];
  for (const seg of field.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$/.exec(seg);
    const label = m && Object.prototype.hasOwnProperty.call(FIELD_LABELS, m[1]) ? FIELD_LABELS[m[1]] : undefined;
    if (!m || !label) return undefined;
    const rows = [...m[2].matchAll(/\[(\d+)\]/g)].map((x) => `第 ${Number(x[1]) + 1} 条`).join('');
    parts.push(label + rows);
  }
  return parts.join('的');
}

/** The field an API message starts with (`field` when given and it matches), and the reason after it. */
export function splitFieldMessage(message: string, field?: string): { field?: string; reason: string } {
  if (field && message.startsWith(`${field}: `)) return { field, reason: message.slice(field.length + 2) };
  const m = FIELD_PREFIX.exec(message);
  return m ? { field: m[1], reason: message.slice(m[0].length) } : { reason: message };
}

/** The API's message as a person reads it: `字段名：原因`, or only the reason when the field has no Chinese name. */
export function displayMessage(message: string, field?: string): string {
  const s = splitFieldMessage(message, field);
  if (!s.field) return message;
  const label = fieldLabel(s.field);
  return label ? `${label}：${s.reason}` : s.reason;
}

/** The reason alone (for a message shown next to its field in a form): without `field: ` or `字段名：`. */
export function withoutField(message: string, field?: string): string {
  const s = splitFieldMessage(message, field);
  if (s.field) return s.reason;
  const label = field ? fieldLabel(field) : undefined;
  if (label && message.startsWith(`${label}：`)) return message.slice(label.length + 1);
  return message;
}
