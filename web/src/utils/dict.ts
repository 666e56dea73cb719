/** Display labels (zh-CN) and tag colours for the codes the API sends. */

export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger';

export interface DictEntry {
  label: string;
  type: TagType;
}

const lookup = (dict: Record<string, DictEntry>, code: string | null | undefined): DictEntry =>
  (code && dict[code]) || { label: code || '-', type: 'info' };

export const BILL_STATE: Record<string, DictEntry> = {
  normal: { label: '正常', type: 'success' },
  reversed: { label: '已冲红', type: 'danger' },
};

export const UPLOAD_STATE: Record<string, DictEntry> = {
  pending: { label: '待上传', type: 'warning' },
  uploaded: { label: '已上传', type: 'success' },
  rejected: { label: '被退回', type: 'danger' },
};

export const NOTIFY_CHANNEL: Record<string, DictEntry> = {
  sms: { label: '短信', type: 'primary' },
  email: { label: '邮件', type: 'primary' },
  wechat: { label: '微信', type: 'success' },
};

export const NOTIFY_STATUS: Record<string, DictEntry> = {
  pending: { label: '待发送', type: 'warning' },
  sent: { label: '已发送', type: 'success' },
  failed: { label: '失败', type: 'danger' },
};

export const ROLE: Record<string, DictEntry> = {
  admin: { label: '系统管理员', type: 'danger' },
  cashier: { label: '收费员', type: 'primary' },
  auditor: { label: '审核员', type: 'warning' },
  finance: { label: '财务', type: 'success' },
  stock: { label: '票据管理员', type: 'info' },
};

export const billState = (code: string | null | undefined) => lookup(BILL_STATE, code);
export const uploadState = (code: string | null | undefined) => lookup(UPLOAD_STATE, code);
export const notifyChannel = (code: string | null | undefined) => lookup(NOTIFY_CHANNEL, code);
export const notifyStatus = (code: string | null | undefined) => lookup(NOTIFY_STATUS, code);
export const roleLabel = (code: string) => ROLE[code]?.label ?? code;

/** Labels for the usual keys of a bill's `extra` object (visit information from the HIS). */
export const EXTRA_LABELS: Record<string, string> = {
  sex: '性别',
  age: '年龄',
  caseNumber: '病历号',
  medicalCaseNo: '病历号',
  outpatientNo: '门诊号',
  hospitalNo: '住院号',
  inpatientNo: '住院号',
  visitNo: '就诊号',
  deptName: '就诊科室',
  department: '就诊科室',
  categoryName: '就诊科室',
  doctor: '医生',
  doctorName: '医生',
  medicalCareType: '医疗类别',
  medicalInsuranceType: '医保类型',
  medInsuranceType: '医保类型',
  medicalInsuranceId: '医保编号',
  cardType: '卡类型',
  cardNo: '卡号',
  inHospitalDate: '入院日期',
  outHospitalDate: '出院日期',
  hospitalDays: '住院天数',
  bedNo: '床号',
  ward: '病区',
  fundPay: '统筹基金支付',
  accountPay: '个人账户支付',
  ownPay: '个人自付',
  selfPay: '个人自费',
  otherPay: '其他支付',
};
