/**
 * Issues one bill: the synchronous heart of issuance, run as a local activity of the issue
 * workflow. In ONE database transaction it takes the billing point's next number, computes the
 * check code, signs the canonical bill text with the hospital's SM2 key and stores the bill; so a
 * number is never used twice and never skipped (a failed transaction gives the number back).
 * Idempotent by (appid, busNo): a retry after a crash finds the stored bill and returns it.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { DomainError, fieldError } from '../common/errors';
import { formatYuan } from '../common/money';
import { isUniqueViolation } from '../orm/errors';
import { Bill, IssueRequest } from '../orm/entities';
import type { Deps } from './deps';
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

export function issueBillActivity(deps: Deps) {
  return async function issueBill(input: IssueBillInput): Promise<IssuedBill> {
    const em = deps.orm.em.fork();
    const request = await issueRequestOf(em, input.appid, input.busNo);
    if (!request) throw new DomainError('E0030', `busNo: no issuance request stored for ${input.busNo}`, 'busNo');
    if (request.bill_id) {
      const bill = await em.findOneOrFail(Bill, request.bill_id, { populate: ['place'] });
      return toIssued(deps, bill, bill.place.code);
    }
    try {
      const draft = parseIssueDraft(request.method, JSON.parse(request.payload));
      return await issueInTransaction(deps, em, input, request, draft);
    } catch (e) {
      if (isUniqueViolation(e)) {
        // A concurrent attempt stored this bill first: answer with it.
        const again = await deps.orm.em.fork().findOne(Bill, { appid: input.appid, busNo: input.busNo }, { populate: ['place'] });
        if (again) return toIssued(deps, again, again.place.code);
        throw e;
      }
      if (e instanceof DomainError) {
        await deps.orm.em.fork().nativeUpdate(
          IssueRequest,
          { id: request.id },
          { status: 'rejected', errorCode: e.code, errorMessage: e.message, updatedAt: new Date() },
        );
        throw e;
      }
      throw e;
    }
  };
}

async function issueInTransaction(deps: Deps, em: EntityManager, input: IssueBillInput, request: { id: number; origin_bill_id: number | null }, draft: IssueDraft): Promise<IssuedBill> {
  const app = await deps.master.app(input.appid);
  if (!app) throw new DomainError('E0003', `appid: unknown application ${input.appid}`, 'appid');
  const hospital = await deps.master.hospital(app.hospitalId);
  const place = await deps.master.lookup(hospital.id, (h) => h.places.get(draft.placeCode));
  if (!place) throw fieldError('placeCode', `unknown billing point "${draft.placeCode}"`, 'E0020');
  if (!place.active) throw fieldError('placeCode', `billing point "${draft.placeCode}" is deactivated`, 'E0020');
  const category = await deps.master.lookup(hospital.id, (h) => h.categories.get(draft.busType));
  if (!category) throw fieldError('busType', `business type ${draft.busType} is not mapped to a bill kind (业务类别维护)`, 'E0022');
  const items: Array<IssueDraft["charges"][number] & { fiscalCode: string; fiscalName: string }> = [];
  for (const [i, c] of draft.charges.entries()) {
    const m = await deps.master.lookup(hospital.id, (h) => h.charges.get(c.chargeCode));
    if (!m) throw fieldError(`chargeDetail[${i}].chargeCode`, `HIS charge code "${c.chargeCode}" (${c.chargeName}) is not mapped to a fiscal item (编码对照)`, 'E0021');
    items.push({ ...c, fiscalCode: m.fiscalCode, fiscalName: m.fiscalName });
  }
  const signer = deps.signerFor(hospital);

  return em.transactional(async (tx) => {
    const sql = tx as unknown as SqlEntityManager;
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
    const signature = signer.signInline ? signer.signInline(signedData) : await signer.sign(signedData);
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
    return toIssued(deps, { id: billId, billBatchCode, billNo, random, issuedAt, tel: draft.tel, email: draft.email, openId: draft.openId, extra }, place.code);
  });
}
