/** A bill's delivery after issue (the issue workflow's activities, activities/delivery.ts): the layout file and the patient notices. */
import { billSeal } from './seals';
import { recordBillSeal } from '../orm/repositories/seals';
import { PAY_CHANNELS } from '../domain/bill/codes';
import * as fs from 'node:fs/promises';
import { dbDate } from '../orm/sql-values';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { formatYuan, parseYuan, yuanInChinese } from '../common/money';
import type { Deps } from './deps';
import { h5Url, noticeTargets, type Channel } from '../domain/bill/facts';
import { BUS_TYPES } from '../domain/bill/issue-request';
import { isMedicalBusType } from '../domain/bill/codes';
import { NotifyPermanentError } from '../adapters/notify';
import { NOTICE_CHANNEL_NAMES } from '../adapters/notify/notifier';
import { recordBillEvent } from '../orm/repositories/bill-events';
import { billForDelivery, itemsOfBill, paymentsOfBill, recordLayoutFile, type DeliveryBillRow } from '../orm/repositories/bills';
import { findNotice, markNoticeAttemptFailed, markNoticeSent, openNotice, type NoticeRow } from '../orm/repositories/notifications';
import { chinaDayStart } from '../common/china-time';
import { SETTLEMENT_LABELS, type LayoutBill, type SettlementPart } from '../adapters/layout/render-bill-pdf';
import { maskTarget } from '../domain/access';


/** A notice target as the timeline shows it (one mask for every answer: domain/access.ts). */
export { maskTarget };

/** Pay channel names (domain/bill/codes.ts). */
export { PAY_CHANNELS };

const REGION_NAMES: Record<string, string> = { '44': '广东省', '61': '陕西省', '11': '北京市', '31': '上海市' };

/** Where a bill's layout file lives, relative to the data folder (stored by reference). */
export const layoutRelPath = (b: { billBatchCode: string; billNo: string }) => path.join('layout', b.billBatchCode, `${b.billNo}.pdf`);

type BillRow = DeliveryBillRow;

export type DeliveryResult = { layout: 'done'; notices: Partial<Record<Channel, 'sent' | 'failed'>> };

/** A resend of a bill's notices, asked for by the console or the HIS (workflow `notice-...`). */
export interface NoticeRequest {
  billId: number;
  /** Unique per request ([A-Za-z0-9_-], at most 64): the request's notices are sent once however often it is retried. */
  requestKey: string;
  /** Who asked: a console username or `HIS:{appid}`. */
  actor: string;
  targets: Array<{ channel: Channel; target: string }>;
}

/** What a notice is for: the issuance notice (one per bill and channel) or one resend request. */
interface NoticePurpose {
  purpose: string;
  actor: string;
  /** The timeline event when it is sent. */
  event: 'notified' | 'notice_resent' | 'card_inserted';
}

/** A HIS date (yyyyMMdd..., or yyyy-MM-dd...) as the instant that China day starts; undefined if not a date. */
function chinaDate(v: unknown): Date | undefined {
  const d = typeof v === 'string' ? chinaDayStart(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** A text field of `extra` as printed (numbers as their text); undefined when not sent. */
function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** GB/T 2261.1 sex codes; anything else is printed as sent. */
const SEX: Record<string, string> = { '0': '未知', '1': '男', '2': '女', '9': '未说明' };

/**
 * What the bill's face prints from the HIS's visit, insurance and settlement fields (`extra`, kept
 * as sent): 住院号 (hospitalNo), the stay, 医保类型 / 医保编号, 性别 and the insurance split, each
 * only when sent. Amounts are reprinted from their yuan text with two decimals.
 */
export function faceFields(extra: Record<string, unknown>): Pick<
  LayoutBill,
  'medicalCareType' | 'visitDate' | 'institutionType' | 'hospitalNo' | 'sex' | 'medicalInsuranceID' | 'inHospitalDate' | 'outHospitalDate' | 'hospitalDays' | 'settlement'
> {
  const settlement: Partial<Record<SettlementPart, string>> = {};
  for (const part of Object.keys(SETTLEMENT_LABELS) as SettlementPart[]) {
    const fen = parseYuan(extra[part]);
    if (fen !== undefined) settlement[part] = formatYuan(fen);
  }
  const sex = text(extra.sex);
  return {
    medicalCareType: text(extra.medicalCareType),
    visitDate: chinaDate(extra.consultationDate),
    institutionType: text(extra.medicalInstitution),
    hospitalNo: text(extra.hospitalNo),
    sex: sex && (SEX[sex] ?? sex),
    medicalInsuranceID: text(extra.medicalInsuranceID),
    inHospitalDate: chinaDate(extra.inHospitalDate),
    outHospitalDate: chinaDate(extra.outHospitalDate),
    hospitalDays: text(extra.hospitalDays),
    settlement: Object.keys(settlement).length ? settlement : undefined,
  };
}

async function loadBill(deps: Deps, billId: number): Promise<BillRow> {
  const row = await billForDelivery(deps.orm.em, billId);
  if (!row) throw new Error(`bill ${billId} not found`);
  return row;
}

/** Renders the PDF layout file, writes it atomically and records its path and SHA-256. Idempotent. */
async function renderLayout(deps: Deps, bill: BillRow): Promise<string> {
  if (bill.layout_path) return bill.layout_path;
  const [items, payments] = await Promise.all([itemsOfBill(deps.orm.em, bill.id), paymentsOfBill(deps.orm.em, bill.id)]);
  const extra = bill.extra ? JSON.parse(bill.extra) : {};
  const ref = { billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, random: bill.random };
  // The finance seal valid when the bill was issued (印章管理); the file is written once, so a later seal never changes it.
  const seal = await billSeal(deps.orm.em, Number(bill.hospital_id), dbDate(bill.issued_at));
  const pdf = await deps.layout.pdf(
    {
      hospitalName: bill.hospital_name,
      regionName: REGION_NAMES[bill.region_code] ?? '',
      billKindName: bill.kind_name,
      ...ref,
      issuedAt: dbDate(bill.issued_at),
      payer: bill.payer,
      idCardNo: bill.id_card_no ?? undefined,
      patientNo: bill.patient_no,
      busNo: bill.bus_no,
      busType: bill.bus_type,
      busTypeName: BUS_TYPES[bill.bus_type] ?? bill.bus_type,
      ...faceFields(extra),
      placeName: bill.place_name,
      payee: bill.payee,
      checker: bill.checker ?? undefined,
      author: bill.author,
      totalAmt: formatYuan(Number(bill.total_amt)),
      totalAmtChinese: yuanInChinese(Number(bill.total_amt)),
      items: items.map((i) => ({ name: i.name, number: i.number ?? undefined, unit: i.unit ?? undefined, amt: formatYuan(Number(i.amt)), remark: i.remark ?? undefined })),
      payments: payments.map((p) => ({ channelName: PAY_CHANNELS[p.channel_code] ?? p.channel_code, amount: formatYuan(Number(p.amount)) })),
      remark: bill.remark ?? undefined,
      h5Url: h5Url(deps.cfg.server.publicUrl, ref),
      state: bill.state === 'reversed' ? 'reversed' : 'normal',
      isScarlet: !!Number(bill.is_scarlet),
      relatedBillBatchCode: bill.related_code ?? undefined,
      relatedBillNo: bill.related_no ?? undefined,
      signatureHex: bill.signature,
      ...(seal ? { sealImage: { pngBase64: seal.pngBase64 } } : {}),
    },
    { fontPath: deps.cfg.layout.fontPath },
  );
  const rel = layoutRelPath(ref);
  const abs = path.join(deps.cfg.server.dataDir, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.${bill.id}.tmp`;
  await fs.writeFile(tmp, pdf);
  await fs.rename(tmp, abs);
  const sha = createHash('sha256').update(pdf).digest('hex');
  await recordBillSeal(deps.orm.em, bill.id, seal?.id ?? null);
  await recordLayoutFile(deps.orm.em, bill.id, rel, sha);
  return rel;
}

/**
 * Sends one channel's notice at most once: the notification row remembers a sent notice, and the
 * provider dedupes by the idempotency key if we crash between sending and recording. A permanent
 * error (bad number) is recorded and not retried; anything else is thrown for a retry.
 */
async function notify(deps: Deps, bill: BillRow, channel: Channel, target: string, why: NoticePurpose = { purpose: 'issue', actor: 'system', event: channel === 'card' ? 'card_inserted' : 'notified' }): Promise<'sent' | 'failed'> {
  const find = () => findNotice(deps.orm.em, bill.id, channel, why.purpose);
  let row = (await find()) as NoticeRow;
  if (!row) {
    await openNotice(deps.orm.em, { billId: bill.id, channel, purpose: why.purpose, actor: why.actor, target });
    row = (await find()) as NoticeRow;
  }
  if (row.status === 'sent' || row.status === 'failed') return row.status;
  const noticeId = row.id;
  target = row.target; // the target of the first attempt, whatever a retry was given
  const notifier = deps.notifiers.find((n) => n.channel === channel);
  if (!notifier) throw new Error(`no notifier configured for ${channel}`);
  const ref = { billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, random: bill.random };
  try {
    const { providerId } = await notifier.send({
      idempotencyKey: why.purpose === 'issue' ? `bill-${bill.id}-${channel}` : `bill-${bill.id}-${channel}-${why.purpose.replace(/^resend:/, 'r-')}`,
      totalFen: Number(bill.total_amt),
      pdfPath: bill.layout_path ? path.join(deps.cfg.server.dataDir, bill.layout_path) : undefined,
      scarlet: !!Number(bill.is_scarlet),
      nonMedical: !isMedicalBusType(bill.bus_type),
      target,
      hospitalName: bill.hospital_name,
      payer: bill.payer,
      ...ref,
      totalAmt: formatYuan(Number(bill.total_amt)),
      h5Url: h5Url(deps.cfg.server.publicUrl, ref),
      issuedAt: dbDate(bill.issued_at),
    });
    await deps.orm.em.fork().transactional(async (sql) => {
      await markNoticeSent(sql, noticeId, providerId);
      await recordBillEvent(sql, { billId: bill.id, type: why.event, actor: why.actor, detail: `${NOTICE_CHANNEL_NAMES[channel]} ${maskTarget(channel, target)}` });
    });
    return 'sent';
  } catch (e) {
    const permanent = e instanceof NotifyPermanentError;
    const message = String((e as Error).message ?? e).slice(0, 1000);
    await deps.orm.em.fork().transactional(async (sql) => {
      await markNoticeAttemptFailed(sql, noticeId, permanent, message);
      if (permanent) await recordBillEvent(sql, { billId: bill.id, type: 'notice_failed', actor: why.actor, detail: `${NOTICE_CHANNEL_NAMES[channel]} ${maskTarget(channel, target)}：${message.slice(0, 200)}` });
    });
    if (permanent) return 'failed';
    throw e;
  }
}

/**
 * Everything after the HIS has its answer, in one activity so that a bill costs the Temporal
 * server one activity task: the layout file, then every notice channel in parallel. Each step
 * is idempotent, so a retry (a channel was down) redoes only what is not done yet.
 */
export async function deliverBill(deps: Deps, billId: number): Promise<DeliveryResult> {
  const bill = await loadBill(deps, billId);
  bill.layout_path = await renderLayout(deps, bill);
  const targets = noticeTargets({ tel: bill.tel, email: bill.email, openId: bill.open_id, extra: bill.extra, isScarlet: bill.is_scarlet });
  const entries = Object.entries(targets) as Array<[Channel, string]>;
  const results = await Promise.allSettled(entries.map(([c, t]) => notify(deps, bill, c, t)));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${entries[i][0]}: ${(r.reason as Error)?.message ?? r.reason}`] : []));
  if (failed.length) throw new Error(`notice not delivered yet (will retry): ${failed.join('; ')}`);
  const notices: DeliveryResult['notices'] = {};
  results.forEach((r, i) => (notices[entries[i][0]] = (r as PromiseFulfilledResult<'sent' | 'failed'>).value));
  return { layout: 'done', notices };
}

/**
 * A resend request's notices (console or HIS), each sent at most once for the request:
 * the notification row (bill, channel, `resend:{requestKey}`) remembers it. Retried like
 * deliverBill while a channel is down; a permanent refusal is recorded, not retried.
 */
export async function sendNotices(deps: Deps, req: NoticeRequest): Promise<Partial<Record<Channel, 'sent' | 'failed'>>> {
  const bill = await loadBill(deps, req.billId);
  bill.layout_path = await renderLayout(deps, bill);
  const why = (c: Channel): NoticePurpose => ({ purpose: `resend:${req.requestKey}`, actor: req.actor, event: c === 'card' ? 'card_inserted' : 'notice_resent' });
  // the card pack holds a bill once: whoever asks, it is the bill's one card-pack row
  const results = await Promise.allSettled(req.targets.map((t) => (t.channel === 'card' ? notify(deps, bill, 'card', t.target, { purpose: 'issue', actor: req.actor, event: 'card_inserted' }) : notify(deps, bill, t.channel, t.target, why(t.channel)))));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${req.targets[i].channel}: ${(r.reason as Error)?.message ?? r.reason}`] : []));
  if (failed.length) throw new Error(`notice not delivered yet (will retry): ${failed.join('; ')}`);
  const out: Partial<Record<Channel, 'sent' | 'failed'>> = {};
  results.forEach((r, i) => (out[req.targets[i].channel] = (r as PromiseFulfilledResult<'sent' | 'failed'>).value));
  return out;
}
