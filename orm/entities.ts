/**
 * MikroORM entities, declared with EntitySchema (no decorators, so every transpiler works).
 * Money columns are integer fen (BIGINT mapped to number); no float column anywhere.
 */
import { BigIntType, EntitySchema } from '@mikro-orm/core';
import { SealedType } from './sealed';

/** A column sealed at rest (orm/sealed.ts): the entity holds the plain value. */
const sealed = (nullable = true) => ({ type: SealedType, columnType: 'text', nullable }) as const;

const money = () => ({ type: new BigIntType('number'), default: 0 }) as const;
const now = () => new Date();

export class Hospital {
  id!: number;
  code!: string;
  name!: string;
  /** 2-digit fiscal region, the first part of every bill code. */
  regionCode!: string;
  /** SM2 public key (hex, uncompressed). */
  publicKey!: string;
  /** SM2 private key, SM4-encrypted with the master key; empty when an external signer holds it. */
  privateKeyEnc!: string;
  /** Secret behind the 6-character check codes, SM4-encrypted. */
  checkSecretEnc!: string;
  createdAt: Date = now();
}

export class BillingPoint {
  id!: number;
  hospital!: Hospital;
  code!: string;
  name!: string;
  parent?: BillingPoint;
  /** `campus` (院区: a node whose children are billing points) or `point` (the column's default; left out on insert so older schemas still seed). */
  kind?: string;
  active = true;
  createdAt: Date = now();
}

export class BillKind {
  id!: number;
  /** 4-digit fiscal bill-kind code, e.g. 0401. */
  code!: string;
  name!: string;
  /** outpatient | inpatient | other */
  category!: string;
  electronic = true;
}

export class FiscalItem {
  id!: number;
  code!: string;
  name!: string;
}

export class ChargeCodeMap {
  id!: number;
  hospital!: Hospital;
  hisCode!: string;
  hisName?: string;
  fiscalItem!: FiscalItem;
}

export class BusinessCategory {
  id!: number;
  hospital!: Hospital;
  /** HIS busType (01 inpatient, 02 outpatient ...). */
  busType!: string;
  name!: string;
  billKind!: BillKind;
}

export class StockSegment {
  id!: number;
  hospital!: Hospital;
  place!: BillingPoint;
  billKind!: BillKind;
  billBatchCode!: string;
  startNo!: number;
  endNo!: number;
  /** The next number to use; the segment is used up when nextNo > endNo. */
  nextNo!: number;
  status = 'active';
  createdAt: Date = now();
}

export class HisApp {
  id!: number;
  appid!: string;
  name!: string;
  /** The signing key, SM4-encrypted with the master key. */
  keyEnc!: string;
  hospital!: Hospital;
  active = true;
}

export class IssueRequest {
  id!: number;
  appid!: string;
  busNo!: string;
  method!: string;
  /** SM3 of the canonical business JSON: the same busNo must come with the same content. */
  payloadHash!: string;
  payload!: string;
  /** received | issued | rejected */
  status = 'received';
  errorCode?: string;
  errorMessage?: string;
  billId?: number;
  /** Set on the request of a partial-refund reissue: the bill being replaced. */
  originBillId?: number;
  createdAt: Date = now();
  updatedAt: Date = now();
}

export class Bill {
  id!: number;
  hospital!: Hospital;
  appid!: string;
  busNo!: string;
  busType!: string;
  method!: string;
  billKind!: BillKind;
  place!: BillingPoint;
  billBatchCode!: string;
  billNo!: string;
  random!: string;
  totalAmt!: number;
  payer!: string;
  patientNo!: string;
  patientId?: string;
  /** ID number, phone and e-mail: sealed at rest, each with its blind index (orm/sealed.ts). */
  idCardNo?: string;
  tel?: string;
  email?: string;
  idCardBidx?: string;
  /** The blind index of the clinic card number (extra.cardNo); '' when the bill has none. */
  cardNoBidx?: string;
  telBidx?: string;
  emailBidx?: string;
  openId?: string;
  payee!: string;
  author!: string;
  checker?: string;
  busDateTime!: string;
  issuedAt: Date = now();
  /** normal | reversed */
  state = 'normal';
  isScarlet = false;
  remark?: string;
  /** Everything else the HIS sent about the visit and the money split, as JSON text. */
  extra?: string;
  /** listDetail (item level), as JSON text. */
  listDetail?: string;
  /** The canonical text that was signed, and the SM2 signature (r||s hex). */
  signedData!: string;
  signature!: string;
  layoutPath?: string;
  layoutSha256?: string;
  /** pending | uploaded | rejected */
  uploadState = 'pending';
  workflowId!: string;
  /** On a red bill: the original it reverses. */
  relatedBillId?: number;
  /** On a reversed original: its red bill, and who reversed it, why and when. */
  scarletBillId?: number;
  writeOffReason?: string;
  writeOffOperator?: string;
  reversedAt?: Date;
  /** none | exchanged: whether the e-bill is currently exchanged for a paper form (换开纸质). */
  paperState = 'none';
  paperBillBatchCode?: string;
  paperBillNo?: string;
  /** On a partial-refund reissue: the bill it replaces (reversed by the same process). */
  originBillId?: number;
  /** Fiscal upload: how many times it was sent, when it was accepted, in which batch, why it was rejected. */
  uploadAttempts = 0;
  uploadedAt?: Date;
  uploadBatchNo?: string;
  uploadReason?: string;
  /** Who put a rejected bill back in the upload queue (重新上传), and when. */
  uploadRequeuedBy?: string;
  uploadRequeuedAt?: Date;
  /** 入账: the payer's unit has booked the bill (from the fiscal platform's accounting status). */
  accounted = false;
  accountedAt?: Date;
  accountCheckedAt?: Date;
}

/** One batch of bills sent to the fiscal platform (batchNo derived from its content). */
export class FiscalUploadBatch {
  id!: number;
  batchNo!: string;
  hospital!: Hospital;
  billCount!: number;
  firstBillId!: number;
  lastBillId!: number;
  /** sending | done | rejected (the whole batch refused) */
  state = 'sending';
  attempts = 0;
  lastError?: string;
  acceptedCount = 0;
  rejectedCount = 0;
  workflowId?: string;
  createdAt: Date = now();
  updatedAt: Date = now();
  finishedAt?: Date;
}

/** Something a person must do for a bill's process to go on (the console's to-do list). */
export class Todo {
  id!: number;
  /** paper_recovery | reissue_blocked */
  kind!: string;
  bill!: Bill;
  placeCode!: string;
  workflowId!: string;
  /** open | done | cancelled */
  state = 'open';
  title!: string;
  detail?: string;
  createdAt: Date = now();
  /** When the next reminder fires (paper recovery). */
  remindAt?: Date;
  remindCount = 0;
  lastRemindedAt?: Date;
  closedBy?: string;
  closedAt?: Date;
}

/** One step of a bill's life, for the console's timeline. */
export class BillEvent {
  id!: number;
  bill!: Bill;
  /** issued | notified | notice_failed | printed | exchanged | paper_voided | reversed | reissued | ... (see domain/bill/events.ts) */
  type!: string;
  /** The user or system that did it: a console username, `HIS:{appid}`, or `system`. */
  actor!: string;
  detail?: string;
  workflowId?: string;
  createdAt: Date = now();
}

export class BillItem {
  id!: number;
  bill!: Bill;
  sortNo!: number;
  hisCode!: string;
  fiscalCode!: string;
  name!: string;
  unit?: string;
  /** Unit price and quantity as decimal text (prices may carry 4 places). */
  std?: string;
  number?: string;
  amt!: number;
  selfAmt!: number;
  remark?: string;
}

export class BillPayment {
  id!: number;
  bill!: Bill;
  channelCode!: string;
  amount!: number;
}

export class Notification {
  id!: number;
  bill!: Bill;
  /** sms | email | wechat */
  channel!: string;
  target!: string;
  /** pending | sent | failed */
  status = 'pending';
  /** `issue` (sent on issuance) or `resend:{requestKey}` (one per resend request). */
  purpose = 'issue';
  /** Who asked for it: a console username, `HIS:{appid}` or `system`. */
  actor = 'system';
  attempts = 0;
  lastError?: string;
  providerId?: string;
  sentAt?: Date;
  createdAt: Date = now();
}

/**
 * A refund result notice from a payment channel, verified (and decrypted). One row per state change
 * of a refund (channel + out_refund_no + state): duplicate deliveries only count up `deliveries`.
 */
export class PaymentNotice {
  id!: number;
  /** wechat | alipay */
  channel!: string;
  /** The channel's notice id of the first delivery (WeChat `id`, Alipay `notify_id`). */
  noticeId!: string;
  /** WeChat out_refund_no / Alipay out_request_no: the refund's business key. */
  outRefundNo!: string;
  outTradeNo?: string;
  channelRefundId?: string;
  /** success | failed | processing */
  state!: string;
  amountFen?: number;
  /** When the money went back, as the channel says (ISO 8601). */
  successTime?: string;
  failReason?: string;
  /** How many deliveries of this state change arrived (duplicates included). */
  deliveries = 1;
  /** The verified notice content (decrypted for WeChat), JSON. */
  detail?: string;
  receivedAt: Date = now();
  /** Set once onRefundNotice (api/pay/hooks.ts) has taken it; null = hand it over again on the next delivery. */
  handledAt?: Date;
}

export class User {
  id!: number;
  username!: string;
  displayName!: string;
  passwordHash!: string;
  /** Comma-separated role codes (`role.code`: cashier, doctor, department, finance, audit, sysadmin, secadmin, auditadmin, or a role of the hospital's). */
  roles!: string;
  placeCode?: string;
  /** The user's data scope (domain/access.ts DataScopeSetting) as JSON; null: the role's default. */
  scopeJson?: string | null;
  /** The hospital identity platform's subject (OIDC `sub`) for single sign-on. */
  oidcSubject?: string | null;
  active = true;
  /** When the password was last set (the expiry counts from here). */
  passwordChangedAt?: Date;
  /** Set by a reset: the user must choose a new password before anything else. */
  mustChangePassword = false;
  lastLoginAt?: Date;
  createdAt: Date = now();
}

export const HospitalSchema = new EntitySchema<Hospital>({
  class: Hospital,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    code: { type: 'string', length: 32, unique: true },
    name: { type: 'string', length: 128 },
    regionCode: { type: 'string', length: 2 },
    publicKey: { type: 'string', length: 160 },
    privateKeyEnc: { type: 'text' },
    checkSecretEnc: { type: 'text' },
    createdAt: { type: 'datetime' },
  },
});

export const BillingPointSchema = new EntitySchema<BillingPoint>({
  class: BillingPoint,
  uniques: [{ properties: ['hospital', 'code'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital },
    code: { type: 'string', length: 32 },
    name: { type: 'string', length: 128 },
    parent: { kind: 'm:1', entity: () => BillingPoint, nullable: true },
    kind: { type: 'string', length: 8, nullable: true },
    active: { type: 'boolean', default: true },
    createdAt: { type: 'datetime' },
  },
});

export const BillKindSchema = new EntitySchema<BillKind>({
  class: BillKind,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    code: { type: 'string', length: 4, unique: true },
    name: { type: 'string', length: 64 },
    category: { type: 'string', length: 16 },
    electronic: { type: 'boolean', default: true },
  },
});

export const FiscalItemSchema = new EntitySchema<FiscalItem>({
  class: FiscalItem,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    code: { type: 'string', length: 16, unique: true },
    name: { type: 'string', length: 64 },
  },
});

export const ChargeCodeMapSchema = new EntitySchema<ChargeCodeMap>({
  class: ChargeCodeMap,
  uniques: [{ properties: ['hospital', 'hisCode'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital },
    hisCode: { type: 'string', length: 32 },
    hisName: { type: 'string', length: 64, nullable: true },
    fiscalItem: { kind: 'm:1', entity: () => FiscalItem },
  },
});

export const BusinessCategorySchema = new EntitySchema<BusinessCategory>({
  class: BusinessCategory,
  uniques: [{ properties: ['hospital', 'busType'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital },
    busType: { type: 'string', length: 2 },
    name: { type: 'string', length: 32 },
    billKind: { kind: 'm:1', entity: () => BillKind },
  },
});

export const StockSegmentSchema = new EntitySchema<StockSegment>({
  class: StockSegment,
  uniques: [{ properties: ['billBatchCode', 'startNo'] }],
  indexes: [{ properties: ['place', 'billKind', 'status'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital },
    place: { kind: 'm:1', entity: () => BillingPoint },
    billKind: { kind: 'm:1', entity: () => BillKind },
    billBatchCode: { type: 'string', length: 8 },
    startNo: { type: new BigIntType('number') },
    endNo: { type: new BigIntType('number') },
    nextNo: { type: new BigIntType('number') },
    status: { type: 'string', length: 16, default: 'active' },
    createdAt: { type: 'datetime' },
  },
});

export const HisAppSchema = new EntitySchema<HisApp>({
  class: HisApp,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    appid: { type: 'string', length: 64, unique: true },
    name: { type: 'string', length: 128 },
    keyEnc: { type: 'text' },
    hospital: { kind: 'm:1', entity: () => Hospital },
    active: { type: 'boolean', default: true },
  },
});

export const IssueRequestSchema = new EntitySchema<IssueRequest>({
  class: IssueRequest,
  uniques: [{ properties: ['appid', 'busNo'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    appid: { type: 'string', length: 64 },
    busNo: { type: 'string', length: 64 },
    method: { type: 'string', length: 64 },
    payloadHash: { type: 'string', length: 64 },
    payload: sealed(false),
    status: { type: 'string', length: 16, default: 'received' },
    errorCode: { type: 'string', length: 8, nullable: true },
    errorMessage: { type: 'text', nullable: true },
    billId: { type: 'number', nullable: true },
    originBillId: { type: 'number', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
  },
});

export const BillSchema = new EntitySchema<Bill>({
  class: Bill,
  uniques: [{ properties: ['billBatchCode', 'billNo'] }, { properties: ['appid', 'busNo'] }],
  indexes: [
    { properties: ['issuedAt'] },
    { properties: ['place', 'issuedAt'] },
    { properties: ['patientNo'] },
    { properties: ['uploadState'] },
  ],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    hospital: { kind: 'm:1', entity: () => Hospital },
    appid: { type: 'string', length: 64 },
    busNo: { type: 'string', length: 64 },
    busType: { type: 'string', length: 2 },
    method: { type: 'string', length: 64 },
    billKind: { kind: 'm:1', entity: () => BillKind },
    place: { kind: 'm:1', entity: () => BillingPoint },
    billBatchCode: { type: 'string', length: 8 },
    billNo: { type: 'string', length: 10 },
    random: { type: 'string', length: 6 },
    totalAmt: money(),
    payer: { type: 'string', length: 128 },
    patientNo: { type: 'string', length: 64 },
    patientId: { type: 'string', length: 64, nullable: true },
    idCardNo: sealed(),
    tel: sealed(),
    email: sealed(),
    idCardBidx: { type: 'string', length: 64, nullable: true },
    cardNoBidx: { type: 'string', length: 64, nullable: true },
    telBidx: { type: 'string', length: 64, nullable: true },
    emailBidx: { type: 'string', length: 64, nullable: true },
    openId: { type: 'string', length: 64, nullable: true },
    payee: { type: 'string', length: 64 },
    author: { type: 'string', length: 64 },
    checker: { type: 'string', length: 64, nullable: true },
    busDateTime: { type: 'string', length: 17 },
    issuedAt: { type: 'datetime' },
    state: { type: 'string', length: 16, default: 'normal' },
    isScarlet: { type: 'boolean', default: false },
    remark: { type: 'text', nullable: true },
    extra: sealed(),
    listDetail: { type: 'text', nullable: true, lazy: true },
    signedData: sealed(false),
    signature: { type: 'string', length: 160 },
    layoutPath: { type: 'string', length: 255, nullable: true },
    layoutSha256: { type: 'string', length: 64, nullable: true },
    uploadState: { type: 'string', length: 16, default: 'pending' },
    workflowId: { type: 'string', length: 160 },
    relatedBillId: { type: 'number', nullable: true, unique: true },
    scarletBillId: { type: 'number', nullable: true },
    writeOffReason: { type: 'text', nullable: true },
    writeOffOperator: { type: 'string', length: 64, nullable: true },
    reversedAt: { type: 'datetime', nullable: true },
    paperState: { type: 'string', length: 16, default: 'none' },
    paperBillBatchCode: { type: 'string', length: 16, nullable: true },
    paperBillNo: { type: 'string', length: 16, nullable: true },
    originBillId: { type: 'number', nullable: true },
    uploadAttempts: { type: 'number', default: 0 },
    uploadedAt: { type: 'datetime', nullable: true },
    uploadBatchNo: { type: 'string', length: 64, nullable: true },
    uploadReason: { type: 'text', nullable: true },
    uploadRequeuedBy: { type: 'string', length: 64, nullable: true },
    uploadRequeuedAt: { type: 'datetime', nullable: true },
    accounted: { type: 'boolean', default: false },
    accountedAt: { type: 'datetime', nullable: true },
    accountCheckedAt: { type: 'datetime', nullable: true },
  },
});

export const FiscalUploadBatchSchema = new EntitySchema<FiscalUploadBatch>({
  class: FiscalUploadBatch,
  uniques: [{ properties: ['batchNo'] }],
  indexes: [{ properties: ['createdAt'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    batchNo: { type: 'string', length: 64 },
    hospital: { kind: 'm:1', entity: () => Hospital },
    billCount: { type: 'number' },
    firstBillId: { type: 'number' },
    lastBillId: { type: 'number' },
    state: { type: 'string', length: 16, default: 'sending' },
    attempts: { type: 'number', default: 0 },
    lastError: { type: 'text', nullable: true },
    acceptedCount: { type: 'number', default: 0 },
    rejectedCount: { type: 'number', default: 0 },
    workflowId: { type: 'string', length: 160, nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
    finishedAt: { type: 'datetime', nullable: true },
  },
});

export const TodoSchema = new EntitySchema<Todo>({
  class: Todo,
  uniques: [{ properties: ['kind', 'bill'] }],
  indexes: [{ properties: ['state', 'placeCode'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    kind: { type: 'string', length: 32 },
    bill: { kind: 'm:1', entity: () => Bill },
    placeCode: { type: 'string', length: 32 },
    workflowId: { type: 'string', length: 160 },
    state: { type: 'string', length: 16, default: 'open' },
    title: { type: 'string', length: 200 },
    detail: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
    remindAt: { type: 'datetime', nullable: true },
    remindCount: { type: 'number', default: 0 },
    lastRemindedAt: { type: 'datetime', nullable: true },
    closedBy: { type: 'string', length: 64, nullable: true },
    closedAt: { type: 'datetime', nullable: true },
  },
});

export const BillEventSchema = new EntitySchema<BillEvent>({
  class: BillEvent,
  indexes: [{ properties: ['bill', 'id'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    bill: { kind: 'm:1', entity: () => Bill },
    type: { type: 'string', length: 32 },
    actor: { type: 'string', length: 64 },
    detail: { type: 'text', nullable: true },
    workflowId: { type: 'string', length: 160, nullable: true },
    createdAt: { type: 'datetime' },
  },
});

export const BillItemSchema = new EntitySchema<BillItem>({
  class: BillItem,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    bill: { kind: 'm:1', entity: () => Bill },
    sortNo: { type: 'number' },
    hisCode: { type: 'string', length: 32 },
    fiscalCode: { type: 'string', length: 16 },
    name: { type: 'string', length: 128 },
    unit: { type: 'string', length: 16, nullable: true },
    std: { type: 'string', length: 24, nullable: true },
    number: { type: 'string', length: 24, nullable: true },
    amt: money(),
    selfAmt: money(),
    remark: { type: 'string', length: 255, nullable: true },
  },
});

export const BillPaymentSchema = new EntitySchema<BillPayment>({
  class: BillPayment,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    bill: { kind: 'm:1', entity: () => Bill },
    channelCode: { type: 'string', length: 8 },
    amount: money(),
  },
});

export const NotificationSchema = new EntitySchema<Notification>({
  class: Notification,
  uniques: [{ properties: ['bill', 'channel', 'purpose'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    bill: { kind: 'm:1', entity: () => Bill },
    channel: { type: 'string', length: 16 },
    purpose: { type: 'string', length: 96, default: 'issue' },
    actor: { type: 'string', length: 64, default: 'system' },
    target: sealed(false),
    status: { type: 'string', length: 16, default: 'pending' },
    attempts: { type: 'number', default: 0 },
    lastError: { type: 'text', nullable: true },
    providerId: { type: 'string', length: 64, nullable: true },
    sentAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

export const UserSchema = new EntitySchema<User>({
  class: User,
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    username: { type: 'string', length: 64, unique: true },
    displayName: { type: 'string', length: 64 },
    passwordHash: { type: 'string', length: 200 },
    roles: { type: 'string', length: 128 },
    placeCode: { type: 'string', length: 32, nullable: true },
    scopeJson: { type: 'text', nullable: true },
    oidcSubject: { type: 'string', length: 128, nullable: true },
    active: { type: 'boolean', default: true },
    passwordChangedAt: { type: 'datetime', nullable: true },
    mustChangePassword: { type: 'boolean', default: false },
    lastLoginAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

export const PaymentNoticeSchema = new EntitySchema<PaymentNotice>({
  class: PaymentNotice,
  tableName: 'payment_notice',
  uniques: [{ properties: ['channel', 'outRefundNo', 'state'] }],
  indexes: [{ properties: ['channel', 'noticeId'] }],
  properties: {
    id: { type: 'number', primary: true, autoincrement: true },
    channel: { type: 'string', length: 16 },
    noticeId: { type: 'string', length: 64 },
    outRefundNo: { type: 'string', length: 64 },
    outTradeNo: { type: 'string', length: 64, nullable: true },
    channelRefundId: { type: 'string', length: 64, nullable: true },
    state: { type: 'string', length: 16 },
    amountFen: { type: new BigIntType('number'), nullable: true },
    successTime: { type: 'string', length: 40, nullable: true },
    failReason: { type: 'string', length: 64, nullable: true },
    deliveries: { type: 'number', default: 1 },
    detail: { type: 'text', nullable: true },
    receivedAt: { type: 'datetime' },
    handledAt: { type: 'datetime', nullable: true },
  },
});

export const entities = [
  HospitalSchema,
  BillingPointSchema,
  BillKindSchema,
  FiscalItemSchema,
  ChargeCodeMapSchema,
  BusinessCategorySchema,
  StockSegmentSchema,
  HisAppSchema,
  IssueRequestSchema,
  BillSchema,
  BillItemSchema,
  BillPaymentSchema,
  BillEventSchema,
  TodoSchema,
  NotificationSchema,
  UserSchema,
  FiscalUploadBatchSchema,
  PaymentNoticeSchema,
];
