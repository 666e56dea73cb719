/**
 * Simulator of the fiscal e-bill platform (财政电子票据平台), one real Koa HTTP server that serves
 * every method of `adapters/fiscal/platform.ts` (FiscalPlatform). State (hospitals, requisitions,
 * issued segments, uploaded bills) is kept in `{dataDir}/fiscal-sim.json`, written atomically after
 * each change, so a restart keeps it.
 *
 * Wire format (the simulated platform's own): JSON bodies; every answer is
 *   { code: "0000", message: "成功", data }            on success (HTTP 200)
 *   { code: "F....", message }                           on an error (HTTP 4xx / 5xx)
 * Authentication (every /fiscal/ request): headers
 *   X-Fiscal-AppId, X-Fiscal-Timestamp (epoch ms), X-Fiscal-Nonce (8-64 chars, once per 10 min),
 *   X-Fiscal-Signature = lower-case hex HMAC-SM3(secret, METHOD + path-with-query + timestamp + nonce + body)
 * A missing, stale (more than 5 minutes off), replayed or wrong signature answers 401 (F4010-F4013).
 *
 *   GET  /fiscal/basic-data                          -> { version, billKinds[], chargeItems[] }
 *   POST /fiscal/requisitions                        RequisitionSubmission -> { fiscalRequisitionNo }
 *        idempotent by (requisitionNo, revision); a new revision only after the previous was returned
 *   POST /fiscal/requisitions/status { hospitalCode, requisitionNo, revision } -> RequisitionReview
 *   POST /fiscal/bills/upload { hospitalCode, batchNo, bills: UploadBill[] } -> { results: UploadResult[] }
 *   POST /fiscal/bills/account-status { hospitalCode, bills: [{billBatchCode, billNo}] } -> { results: AccountStatus[] }
 *   GET  /verify?code=&number=&random=               public verification (no authentication)
 * Test / operations controls (never affected by faults)
 *   POST /_sim/hospitals { code, name, regionCode?, appId, secret, publicKey, segments?: [{billKindCode, billBatchCode, startNo, endNo}] }
 *   GET  /_sim/hospitals
 *   POST /_sim/review { requisitionNo, revision?, decision: approve|return, comment?, reviewer? }
 *   POST /_sim/account { billBatchCode, billNo }
 *   POST /_sim/faults { mode: ok|down|slow|flaky, delayMs? }   GET /_sim/faults (with `refused`:
 *        the calls refused by a fault so far, by "METHOD /path", for tests to see a send was tried)
 *   POST /_sim/basic-data { billKinds?, chargeItems? }   replace the lists (a new version)
 *   GET  /_sim/uploads, /_sim/requisitions, /_sim/segments
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { heldDelays, listenWithFallback } from '../http-server';
import { sm2Verify, sm3Hex } from '../../common/gm';
import { FISCAL_HEADERS, fiscalSignature } from '../../protocol/fiscal-wire';
import { safeEqual } from '../../common/compare';

export { FISCAL_HEADERS, fiscalSignature };
import type {
  FiscalBillKind, FiscalChargeItem, IssuedSegment, RequisitionLine, UploadBill, UploadResult,
} from '../../protocol/fiscal-wire';
import { DEFAULT_FISCAL_SIM_AUTO_APPROVE, DEFAULT_FISCAL_SIM_REVIEW_DELAY_MS } from '../../config/simulators';

export type FiscalFaultMode = 'ok' | 'down' | 'slow' | 'flaky';

export interface FiscalSimOptions {
  port: number;
  host?: string;
  dataDir: string;
  fallbackToFreePort?: boolean;
  /** approve submitted requisitions by themselves (default true) */
  autoApprove?: boolean;
  /** how long after submission an auto-approval happens (default 2000 ms) */
  reviewDelayMs?: number;
  /** bills become accounted this long after their first upload (default: never by themselves) */
  accountAfterMs?: number;
  /** clock (tests) */
  now?: () => number;
}

export interface SimHospital {
  code: string;
  name: string;
  regionCode: string;
  appId: string;
  secret: string;
  publicKey: string;
}

export interface SimSegment extends IssuedSegment {
  hospitalCode: string;
  /** 'registered' (issued before the hospital came to the simulator) or the requisition */
  source: string;
  issuedAt: string;
}

export interface SimRequisition {
  fiscalRequisitionNo: string;
  hospitalCode: string;
  requisitionNo: string;
  revision: number;
  lines: RequisitionLine[];
  applicant: string;
  remark?: string;
  contentHash: string;
  state: 'submitted' | 'approved' | 'returned';
  submittedAt: string;
  reviewer?: string;
  reviewedAt?: string;
  comment?: string;
  segments?: IssuedSegment[];
}

export interface SimUpload {
  hospitalCode: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  billKindCode: string;
  totalAmt: string;
  isScarlet: boolean;
  state: 'normal' | 'reversed';
  relatedBillBatchCode?: string;
  relatedBillNo?: string;
  /** SM3 of the bill's content without its state */
  contentHash: string;
  acceptedCount: number;
  firstAt: string;
  lastAt: string;
  batchNos: string[];
  accounted: boolean;
  accountedAt?: string;
}

interface SimState {
  version: number;
  basicVersion: string;
  billKinds: FiscalBillKind[];
  chargeItems: FiscalChargeItem[];
  hospitals: SimHospital[];
  segments: SimSegment[];
  requisitions: SimRequisition[];
  uploads: SimUpload[];
  seq: number;
}

export interface FiscalSim {
  url: string;
  port: number;
  state(): SimState;
  close(): Promise<void>;
}

export const DEFAULT_BILL_KINDS: FiscalBillKind[] = [
  { code: '0401', name: '医疗门诊收费票据（电子）', category: 'outpatient', electronic: true },
  { code: '0402', name: '医疗住院收费票据（电子）', category: 'inpatient', electronic: true },
  { code: '0403', name: '医疗收费票据（电子）（体检）', category: 'other', electronic: true },
  { code: '0101', name: '医疗门诊收费票据（纸质）', category: 'outpatient', electronic: false },
  { code: '0102', name: '医疗住院收费票据（纸质）', category: 'inpatient', electronic: false },
  { code: '0301', name: '非税收入通用票据（电子）', category: 'other', electronic: true },
  { code: '0501', name: '行政事业单位资金往来结算票据（电子）', category: 'other', electronic: true },
  { code: '0601', name: '公益事业捐赠统一票据（电子）', category: 'other', electronic: true },
];

export const DEFAULT_CHARGE_ITEMS: FiscalChargeItem[] = [
  ['01', '挂号费'], ['02', '诊察费'], ['03', '检查费'], ['04', '化验费'], ['05', '治疗费'], ['06', '手术费'],
  ['07', '卫生材料费'], ['08', '西药费'], ['09', '中药饮片'], ['10', '中成药费'], ['11', '一般诊疗费'],
  ['12', '床位费'], ['13', '护理费'], ['14', '其他费'], ['15', '输血费'], ['16', '输氧费'],
  ['51', '往来款'], ['61', '捐赠款'],
].map(([code, name]) => ({ code, name }));

const MAX_SKEW_MS = 5 * 60_000;
const NONCE_TTL_MS = 10 * 60_000;

class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const ok = (data: unknown) => ({ code: '0000', message: '成功', data });
const fail = (code: string, message: string) => ({ code, message });

function str(b: Record<string, unknown>, field: string, re?: RegExp): string {
  const v = b[field];
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!s || (re && !re.test(s))) throw new SimError(400, 'F4001', `${field}: 缺少或格式不正确`);
  return s;
}

function posInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new SimError(400, 'F4001', `${field}: 须为正整数`);
  return v;
}

function emptyState(): SimState {
  return {
    version: 1,
    basicVersion: '20261101.1',
    billKinds: DEFAULT_BILL_KINDS,
    chargeItems: DEFAULT_CHARGE_ITEMS,
    hospitals: [],
    segments: [],
    requisitions: [],
    uploads: [],
    seq: 0,
  };
}


export async function startFiscalSim(opts: FiscalSimOptions): Promise<FiscalSim> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const file = path.join(opts.dataDir, 'fiscal-sim.json');
  const now = opts.now ?? Date.now;
  const autoApprove = opts.autoApprove ?? DEFAULT_FISCAL_SIM_AUTO_APPROVE;
  const reviewDelayMs = opts.reviewDelayMs ?? DEFAULT_FISCAL_SIM_REVIEW_DELAY_MS;
  let st: SimState = emptyState();
  if (fs.existsSync(file)) st = { ...emptyState(), ...(JSON.parse(fs.readFileSync(file, 'utf8')) as SimState) };
  const save = () => {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(st));
    fs.renameSync(tmp, file);
  };
  const nonces = new Map<string, number>();
  let fault: { mode: FiscalFaultMode; delayMs: number } = { mode: 'ok', delayMs: 0 };
  let flakyCount = 0;
  /** Calls refused by a fault (down, flaky), by "METHOD /path": never reset, tests read the growth. */
  const refused: Record<string, number> = {};
  const { sleep, closeServer } = heldDelays();
  const iso = (ms = now()) => new Date(ms).toISOString();

  const hospitalByCode = (code: string) => st.hospitals.find((h) => h.code === code);

  /** Issues one segment per line: numbers continue after the highest issued for that code. */
  const issueSegments = (r: SimRequisition): IssuedSegment[] => {
    const h = hospitalByCode(r.hospitalCode)!;
    const yy = String(new Date(now()).getFullYear() % 100).padStart(2, '0');
    return r.lines.map((l) => {
      const billBatchCode = `${h.regionCode}${l.billKindCode}${yy}`;
      const top = st.segments.filter((s) => s.billBatchCode === billBatchCode).reduce((m, s) => Math.max(m, s.endNo), 0);
      const seg: IssuedSegment = { billKindCode: l.billKindCode, billBatchCode, startNo: top + 1, endNo: top + l.quantity };
      st.segments.push({ ...seg, hospitalCode: h.code, source: r.fiscalRequisitionNo, issuedAt: iso() });
      return seg;
    });
  };

  const review = (r: SimRequisition, decision: 'approve' | 'return', reviewer: string, comment: string) => {
    r.reviewer = reviewer;
    r.reviewedAt = iso();
    if (decision === 'approve') {
      r.state = 'approved';
      r.comment = comment || undefined;
      r.segments = issueSegments(r);
    } else {
      r.state = 'returned';
      r.comment = comment || '退回修改';
    }
  };

  /** What time has decided by now: auto-approvals, automatic accounting. */
  const settle = () => {
    let changed = false;
    if (autoApprove) {
      for (const r of st.requisitions) {
        if (r.state === 'submitted' && now() - Date.parse(r.submittedAt) >= reviewDelayMs) {
          review(r, 'approve', '财政审核（自动）', '');
          changed = true;
        }
      }
    }
    if (opts.accountAfterMs !== undefined) {
      for (const u of st.uploads) {
        if (!u.accounted && now() - Date.parse(u.firstAt) >= opts.accountAfterMs) {
          u.accounted = true;
          u.accountedAt = iso();
          changed = true;
        }
      }
    }
    if (changed) save();
  };

  const router = new Router();

  // ---- authenticated fiscal API ----
  router.get('/fiscal/basic-data', (ctx) => {
    ctx.body = ok({ version: st.basicVersion, billKinds: st.billKinds, chargeItems: st.chargeItems });
  });

  router.post('/fiscal/requisitions', (ctx) => {
    const h = ctx.state.hospital as SimHospital;
    const b = ctx.state.json as Record<string, unknown>;
    const requisitionNo = str(b, 'requisitionNo', /^[\w-]{1,64}$/);
    const revision = posInt(b.revision, 'revision');
    if (str(b, 'hospitalCode') !== h.code) throw new SimError(403, 'F4030', `hospitalCode: 与 appId 所属单位 ${h.code} 不符`);
    if (!Array.isArray(b.lines) || b.lines.length === 0 || b.lines.length > 20) throw new SimError(400, 'F4001', 'lines: 须为 1-20 条申领明细');
    const lines: RequisitionLine[] = b.lines.map((raw, i) => {
      const l = (raw ?? {}) as Record<string, unknown>;
      const billKindCode = str(l, 'billKindCode', /^\d{4}$/);
      if (!st.billKinds.some((k) => k.code === billKindCode && k.electronic)) throw new SimError(422, 'F4220', `lines[${i}].billKindCode: 票据种类 ${billKindCode} 不存在或不是电子票据`);
      const quantity = posInt(l.quantity, `lines[${i}].quantity`);
      if (quantity > 10_000_000) throw new SimError(422, 'F4221', `lines[${i}].quantity: 单次申领不得超过 10000000 份`);
      return { billKindCode, quantity };
    });
    const applicant = str(b, 'applicant');
    const remark = typeof b.remark === 'string' ? b.remark.slice(0, 200) : undefined;
    const contentHash = sm3Hex(JSON.stringify({ lines, applicant, remark: remark ?? '' }));
    const same = st.requisitions.find((r) => r.hospitalCode === h.code && r.requisitionNo === requisitionNo && r.revision === revision);
    if (same) {
      if (same.contentHash !== contentHash) throw new SimError(409, 'F4091', `requisitionNo: 申领单 ${requisitionNo} 第 ${revision} 次提交已存在且内容不同`);
      ctx.body = ok({ fiscalRequisitionNo: same.fiscalRequisitionNo });
      return;
    }
    const prev = st.requisitions.filter((r) => r.hospitalCode === h.code && r.requisitionNo === requisitionNo).sort((a, c) => c.revision - a.revision)[0];
    if (!prev && revision !== 1) throw new SimError(409, 'F4092', `revision: 申领单 ${requisitionNo} 首次提交须为 1`);
    if (prev && (prev.state !== 'returned' || revision !== prev.revision + 1)) {
      throw new SimError(409, 'F4092', `revision: 申领单 ${requisitionNo} 第 ${prev.revision} 次提交${prev.state === 'returned' ? `已退回，重新提交须为第 ${prev.revision + 1} 次` : '未被退回，不能重新提交'}`);
    }
    st.seq += 1;
    const r: SimRequisition = {
      fiscalRequisitionNo: `CZSL${new Date(now()).getFullYear()}${String(st.seq).padStart(6, '0')}`,
      hospitalCode: h.code, requisitionNo, revision, lines, applicant, remark, contentHash,
      state: 'submitted', submittedAt: iso(),
    };
    st.requisitions.push(r);
    save();
    ctx.body = ok({ fiscalRequisitionNo: r.fiscalRequisitionNo });
  });

  router.post('/fiscal/requisitions/status', (ctx) => {
    const h = ctx.state.hospital as SimHospital;
    const b = ctx.state.json as Record<string, unknown>;
    if (str(b, 'hospitalCode') !== h.code) throw new SimError(403, 'F4030', `hospitalCode: 与 appId 所属单位 ${h.code} 不符`);
    const requisitionNo = str(b, 'requisitionNo');
    const revision = posInt(b.revision, 'revision');
    const r = st.requisitions.find((x) => x.hospitalCode === h.code && x.requisitionNo === requisitionNo && x.revision === revision);
    if (!r) throw new SimError(404, 'F4040', `requisitionNo: 申领单 ${requisitionNo} 第 ${revision} 次提交不存在`);
    ctx.body = ok(
      r.state === 'submitted'
        ? { state: 'submitted' }
        : r.state === 'approved'
          ? { state: 'approved', reviewer: r.reviewer, reviewedAt: r.reviewedAt, segments: r.segments }
          : { state: 'returned', reviewer: r.reviewer, reviewedAt: r.reviewedAt, comment: r.comment },
    );
  });

  const validateBill = (h: SimHospital, raw: unknown, i: number, batchNo: string): UploadResult => {
    const b = (raw ?? {}) as Partial<UploadBill> & Record<string, unknown>;
    const billBatchCode = typeof b.billBatchCode === 'string' ? b.billBatchCode : '';
    const billNo = typeof b.billNo === 'string' ? b.billNo : '';
    const reject = (reason: string): UploadResult => ({ billBatchCode, billNo, state: 'rejected', reason });
    if (!/^\d{8}$/.test(billBatchCode)) return reject(`bills[${i}].billBatchCode: 票据代码须为 8 位数字`);
    if (!/^\d{10}$/.test(billNo)) return reject(`bills[${i}].billNo: 票据号码须为 10 位数字`);
    for (const f of ['random', 'billKindCode', 'totalAmt', 'issuedAt', 'payer', 'signedData', 'signature'] as const) {
      if (typeof b[f] !== 'string' || !b[f]) return reject(`bills[${i}].${f}: 缺少`);
    }
    if (!/^-?\d+(\.\d{1,2})?$/.test(b.totalAmt!)) return reject(`bills[${i}].totalAmt: 金额格式不正确`);
    if (b.state !== 'normal' && b.state !== 'reversed') return reject(`bills[${i}].state: 须为 normal 或 reversed`);
    const isScarlet = b.isScarlet === true;
    if (isScarlet !== b.totalAmt!.startsWith('-') && Number(b.totalAmt) !== 0) return reject(`bills[${i}].totalAmt: 红票金额须为负数，蓝票金额须为正数`);
    let sigOk = false;
    try {
      sigOk = sm2Verify(b.signedData!, b.signature!, h.publicKey);
    } catch {
      sigOk = false;
    }
    if (!sigOk) return reject(`bills[${i}].signature: 签名验证失败（单位公钥 ${h.code}）`);
    const no = Number(billNo);
    if (!st.segments.some((s) => s.hospitalCode === h.code && s.billBatchCode === billBatchCode && s.startNo <= no && no <= s.endNo)) {
      return reject(`bills[${i}].billNo: 票据 ${billBatchCode}-${billNo} 不在财政向本单位发放的号段内`);
    }
    const content = {
      billBatchCode, billNo, random: b.random, billKindCode: b.billKindCode, totalAmt: b.totalAmt, issuedAt: b.issuedAt, payer: b.payer,
      isScarlet, relatedBillBatchCode: b.relatedBillBatchCode ?? '', relatedBillNo: b.relatedBillNo ?? '', signedData: b.signedData, signature: b.signature,
    };
    const contentHash = sm3Hex(JSON.stringify(content));
    const prev = st.uploads.find((u) => u.billBatchCode === billBatchCode && u.billNo === billNo);
    if (prev) {
      if (prev.hospitalCode !== h.code || prev.contentHash !== contentHash) return reject(`bills[${i}].billNo: 票据号码 ${billBatchCode}-${billNo} 已上传过其他内容（号码不得重复使用）`);
      if (prev.state === 'reversed' && b.state === 'normal') return reject(`bills[${i}].state: 票据 ${billBatchCode}-${billNo} 已冲红，不能改回正常`);
    }
    if (isScarlet) {
      const rc = b.relatedBillBatchCode ?? '';
      const rn = b.relatedBillNo ?? '';
      if (!rc || !rn) return reject(`bills[${i}].relatedBillNo: 红票须指明原票据`);
      if (!st.uploads.some((u) => u.hospitalCode === h.code && u.billBatchCode === rc && u.billNo === rn && !u.isScarlet)) {
        return reject(`bills[${i}].relatedBillNo: 红票的原票据 ${rc}-${rn} 尚未上传`);
      }
    }
    const at = iso();
    if (prev) {
      prev.acceptedCount += 1;
      prev.lastAt = at;
      prev.state = b.state;
      if (!prev.batchNos.includes(batchNo)) prev.batchNos.push(batchNo);
    } else {
      st.uploads.push({
        hospitalCode: h.code, billBatchCode, billNo, random: b.random!, billKindCode: b.billKindCode!, totalAmt: b.totalAmt!, isScarlet, state: b.state,
        relatedBillBatchCode: b.relatedBillBatchCode, relatedBillNo: b.relatedBillNo, contentHash, acceptedCount: 1, firstAt: at, lastAt: at, batchNos: [batchNo], accounted: false,
      });
    }
    return { billBatchCode, billNo, state: 'accepted' };
  };

  router.post('/fiscal/bills/upload', (ctx) => {
    const h = ctx.state.hospital as SimHospital;
    const b = ctx.state.json as Record<string, unknown>;
    if (str(b, 'hospitalCode') !== h.code) throw new SimError(403, 'F4030', `hospitalCode: 与 appId 所属单位 ${h.code} 不符`);
    const batchNo = str(b, 'batchNo', /^[\w-]{1,64}$/);
    if (!Array.isArray(b.bills) || b.bills.length === 0 || b.bills.length > 1000) throw new SimError(400, 'F4001', 'bills: 须为 1-1000 张票据');
    const results = b.bills.map((bill, i) => validateBill(h, bill, i, batchNo));
    save();
    ctx.body = ok({ results });
  });

  router.post('/fiscal/bills/account-status', (ctx) => {
    const h = ctx.state.hospital as SimHospital;
    const b = ctx.state.json as Record<string, unknown>;
    if (str(b, 'hospitalCode') !== h.code) throw new SimError(403, 'F4030', `hospitalCode: 与 appId 所属单位 ${h.code} 不符`);
    if (!Array.isArray(b.bills) || b.bills.length > 1000) throw new SimError(400, 'F4001', 'bills: 须为至多 1000 张票据');
    const results = b.bills.map((raw, i) => {
      const x = (raw ?? {}) as Record<string, unknown>;
      const billBatchCode = str(x, 'billBatchCode');
      const billNo = str(x, 'billNo');
      void i;
      const u = st.uploads.find((e) => e.hospitalCode === h.code && e.billBatchCode === billBatchCode && e.billNo === billNo);
      return u?.accounted ? { billBatchCode, billNo, accounted: true, accountedAt: u.accountedAt } : { billBatchCode, billNo, accounted: false };
    });
    ctx.body = ok({ results });
  });

  // ---- public verification ----
  router.get('/verify', (ctx) => {
    const code = String(ctx.query.code ?? '').trim();
    const number = String(ctx.query.number ?? '').trim();
    const random = String(ctx.query.random ?? '').trim();
    const billNo = /^\d{1,10}$/.test(number) ? number.padStart(10, '0') : number;
    const u = st.uploads.find((e) => e.billBatchCode === code && e.billNo === billNo);
    if (!u || !random || !safeEqual(u.random, random)) {
      ctx.body = { found: false };
      return;
    }
    const h = hospitalByCode(u.hospitalCode);
    ctx.body = {
      found: true,
      billBatchCode: u.billBatchCode,
      billNo: u.billNo,
      state: u.isScarlet ? 'red' : u.state,
      amount: u.totalAmt,
      hospital: h?.name,
      relatedBillBatchCode: u.relatedBillBatchCode,
      relatedBillNo: u.relatedBillNo,
      accounted: u.accounted,
    };
  });

  // ---- simulator controls ----
  router.post('/_sim/hospitals', (ctx) => {
    const b = ctx.state.json as Record<string, unknown>;
    const code = str(b, 'code');
    const h: SimHospital = {
      code,
      name: str(b, 'name'),
      regionCode: typeof b.regionCode === 'string' && /^\d{2}$/.test(b.regionCode) ? b.regionCode : code.replace(/^\D+/, '').slice(0, 2),
      appId: str(b, 'appId'),
      secret: str(b, 'secret'),
      publicKey: str(b, 'publicKey', /^04[0-9a-fA-F]{128}$/),
    };
    const other = st.hospitals.find((x) => x.appId === h.appId && x.code !== code);
    if (other) throw new SimError(409, 'F4093', `appId: 已属于单位 ${other.code}`);
    st.hospitals = [...st.hospitals.filter((x) => x.code !== code), h];
    const segs = Array.isArray(b.segments) ? b.segments : [];
    let added = 0;
    for (const raw of segs) {
      const s = (raw ?? {}) as Record<string, unknown>;
      const seg = { billKindCode: str(s, 'billKindCode', /^\d{4}$/), billBatchCode: str(s, 'billBatchCode', /^\d{8}$/), startNo: posInt(s.startNo, 'startNo'), endNo: posInt(s.endNo, 'endNo') };
      if (seg.endNo < seg.startNo) throw new SimError(400, 'F4001', 'endNo: 不得小于 startNo');
      if (st.segments.some((x) => x.billBatchCode === seg.billBatchCode && x.startNo === seg.startNo)) continue;
      st.segments.push({ ...seg, hospitalCode: code, source: 'registered', issuedAt: iso() });
      added += 1;
    }
    save();
    ctx.body = { code, appId: h.appId, segmentsAdded: added };
  });
  router.get('/_sim/hospitals', (ctx) => {
    ctx.body = st.hospitals.map(({ secret: _s, ...h }) => h);
  });
  router.post('/_sim/review', (ctx) => {
    const b = ctx.state.json as Record<string, unknown>;
    const requisitionNo = str(b, 'requisitionNo');
    const decision = b.decision;
    if (decision !== 'approve' && decision !== 'return') throw new SimError(400, 'F4001', 'decision: 须为 approve 或 return');
    const cands = st.requisitions.filter((r) => r.requisitionNo === requisitionNo && (b.revision === undefined || r.revision === b.revision));
    const r = cands.sort((a, c) => c.revision - a.revision)[0];
    if (!r) throw new SimError(404, 'F4040', `requisitionNo: 申领单 ${requisitionNo} 不存在`);
    if (r.state !== 'submitted') throw new SimError(409, 'F4094', `申领单 ${requisitionNo} 第 ${r.revision} 次提交已审核（${r.state}）`);
    review(r, decision, typeof b.reviewer === 'string' && b.reviewer ? b.reviewer : '财政审核员', typeof b.comment === 'string' ? b.comment : '');
    save();
    ctx.body = r;
  });
  router.post('/_sim/account', (ctx) => {
    const b = ctx.state.json as Record<string, unknown>;
    const billBatchCode = str(b, 'billBatchCode');
    const billNo = str(b, 'billNo');
    const u = st.uploads.find((e) => e.billBatchCode === billBatchCode && e.billNo === billNo);
    if (!u) throw new SimError(404, 'F4040', `票据 ${billBatchCode}-${billNo} 未上传`);
    if (!u.accounted) {
      u.accounted = true;
      u.accountedAt = iso();
      save();
    }
    ctx.body = u;
  });
  router.post('/_sim/basic-data', (ctx) => {
    const b = ctx.state.json as Record<string, unknown>;
    if (Array.isArray(b.billKinds)) st.billKinds = b.billKinds as FiscalBillKind[];
    if (Array.isArray(b.chargeItems)) st.chargeItems = b.chargeItems as FiscalChargeItem[];
    const [day, n] = st.basicVersion.split('.');
    st.basicVersion = `${day}.${Number(n ?? 0) + 1}`;
    save();
    ctx.body = { version: st.basicVersion, billKinds: st.billKinds, chargeItems: st.chargeItems };
  });
  router.get('/_sim/faults', (ctx) => {
    ctx.body = { ...fault, refused };
  });
  router.post('/_sim/faults', (ctx) => {
    const b = ctx.state.json as Record<string, unknown>;
    const mode = b.mode as FiscalFaultMode;
    if (!['ok', 'down', 'slow', 'flaky'].includes(mode)) throw new SimError(400, 'F4001', 'mode: 须为 ok|down|slow|flaky');
    fault = { mode, delayMs: mode === 'slow' ? (typeof b.delayMs === 'number' && b.delayMs >= 0 ? b.delayMs : 3000) : 0 };
    flakyCount = 0;
    ctx.body = fault;
  });
  router.get('/_sim/uploads', (ctx) => {
    ctx.body = st.uploads;
  });
  router.get('/_sim/requisitions', (ctx) => {
    ctx.body = st.requisitions;
  });
  router.get('/_sim/segments', (ctx) => {
    ctx.body = st.segments;
  });

  const app = new Koa();
  // errors in the platform's format
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (e) {
      if (e instanceof SimError) {
        ctx.status = e.status;
        ctx.body = fail(e.code, e.message);
      } else {
        ctx.status = 500;
        ctx.body = fail('F5000', `internal error: ${(e as Error).message}`);
      }
    }
  });
  // faults (never on /_sim)
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/_sim/') || fault.mode === 'ok') return next();
    const key = `${ctx.method} ${ctx.path}`;
    if (fault.mode === 'down') {
      refused[key] = (refused[key] ?? 0) + 1;
      throw new SimError(503, 'F5030', '财政平台暂不可用（模拟故障）');
    }
    if (fault.mode === 'flaky' && flakyCount++ % 2 === 0) {
      refused[key] = (refused[key] ?? 0) + 1;
      throw new SimError(503, 'F5031', '财政平台繁忙（模拟间歇故障）');
    }
    if (fault.mode === 'slow') await sleep(fault.delayMs);
    return next();
  });
  // raw body (the signature covers it) and JSON
  app.use(async (ctx, next) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of ctx.req) {
      size += (c as Buffer).length;
      if (size > 16 << 20) throw new SimError(413, 'F4130', '请求体过大');
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    ctx.state.raw = raw;
    if (ctx.method === 'POST') {
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        v = undefined;
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SimError(400, 'F4000', '请求体须为 JSON 对象');
      ctx.state.json = v;
    }
    settle();
    return next();
  });
  // authentication of the fiscal API
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/fiscal/')) return next();
    const appId = ctx.get(FISCAL_HEADERS.appId);
    const ts = ctx.get(FISCAL_HEADERS.timestamp);
    const nonce = ctx.get(FISCAL_HEADERS.nonce);
    const sig = ctx.get(FISCAL_HEADERS.signature);
    if (!appId || !ts || !nonce || !sig) throw new SimError(401, 'F4010', '缺少认证信息（X-Fiscal-AppId / Timestamp / Nonce / Signature）');
    const h = st.hospitals.find((x) => x.appId === appId);
    if (!h) throw new SimError(401, 'F4011', `appId ${appId} 未注册`);
    const t = Number(ts);
    if (!/^\d{13}$/.test(ts) || Math.abs(now() - t) > MAX_SKEW_MS) throw new SimError(401, 'F4012', '请求时间戳已过期或格式不正确');
    if (!/^[\w-]{8,64}$/.test(nonce)) throw new SimError(401, 'F4012', 'nonce 格式不正确');
    const expected = fiscalSignature(h.secret, ctx.method, ctx.url, ts, nonce, ctx.state.raw as string);
    if (!safeEqual(expected, sig.toLowerCase())) throw new SimError(401, 'F4013', '签名验证失败');
    const key = `${appId}|${nonce}`;
    for (const [k, at] of nonces) if (now() - at > NONCE_TTL_MS) nonces.delete(k);
    if (nonces.has(key)) throw new SimError(401, 'F4012', 'nonce 已使用（疑似重放）');
    nonces.set(key, now());
    ctx.state.hospital = h;
    return next();
  });
  app.use(router.routes()).use(router.allowedMethods());

  const server = http.createServer(app.callback());
  const host = opts.host ?? '127.0.0.1';
  const port = await listenWithFallback(server, opts.port, host, !!opts.fallbackToFreePort);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    state: () => JSON.parse(JSON.stringify(st)) as SimState,
    close: () => (closing ??= closeServer(server)),
  };
}
