/**
 * Paper bills through the HIS interface (INTERFACES.md §1): getPaperBillNo, turnPaper,
 * reTurnPaper, invalidPaper, invalidBlankBillNo, printPaperBill, getValidBillBatchCode. The
 * operations on one bill's paper go through its workflow `paper-{billBatchCode}-{billNo}`
 * (update-with-start), so concurrent or repeated calls never take two paper numbers for one
 * exchange. The console (api/console/paper.ts) calls the same functions.
 */
import { DomainError, fieldError } from '../../common/errors';
import { validBusDateTime } from '../../domain/bill/issue-request';
import { sm3Hex } from '../../common/gm';
import { claimEnvelope, dropReplayBefore, finishEnvelope, releaseEnvelope, replayOf } from '../../orm/repositories/his-replays';
import { voidBlankRange, type PaperOp, type PaperResult } from '../../services/paper';
import { billCodeAndNo, hospitalBill, hospitalPaperForm, nextPaperForm, paperFormsLeft, paperNo, pointEBillSegments, pointPaperSegments } from '../../orm/repositories/paper';
import { paperUpdate } from '../../temporal/messages';
import { startOperation } from '../../temporal/workflow-types';
import { onPaperVoided } from '../../temporal/paper-hooks';
import type { ApiContext } from '../context';
import { domainErrorOf } from '../../temporal/domain-errors';
import { paperWorkflowId } from '../../temporal/ids';

const str = (o: Record<string, unknown>, f: string, max: number): string => {
  const v = o[f];
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || !v.trim()) throw fieldError(f, '必填');
  if (v.trim().length > max) throw fieldError(f, `至多 ${max} 个字符`);
  return v.trim();
};
const opt = (o: Record<string, unknown>, f: string, max: number): string | undefined => (o[f] === undefined || o[f] === null || o[f] === '' ? undefined : str(o, f, max));
const code8 = (o: Record<string, unknown>, f: string, required: boolean): string | undefined => {
  const v = required ? str(o, f, 8) : opt(o, f, 8);
  if (v !== undefined && !/^\d{8}$/.test(v)) throw fieldError(f, '须为 8 位数字');
  return v;
};
const paperNumber = (o: Record<string, unknown>, f: string, required: boolean): string | undefined => {
  const v = required ? str(o, f, 10) : opt(o, f, 10);
  if (v !== undefined && !/^\d{1,10}$/.test(v)) throw fieldError(f, '须为至多 10 位数字的纸质票据号');
  return v === undefined ? undefined : paperNo(Number(v));
};
const busTime = (o: Record<string, unknown>) => {
  const v = str(o, 'busDateTime', 17);
  if (!validBusDateTime(v)) throw fieldError('busDateTime', '须为有效时间，格式 yyyyMMddHHmmssSSS');
  return v;
};

async function hospitalOf(api: ApiContext, appid: string): Promise<number> {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  return app.hospitalId;
}

async function placeOf(api: ApiContext, hospitalId: number, placeCode: string) {
  const place = await api.deps.master.lookup(hospitalId, (h) => h.places.get(placeCode));
  if (!place) throw fieldError('placeCode', `开票点 ${placeCode} 不存在`, 'E0020');
  if (!place.active) throw fieldError('placeCode', `开票点 ${placeCode} 已停用`, 'E0020');
  return place;
}

interface BillRef {
  id: number;
  billBatchCode: string;
  billNo: string;
  busNo: string;
  busType: string;
  patientNo: string;
}

export async function findBill(api: ApiContext, hospitalId: number, billBatchCode: string, billNo: string): Promise<BillRef> {
  const b = await hospitalBill(api.deps.orm.em, hospitalId, billBatchCode, billNo);
  if (!b) throw new DomainError('E0030', `billNo: 本医院未开具票据 ${billBatchCode}-${billNo}`, 'billNo');
  return { id: Number(b.id), billBatchCode, billNo, busNo: b.bus_no, busType: b.bus_type, patientNo: b.patient_no };
}

/** Runs one paper operation through the bill's paper workflow and waits for its answer. */
export async function runPaperOp(api: ApiContext, bill: BillRef, op: Omit<PaperOp, 'billId'>): Promise<PaperResult> {
  const start = startOperation('paperWorkflow', {
    workflowId: paperWorkflowId(bill),
    taskQueue: api.taskQueue,
    args: [],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    searchAttributes: { BusNo: [bill.busNo], BillNo: [bill.billNo], BillBatchCode: [bill.billBatchCode], PlaceCode: [op.placeCode], BusType: [bill.busType], PatientNo: [bill.patientNo] },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DomainError('E0050', `billNo: 票据 ${bill.billBatchCode}-${bill.billNo} 的纸质票据操作仍在处理中，请用相同内容再次调用`, 'billNo')),
      api.deps.cfg.bills.issueTimeoutMs,
    );
  });
  let result: PaperResult;
  try {
    result = await Promise.race([api.client.workflow.executeUpdateWithStart(paperUpdate, { args: [{ ...op, billId: bill.id }], startWorkflowOperation: start }), timeout]);
  } catch (e) {
    throw domainErrorOf(e);
  } finally {
    clearTimeout(timer);
  }
  // A voided form may be what a waiting reversal needs (the transaction has committed).
  if (op.op === 'void' || op.op === 'reexchange') await onPaperVoided(api, bill, op.actor ?? op.operator);
  return result;
}

const paperAnswer = (r: PaperResult) => ({
  billBatchCode: r.billBatchCode,
  billNo: r.billNo,
  pBillBatchCode: r.pBillBatchCode ?? '',
  pBillNo: r.pBillNo ?? '',
  isPrtPaper: r.paperState === 'exchanged' ? '1' : '0',
  ...(r.voided ? { invalidPBillBatchCode: r.voided.pBillBatchCode, invalidPBillNo: r.voided.pBillNo } : {}),
  printJobId: r.printJobId ?? '',
});

/** getPaperBillNo: the point's next unused paper form (a peek: nothing is taken). */
export async function getPaperBillNo(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const placeCode = str(o, 'placeCode', 32);
  const pBillBatchCode = code8(o, 'pBillBatchCode', false);
  const place = await placeOf(api, await hospitalOf(api, appid), placeCode);
  const seg = await nextPaperForm(api.deps.orm.em, place.id, { pBillBatchCode });
  if (!seg) {
    throw fieldError(pBillBatchCode ? 'pBillBatchCode' : 'placeCode', `开票点 ${placeCode} 没有剩余的${pBillBatchCode ? `代码为 ${pBillBatchCode} 的` : ''}纸质票据（纸质票据库存不足）`, 'E0023');
  }
  return { placeCode, pBillBatchCode: seg.p_bill_batch_code, pBillNo: paperNo(Number(seg.next_no)), remainNum: await remaining(api, seg) };
}

const remaining = (api: ApiContext, seg: { id: number; next_no: number | string; end_no: number | string }): Promise<number> => paperFormsLeft(api.deps.orm.em, seg);

/** turnPaper / reTurnPaper share their fields. */
async function exchange(api: ApiContext, appid: string, o: Record<string, unknown>, op: 'exchange' | 'reexchange') {
  const billBatchCode = code8(o, 'billBatchCode', true)!;
  const billNo = str(o, 'billNo', 10);
  const pBillBatchCode = code8(o, 'pBillBatchCode', op === 'reexchange');
  const pBillNo = paperNumber(o, 'pBillNo', op === 'reexchange');
  busTime(o);
  const placeCode = str(o, 'placeCode', 32);
  const operator = str(o, 'operator', 64);
  const reason = op === 'reexchange' ? opt(o, 'reason', 200) : undefined;
  const hospitalId = await hospitalOf(api, appid);
  await placeOf(api, hospitalId, placeCode);
  const bill = await findBill(api, hospitalId, billBatchCode, billNo);
  return paperAnswer(await runPaperOp(api, bill, { op, placeCode, operator, actor: `HIS:${appid}`, pBillBatchCode, pBillNo, reason }));
}

export const turnPaper = (api: ApiContext, appid: string, o: Record<string, unknown>) => exchange(api, appid, o, 'exchange');
export const reTurnPaper = (api: ApiContext, appid: string, o: Record<string, unknown>) => exchange(api, appid, o, 'reexchange');

/** Resolves a printed paper form to its bill; the form must come from the given point's stock. */
export async function formBill(api: ApiContext, hospitalId: number, placeCode: string, pBillBatchCode: string, pBillNo: string): Promise<BillRef> {
  const place = await placeOf(api, hospitalId, placeCode);
  const row = await hospitalPaperForm(api.deps.orm.em, hospitalId, pBillBatchCode, pBillNo);
  if (!row) throw fieldError('pBillNo', `纸质票据 ${pBillBatchCode}-${pBillNo} 未在本医院打印过（作废未使用的空白票据请用 invalidBlankBillNo）`, 'E0034');
  if (Number(row.place_id) !== place.id) throw fieldError('placeCode', `纸质票据 ${pBillBatchCode}-${pBillNo} 属于开票点 ${row.place_code}，不属于 ${placeCode}`, 'E0020');
  if (row.state === 'blank_voided' || !row.bill_id) throw fieldError('pBillNo', `纸质票据 ${pBillBatchCode}-${pBillNo} 是已作废的空白票据，从未打印`, 'E0034');
  const b = (await billCodeAndNo(api.deps.orm.em, row.bill_id))!;
  return findBill(api, hospitalId, b.bill_batch_code, b.bill_no);
}

/** invalidPaper: voids a printed paper form; its e-bill is an e-bill again (paper_state none). */
export async function invalidPaper(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const pBillBatchCode = code8(o, 'pBillBatchCode', true)!;
  const pBillNo = paperNumber(o, 'pBillNo', true)!;
  const placeCode = str(o, 'placeCode', 32);
  const author = str(o, 'author', 64);
  const reason = str(o, 'reason', 200);
  busTime(o);
  const hospitalId = await hospitalOf(api, appid);
  const bill = await formBill(api, hospitalId, placeCode, pBillBatchCode, pBillNo);
  const r = await runPaperOp(api, bill, { op: 'void', placeCode, operator: author, actor: `HIS:${appid}`, pBillBatchCode, pBillNo, reason });
  return { pBillBatchCode, pBillNo, billBatchCode: r.billBatchCode, billNo: r.billNo, isPrtPaper: r.paperState === 'exchanged' ? '1' : '0' };
}

/** invalidBlankBillNo: voids unused blank forms pBillNoStart..pBillNoEnd of the point (all or nothing). */
export async function invalidBlankBillNo(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const placeCode = str(o, 'placeCode', 32);
  const pBillBatchCode = code8(o, 'pBillBatchCode', true)!;
  const start = paperNumber(o, 'pBillNoStart', true)!;
  const end = paperNumber(o, 'pBillNoEnd', true)!;
  const author = str(o, 'author', 64);
  const reason = str(o, 'reason', 200);
  busTime(o);
  const hospitalId = await hospitalOf(api, appid);
  await placeOf(api, hospitalId, placeCode);
  const r = await voidBlankRange(api.deps, { hospitalId, placeCode, pBillBatchCode, start: Number(start), end: Number(end), author, reason });
  return { placeCode, pBillBatchCode, pBillNoStart: start, pBillNoEnd: end, invalidNum: r.count, nextPBillNo: r.nextPBillNo ?? '' };
}

/**
 * printPaperBill: prints the e-bill's layout file (PDF) on plain A4 at the point's printer (补打).
 * In: billBatchCode, billNo, placeCode, operator, busDateTime. Out: billBatchCode, billNo,
 * printJobId, printState ("queued": the print follows in the background).
 */
export async function printPaperBill(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const billBatchCode = code8(o, 'billBatchCode', true)!;
  const billNo = str(o, 'billNo', 10);
  const placeCode = str(o, 'placeCode', 32);
  const operator = str(o, 'operator', 64);
  const at = busTime(o);
  const hospitalId = await hospitalOf(api, appid);
  await placeOf(api, hospitalId, placeCode);
  const bill = await findBill(api, hospitalId, billBatchCode, billNo);
  // Idempotent per request without a request number: the request is its bill, point, operator and
  // busDateTime (a retry repeats the HIS's business time; a new print request has a new one). Its
  // answer is kept in the replay table under that key for the replay window.
  const k = { appid, noise: `print-${sm3Hex(`${billBatchCode}|${billNo}|${placeCode}|${operator}|${at}`).slice(0, 40)}`, sign: 'printPaperBill' };
  const db = api.deps.orm.em;
  const deadline = Date.now() + api.deps.cfg.bills.issueTimeoutMs;
  while (!(await claimEnvelope(db, k, 'printPaperBill'))) {
    const prior = await replayOf(db, k);
    if (prior && Date.now() - prior.createdAt.getTime() > api.deps.cfg.his.replayWindowMs) await dropReplayBefore(db, prior.id, new Date(Date.now() - api.deps.cfg.his.replayWindowMs));
    else if (prior?.state === 'done' && prior.answer) return JSON.parse(prior.answer) as Record<string, string>;
    else if (Date.now() > deadline) throw new DomainError('E0050', `billNo: 票据 ${billBatchCode}-${billNo} 的相同打印请求仍在处理中，请用相同内容再次调用`, 'billNo');
    else await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const r = await runPaperOp(api, bill, { op: 'printLayout', placeCode, operator, actor: `HIS:${appid}` });
    const out = { billBatchCode, billNo, printJobId: r.printJobId ?? '', printState: 'queued' };
    await finishEnvelope(db, k, JSON.stringify(out));
    return out;
  } catch (e) {
    await releaseEnvelope(db, k);
    throw e;
  }
}

/**
 * getValidBillBatchCode: the point's bill codes in use. In: placeCode, optional billKindCode
 * (4 digits, e.g. 0401). Out: paperBillList[{pBillBatchCode, billKindCode, billKindName, name,
 * startNo, endNo, nextNo, remainNum}] and eBillList[{billBatchCode, billKindCode, billKindName,
 * nextNo, remainNum}], only segments with numbers left.
 */
export async function getValidBillBatchCode(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const placeCode = str(o, 'placeCode', 32);
  const kind = opt(o, 'billKindCode', 4);
  if (kind !== undefined && !/^\d{4}$/.test(kind)) throw fieldError('billKindCode', '须为 4 位数字');
  const place = await placeOf(api, await hospitalOf(api, appid), placeCode);
  const paper = await pointPaperSegments(api.deps.orm.em, place.id, kind);
  const ebill = await pointEBillSegments(api.deps.orm.em, place.id, kind);
  return {
    placeCode,
    paperBillList: await Promise.all(
      paper.map(async (s) => ({
        pBillBatchCode: s.p_bill_batch_code,
        billKindCode: s.kind_code,
        billKindName: s.kind_name,
        name: s.name,
        startNo: paperNo(Number(s.start_no)),
        endNo: paperNo(Number(s.end_no)),
        nextNo: paperNo(Number(s.next_no)),
        remainNum: await remaining(api, s),
      })),
    ),
    eBillList: ebill.map((s) => ({
      billBatchCode: s.bill_batch_code,
      billKindCode: s.kind_code,
      billKindName: s.kind_name,
      nextNo: String(s.next_no).padStart(10, '0'),
      remainNum: Number(s.end_no) - Number(s.next_no) + 1,
    })),
  };
}
