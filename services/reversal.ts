/**
 * Reverses (冲红) a whole bill, run as the local activity of the write-off workflow. In ONE
 * transaction: mark the original reversed (a conditional UPDATE that also locks it), take the next
 * number of the billing point's stock for the same bill kind, sign the red bill (negative amounts,
 * pointing to the original) and store it. Reversing twice returns the same red bill: the
 * conditional UPDATE lets one transaction through, and `related_bill_id` is unique.
 */
import { DomainError, fieldError } from '../common/errors';
import { isUniqueViolation } from '../orm/errors';
import { Bill } from '../orm/entities';
import type { Deps } from './deps';
import { canonicalBillText, checkCode } from '../domain/bill/facts';
import { toIssued, type IssuedBill } from './issuance';
import { insertBill } from '../orm/repositories/bill-store';
import { itemsOfBill, linkScarletBill, markReversed, paperFormOf, paymentsOfBill, takeNextNumber } from '../orm/repositories/bills';
import type { RefundSpec } from '../domain/bill/reissue-plan';
import { crashPoint } from '../common/crash-points';
import { formatYuan } from '../common/money';
import { writeOffWorkflowId } from '../temporal/ids';
import { recordBillEvent } from '../orm/repositories/bill-events';

export interface WriteOffInput {
  billId: number;
  placeCode: string;
  reason: string;
  operator: string;
  /** A partial refund: after the reversal, reissue the bill minus these refunds (one process). */
  reissue?: RefundSpec;
  /** ISO time the reversal was asked for (a reissue's busDateTime). */
  requestedAt?: string;
  /** How long to wait for a paper form before reminding, then again each time. */
  paperRemindAfterMs?: number;
}

/** The red bill's business serial: unique per original, never one a HIS sends (HIS serials are the originals'). */
export const scarletBusNo = (b: { billBatchCode: string; billNo: string }) => `R-${b.billBatchCode}${b.billNo}`;

const existingRed = async (deps: Deps, originalId: number): Promise<IssuedBill | undefined> => {
  const red = await deps.orm.em.fork().findOne(Bill, { relatedBillId: originalId }, { populate: ['place'] });
  return red ? toIssued(deps, red, red.place.code) : undefined;
};

/**
 * Reverses a bill (冲红): the red bill, stored in the transaction that marks the original reversed.
 * Reversing again answers with the same red bill.
 */
export async function writeOffBill(deps: Deps, input: WriteOffInput): Promise<IssuedBill> {
  const red = await reverse(deps, input);
  if (input.reissue) crashPoint(deps.cfg.server, 'after-reversal');
  return red;
}

async function reverse(deps: Deps, input: WriteOffInput): Promise<IssuedBill> {
  const em = deps.orm.em.fork();
  const original = await em.findOne(Bill, input.billId, { populate: ['place', 'billKind', 'hospital'] });
  try {
    if (!original) throw new DomainError('E0030', `billNo: 票据 ${input.billId} 不存在`, 'billNo');
    if (original.isScarlet) throw new DomainError('E0031', `billNo: ${original.billBatchCode}-${original.billNo} 是红票，红票不能冲红`, 'billNo');
    const done = await existingRed(deps, original.id);
    if (done) return done;
    if (original.paperState === 'exchanged') throw paperOut(original);
    const hospital = await deps.master.hospital(original.hospital.id);
    const place = await deps.master.lookup(hospital.id, (h) => h.places.get(input.placeCode));
    if (!place) throw fieldError('placeCode', `开票点 ${input.placeCode} 不存在`, 'E0020');
    if (!place.active) throw fieldError('placeCode', `开票点 ${input.placeCode} 已停用`, 'E0020');
    const [items, payments] = await Promise.all([itemsOfBill(em, original.id), paymentsOfBill(em, original.id)]);
    const signer = deps.signerFor(hospital);
    const busNo = scarletBusNo(original);
    return await em.transactional(async (sql) => {
      const now = new Date();
      // upload_state back to pending: the fiscal side learns of the reversal (the original goes again, as reversed, before its red bill).
      if (!(await markReversed(sql, original.id, { at: now, reason: input.reason, operator: input.operator }))) {
        // Exchanged for paper since we looked (never reverse a bill whose paper form is out), or reversed by another call.
        const now_ = await paperFormOf(sql, original.id);
        if (now_?.paper_state === 'exchanged') throw paperOut({ ...original, paperBillBatchCode: now_.paper_bill_batch_code ?? undefined, paperBillNo: now_.paper_bill_no ?? undefined });
        throw new AlreadyReversed();
      }
      const { billBatchCode, number } = await takeNextNumber(sql, place.id, original.billKind.id, input.placeCode);
      const billNo = String(number).padStart(10, '0');
      const totalAmt = -original.totalAmt;
      const random = checkCode(hospital.checkSecret, { billBatchCode, billNo, totalAmt, busNo, issuedAt: now });
      const signedData = canonicalBillText({
        billKindName: original.billKind.name,
        billBatchCode,
        billNo,
        random,
        billKindCode: original.billKind.code,
        regionCode: hospital.regionCode,
        totalAmt,
        issuedAt: now,
        hospitalCode: hospital.code,
        hospitalName: hospital.name,
        payer: original.payer,
        idCardNo: original.idCardNo,
        payments: payments.map((p) => ({ channelCode: p.channel_code, amount: -Number(p.amount) })),
        busNo,
        remark: input.reason,
        payee: input.operator,
        checker: original.checker,
        items: items.map((i) => ({ fiscalCode: i.fiscal_code, name: i.name, number: i.number ?? undefined, amt: -Number(i.amt) })),
        relatedBillBatchCode: original.billBatchCode,
        relatedBillNo: original.billNo,
      });
      const signature = signer.signInline ? signer.signInline(signedData) : await signer.sign(signedData, { busNo, billNo });
      const redId = await insertBill(
        sql,
        {
          hospitalId: hospital.id,
          appid: original.appid,
          busNo,
          busType: original.busType,
          method: 'writeOffEBill',
          billKindId: original.billKind.id,
          placeId: place.id,
          billBatchCode,
          billNo,
          random,
          totalAmt,
          payer: original.payer,
          patientNo: original.patientNo,
          patientId: original.patientId,
          idCardNo: original.idCardNo,
          tel: original.tel,
          email: original.email,
          openId: original.openId,
          payee: input.operator,
          author: input.operator,
          checker: original.checker,
          busDateTime: original.busDateTime,
          issuedAt: now,
          isScarlet: true,
          remark: input.reason,
          extra: original.extra,
          signedData,
          signature,
          workflowId: writeOffWorkflowId(original),
          relatedBillId: original.id,
        },
        items.map((i) => ({
          sortNo: i.sort_no, hisCode: i.his_code, fiscalCode: i.fiscal_code, name: i.name, unit: i.unit, std: i.std, number: i.number,
          amt: -Number(i.amt), selfAmt: -Number(i.self_amt), remark: i.remark,
        })),
        payments.map((p) => ({ channelCode: p.channel_code, amount: -Number(p.amount) })),
      );
      await linkScarletBill(sql, original.id, redId);
      const workflowId = writeOffWorkflowId(original);
      await recordBillEvent(sql, { billId: original.id, type: 'reversed', actor: input.operator, detail: `红票 ${billBatchCode}-${billNo}；原因：${input.reason}`, workflowId, at: now });
      await recordBillEvent(sql, { billId: redId, type: 'issued', actor: input.operator, detail: `冲红 ${original.billBatchCode}-${original.billNo}，${formatYuan(totalAmt)} 元`, workflowId, at: now });
      return toIssued(deps, { id: redId, billBatchCode, billNo, random, issuedAt: now, tel: original.tel, email: original.email, openId: original.openId, extra: original.extra, isScarlet: true }, place.code);
    });
  } catch (e) {
    if (e instanceof AlreadyReversed || isUniqueViolation(e)) {
      // Another reversal of this bill committed first: answer with its red bill.
      const red = original && (await existingRed(deps, original.id));
      if (red) return red;
    }
    if (e instanceof DomainError) throw e;
    throw e;
  }
}

class AlreadyReversed extends Error {}

/** The answer while a bill's paper form is out: the reversal is registered and waits for it. */
export function paperOut(b: { billBatchCode: string; billNo: string; paperBillBatchCode?: string; paperBillNo?: string }): DomainError {
  return new DomainError(
    'E0032',
    `billNo: ${b.billBatchCode}-${b.billNo} 已换开纸质票据 ${b.paperBillBatchCode ?? ''}-${b.paperBillNo ?? ''}，` +
      '冲红待该纸质票据收回并作废（invalidPaper，或收费员在管理端确认）后自动完成，届时再次调用可取得红票',
    'billNo',
  );
}
