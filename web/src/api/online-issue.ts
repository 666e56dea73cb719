/** 在线开具: the options of the form, a bill issued by hand, the Excel template and import. */
import { http, request } from './http';

export interface OnlineIssueOptions {
  places: Array<{ code: string; name: string }>;
  busTypes: Array<{ code: string; name: string; billKindName: string; medical: boolean }>;
  charges: Array<{ code: string; name: string; fiscalCode: string; fiscalName: string }>;
  itemGroups: Array<{ id: number; name: string; hisCodes: string[] }>;
  payChannels: Array<{ code: string; name: string }>;
  maxItems: number;
}

export interface OnlineIssueForm {
  requestKey: string;
  placeCode: string;
  busType: string;
  payer: string;
  /** Required for a medical bill; 往来结算 and 捐赠 have none. */
  patientNo?: string;
  /** 补开: the business day (yyyy-MM-dd); absent: today. */
  busDate?: string;
  idCardNo?: string;
  tel?: string;
  hospitalNo?: string;
  remark?: string;
  items: Array<{ chargeCode: string; chargeName: string; number?: string; amt: string }>;
  payments: Array<{ payChannelCode: string; payChannelValue: string }>;
}

export interface IssuedOnline {
  id: number;
  busNo: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  totalAmt: string;
  pictureUrl: string;
}

export interface ImportRefusal {
  rows: number[];
  key: string | null;
  code: string;
  reason: string;
}
export interface ImportAccepted {
  rows: number[];
  key: string;
  busNo: string;
  payer: string;
  placeCode: string;
  items: number;
  totalAmt: string;
}
export interface ImportAnswer {
  mode: 'check' | 'issue';
  accepted?: ImportAccepted[];
  issued?: Array<ImportAccepted & { result: 'issued'; bill: IssuedOnline }>;
  refused: ImportRefusal[];
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export const fetchOnlineIssueOptions = () => http.get<OnlineIssueOptions>('/online-issue/options');
export const issueOnline = (form: OnlineIssueForm) => http.post<IssuedOnline>('/online-issue', form, { silent: true });
export const onlineIssueTemplateUrl = () => '/api/online-issue/template';
export const importOnline = (mode: 'check' | 'issue', file: Blob) =>
  request<ImportAnswer>('/online-issue/import', { method: 'POST', query: { mode }, upload: { data: file, type: XLSX_TYPE }, silent: true, timeoutMs: 300_000 });
