/**
 * Issues one bill: the synchronous heart of issuance, run as a local activity of the issue
 * workflow (activities/issuance.ts passes the activity's attempt). In ONE database transaction it takes the billing point's next number, computes the
 * check code, signs the canonical bill text with the hospital's SM2 key and stores the bill; so a
 * number is never used twice and never skipped (a failed transaction gives the number back).
 * Idempotent by (appid, busNo): a retry after a crash finds the stored bill and returns it.
 */
import { DomainError, fieldError } from '../common/errors';
import { formatYuan } from '../common/money';
import { ConstraintViolationException } from '@mikro-orm/core';
import { isUniqueViolation, redactDbError } from '../orm/errors';
import { openIssueTodo, closeIssueTodo } from '../orm/repositories/todos';
import { Bill, IssueRequest } from '../orm/entities';
import { SignerConfigError } from '../adapters/signing/signer';
import type { Deps } from './deps';
import type { Sql } from '../orm/sql';
import { parseIssueDraft, type IssueDraft } from '../domain/bill/issue-request';
import { insertBill } from '../orm/repositories/bill-store';
import { takeNextNumber } from '../orm/repositories/bills';
import { issueRequestOf, markRequestIssued } from '../orm/repositories/issue-requests';
import { canonicalBillText, checkCode, chinaTime, h5Url, noticeTargets } from '../domain/bill/facts';
import { billWorkflowId } from '../temporal/ids';
import { recordBillEvent } from '../orm/repositories/bill-events';

export interface IssueBillInput {
  appid: string;
  busNo: string;
}

export interface IssuedBill {
  billId: number;
  billBatchCode: string;
  billNo: string;
  random: string;
  /** yyyyMMddHHmmssSSS in China time */
  createTime: string;
  placeCode: string;
  h5Url: string;
  /** notice channels with a target, for the workflow to deliver */
  channels: Array<'sms' | 'email' | 'wechat' | 'card'>;
}

export function toIssued(
  deps: Deps,
  b: Pick<Bill, 'id' | 'billBatchCode' | 'billNo' | 'random' | 'issuedAt' | 'tel' | 'email' | 'openId' | 'extra'> & { isScarlet?: boolean },
  placeCode: string,
): IssuedBill {
  const channels = Object.keys(noticeTargets(b)) as IssuedBill['channels'];
  const ms = String(b.issuedAt.getUTCMilliseconds()).padStart(3, '0');
  return {
    billId: b.id,
    billBatchCode: b.billBatchCode,
    billNo: b.billNo,
    random: b.random,
    createTime: chinaTime(b.issuedAt).compact + ms,
    placeCode,
    h5Url: h5Url(deps.cfg.server.publicUrl, b),
    channels,
  };
}

/**
 * A database error that the same statement would hit again (a constraint other than the bill's own
 * unique keys, a value too long or malformed for its column): retrying cannot help, so it refuses
 * the request like a validation error. Its SQL text and values are never part of the message.
 */
export function permanentDbError(e: unknown): DomainError | undefined {
  const code = String((e as { code?: unknown })?.code ?? '');
  const permanent =
    !isUniqueViolation(e) &&
    (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code) ||
    ['ER_DATA_TOO_LONG', 'ER_TRUNCATED_WRONG_VALUE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_WARN_DATA_OUT_OF_RANGE', 'ER_BAD_NULL_ERROR', 'ER_NO_REFERENCED_ROW_2', 'ER_NO_DEFAULT_FOR_FIELD', 'ER_CHECK_CONSTRAINT_VIOLATED', 'ER_INVALID_CHARACTER_STRING', 'ER_WRONG_VALUE_COUNT_ON_ROW'].includes(code) ||
    e instanceof ConstraintViolationException);
  if (!permanent) return undefined;
  return new DomainError('E0010', `request: 数据库拒绝保存该请求（${code || 'constraint'}），请更正后用同一 busNo 重新提交`, 'request');
}

export interface IssueAttempt {
  /** Which attempt this is (1 the first; the issuing activity's retry count): an unexpected error on attempt `cfg.his.issueMaxAttempts` refuses the request. */
  attempt: number;
}

/**
 * Issues the stored request (appid, busNo), or answers with its bill when it is issued already.
 * A refusal that cannot change on retry is a DomainError (the request is marked refused); an
 * unexpected error is thrown for a retry until `attempt` reaches the limit, then refused with E9999.
 */
export async function issueBill(deps: Deps, input: IssueBillInput, { attempt }: IssueAttempt): Promise<IssuedBill> {
  const em = deps.orm.em.fork();
  const request = await issueRequestOf(em, input.appid, input.busNo);
  if (!request) throw new DomainError('E0030', `busNo: 没有业务流水号 ${input.busNo} 的开票请求`, 'busNo');
  if (request.bill_id) {
    const bill = await em.findOneOrFail(Bill, request.bill_id, { populate: ['place'] });
    return toIssued(deps, bill, bill.place.code);
  }
  let placeCode = '';
  try {
    const draft = parseIssueDraft(request.method, JSON.parse(request.payload), deps.cfg.his);
    placeCode = draft.placeCode;
    return await issueInTransaction(deps, em, input, request, draft);
  } catch (e) {
    if (isUniqueViolation(e)) {
      // A concurrent attempt stored this bill first: answer with it.
      const again = await deps.orm.em.fork().findOne(Bill, { appid: input.appid, busNo: input.busNo }, { populate: ['place'] });
      if (again) return toIssued(deps, again, again.place.code);
    }
    // Refusals that cannot change on retry: the request is marked refused at once (a corrected
    // request may take its busNo) and the process fails with the code.
    const refusal = e instanceof DomainError ? e : e instanceof SyntaxError ? fieldError('request', '保存的请求不是有效的 JSON') : permanentDbError(e);
    if (refusal) {
      await rejectRequest(deps, request.id, refusal);
      throw refusal;
    }
    if (e instanceof SignerConfigError) throw e;
    // Unexpected: retried by the activity's retry policy a bounded number of times, then the
    // request is refused with E9999 (the busNo stays usable) and a to-do is opened for a person.
    const reason = redactDbError(e);
    if (attempt >= deps.cfg.his.issueMaxAttempts) {
      const gaveUp = new DomainError('E9999', `内部错误：开票在 ${deps.cfg.his.issueMaxAttempts} 次尝试后仍失败，已转人工待办；可用同一 busNo 重试`);
      await rejectRequest(deps, request.id, gaveUp);
      await openIssueTodo(deps.orm.em.fork(), {
        appid: input.appid,
        busNo: input.busNo,
        placeCode,
        workflowId: billWorkflowId(input.appid, input.busNo),
        title: `开票失败：业务流水号 ${input.busNo}`,
        detail: `${deps.cfg.his.issueMaxAttempts} 次尝试均失败：${reason}`.slice(0, 1000),
        at: new Date(),
      });
      throw gaveUp;
    }
    // The retry carries the redacted reason only (no SQL text, no values).
    const err = new Error(`issuing ${input.busNo} failed (attempt ${attempt} of ${deps.cfg.his.issueMaxAttempts}): ${reason}`);
    err.name = 'IssueAttemptFailed';
    throw err;
  }
}

const rejectRequest = (deps: Deps, id: number, e: DomainError) =>
  deps.orm.em.fork().nativeUpdate(IssueRequest, { id }, { status: 'rejected', errorCode: e.code, errorMessage: e.message.slice(0, 500), updatedAt: new Date() });

/**
 * The master data a draft needs, or the refusal naming its field: the billing point (exists,
 * active), the business type's bill kind (业务类别维护), every charge code's fiscal item (编码对照).
 * The issuing transaction and the console's 在线开具 check (services/online-issue.ts) both use it.
 */
export async function resolveDraftMaster(deps: Pick<Deps, 'master'>, hospitalId: number, draft: IssueDraft) {
  const place = await deps.master.lookup(hospitalId, (h) => h.places.get(draft.placeCode));
  if (!place) throw fieldError('placeCode', `开票点 ${draft.placeCode} 不存在`, 'E0020');
  if (!place.active) throw fieldError('placeCode', `开票点 ${draft.placeCode} 已停用`, 'E0020');
  const category = await deps.master.lookup(hospitalId, (h) => h.categories.get(draft.busType));
  if (!category) throw fieldError('busType', `业务类型 ${draft.busType} 未对应票据种类（业务类别维护）`, 'E0022');
  const items: Array<IssueDraft["charges"][number] & { fiscalCode: string; fiscalName: string }> = [];
  for (const [i, c] of draft.charges.entries()) {
    const m = await deps.master.lookup(hospitalId, (h) => h.charges.get(c.chargeCode));
    if (!m) throw fieldError(`chargeDetail[${i}].chargeCode`, `HIS 收费项目编码 ${c.chargeCode}（${c.chargeName}）未对照财政项目（编码对照）`, 'E0021');
    items.push({ ...c, fiscalCode: m.fiscalCode, fiscalName: m.fiscalName });
  }
  return { place, category, items };
}

async function issueInTransaction(deps: Deps, em: Sql, input: IssueBillInput, request: { id: number; origin_bill_id: number | null }, draft: IssueDraft): Promise<IssuedBill> {
  const app = await deps.master.app(input.appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${input.appid}`, 'appid');
  const hospital = await deps.master.hospital(app.hospitalId);
  const { place, category, items } = await resolveDraftMaster(deps, hospital.id, draft);
  const signer = deps.signerFor(hospital);

  return em.transactional(async (sql) => {
    const { billBatchCode, number } = await takeNextNumber(sql, place.id, category.kind.id, draft.placeCode);
    const billNo = String(number).padStart(10, '0');
    const issuedAt = new Date();
    const random = checkCode(hospital.checkSecret, { billBatchCode, billNo, totalAmt: draft.totalAmt, busNo: draft.busNo, issuedAt });
    const signedData = canonicalBillText({
      billKindName: category.kind.name,
      billBatchCode,
      billNo,
      random,
      billKindCode: category.kind.code,
      regionCode: hospital.regionCode,
      totalAmt: draft.totalAmt,
      issuedAt,
      hospitalCode: hospital.code,
      hospitalName: hospital.name,
      payer: draft.payer,
      idCardNo: draft.idCardNo,
      payments: draft.payments,
      busNo: draft.busNo,
      remark: draft.remark,
      payee: draft.payee,
      checker: draft.checker,
      items: items.map((i) => ({ fiscalCode: i.fiscalCode, name: i.chargeName, number: i.number, amt: i.amt })),
    });
    const signature = signer.signInline ? signer.signInline(signedData) : await signer.sign(signedData, { busNo: draft.busNo, billNo });
    const extra = JSON.stringify({ ...draft.extra, noticeList: draft.noticeList.length ? draft.noticeList : undefined });
    const billId = await insertBill(
      sql,
      {
        hospitalId: hospital.id,
        appid: input.appid,
        busNo: draft.busNo,
        busType: draft.busType,
        method: draft.method,
        billKindId: category.kind.id,
        placeId: place.id,
        billBatchCode,
        billNo,
        random,
        totalAmt: draft.totalAmt,
        payer: draft.payer,
        patientNo: draft.patientNo,
        patientId: draft.patientId,
        idCardNo: draft.idCardNo,
        tel: draft.tel,
        email: draft.email,
        openId: draft.openId,
        payee: draft.payee,
        author: draft.author,
        checker: draft.checker,
        busDateTime: draft.busDateTime,
        issuedAt,
        isScarlet: false,
        remark: draft.remark,
        extra,
        listDetail: draft.listDetail ? JSON.stringify(draft.listDetail) : null,
        signedData,
        signature,
        workflowId: billWorkflowId(input.appid, draft.busNo),
        originBillId: request.origin_bill_id,
      },
      items.map((i) => ({ sortNo: i.sortNo, hisCode: i.chargeCode, fiscalCode: i.fiscalCode, name: i.chargeName, unit: i.unit, std: i.std, number: i.number, amt: i.amt, selfAmt: i.selfAmt, remark: i.remark })),
      draft.payments,
    );
    await recordBillEvent(sql, {
      billId,
      type: 'issued',
      actor: `HIS:${input.appid}`,
      detail: `${billBatchCode}-${billNo} ${formatYuan(draft.totalAmt)} 元（${draft.placeCode}，收款人 ${draft.payee}）`,
      workflowId: billWorkflowId(input.appid, draft.busNo),
      at: issuedAt,
    });
    if (request.origin_bill_id) {
      await recordBillEvent(sql, {
        billId: request.origin_bill_id,
        type: 'reissued',
        actor: draft.payee,
        detail: `新票据 ${billBatchCode}-${billNo}，${formatYuan(draft.totalAmt)} 元（业务流水号 ${draft.busNo}）`,
        workflowId: billWorkflowId(input.appid, draft.busNo),
        at: issuedAt,
      });
    }
    await markRequestIssued(sql, request.id, billId);
    await closeIssueTodo(sql, input.appid, input.busNo, { closedBy: `HIS:${input.appid}`, at: issuedAt });
    return toIssued(deps, { id: billId, billBatchCode, billNo, random, issuedAt, tel: draft.tel, email: draft.email, openId: draft.openId, extra }, place.code);
  });
}
