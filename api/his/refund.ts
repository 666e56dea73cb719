/**
 * Refunds through the HIS interface envelope (medbill extension), for the HIS and for the patient
 * channel (the WeChat official account's back end holds its own appid and signs the same way):
 *   applyRefund    start a refund (idempotent by refundNo: a replay answers with the same refund)
 *   getRefund      follow it: state, current step, amounts, money and bill
 *   withdrawRefund withdraw it (until finance approved)
 */
import { DomainError, fieldError } from '../../common/errors';
import { REFUND_NO, refundH5Url } from '../../services/refunds';
import type { ApiContext } from '../context';
import { billByNumber, billOfBusNo } from '../../orm/repositories/refund-reads';
import { actOnRefund, findRefund, HIS_REFUND_FIELDS, parseRefundFields, refundDetail, refundText, startRefund } from '../../temporal/refund-client';

async function billFor(api: ApiContext, hospitalId: number, o: Record<string, unknown>, appid: string): Promise<number> {
  const code = refundText(o, 'billBatchCode', 8, false);
  const no = refundText(o, 'billNo', 10, false);
  if (code && no) {
    const b = await billByNumber(api.deps.orm.em, code, no);
    if (!b || b.hospital_id !== hospitalId) throw new DomainError('E0030', `billNo: 本医院未开具票据 ${code}-${no}`, 'billNo');
    return b.id;
  }
  const busNo = refundText(o, 'busNo', 64, false);
  if (!busNo) throw fieldError('billNo', '须填写 billBatchCode 与 billNo，或 busNo');
  const b = await billOfBusNo(api.deps.orm.em, appid, busNo);
  if (!b) throw new DomainError('E0030', `busNo: 业务流水号 ${busNo} 没有票据`, 'busNo');
  return b.id;
}

const refundNoOf = (o: Record<string, unknown>) => {
  const n = refundText(o, 'refundNo', 32)!;
  if (!REFUND_NO.test(n)) throw fieldError('refundNo', '须为 4-32 个字母、数字、_ 或 -');
  return n;
};

async function followAnswer(api: ApiContext, refundNo: string) {
  const r = await findRefund(api, { refundNo });
  const d = await refundDetail(api, r);
  return {
    refundNo: d.refundNo,
    /** The patient's page of this refund (send it in the official account). */
    h5Url: refundH5Url(api.deps.cfg.server.publicUrl, api.deps.masterKey, d.refundNo),
    state: d.state,
    stateName: d.stateName,
    amount: d.amount,
    channel: d.channel,
    currentStep: d.currentStep ? { name: d.currentStep.name, deadline: d.currentStep.deadline, overdue: d.currentStep.overdue } : null,
    rejectReason: d.rejectReason ?? null,
    chain: d.chain.map((s) => ({ name: s.name, status: s.status, decidedAt: s.decidedAt ?? null })),
    timeline: d.timeline.filter((t: { action: string }) => !['remind', 'escalate', 'comment'].includes(t.action)).map((t: (typeof d.timeline)[number]) => ({ at: t.at, action: t.action, actionName: t.actionName, stepName: t.stepName, comment: t.action === 'reject' ? t.comment : undefined })),
    money: { state: d.money.state, outRefundNo: d.money.outRefundNo, at: d.money.at },
    bill: {
      state: d.billStatus.state,
      redBill: d.billStatus.redBill ? { billBatchCode: d.billStatus.redBill.billBatchCode, billNo: d.billStatus.redBill.billNo } : null,
      reissuedBill: d.billStatus.reissuedBill ? { billBatchCode: d.billStatus.reissuedBill.billBatchCode, billNo: d.billStatus.reissuedBill.billNo, totalAmt: d.billStatus.reissuedBill.totalAmt } : null,
    },
  };
}

export async function applyRefund(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const app = await api.deps.master.app(appid);
  if (!app) throw new DomainError('E0003', `appid: 未知的接入应用 ${appid}`, 'appid');
  const refundNo = refundNoOf(o);
  const f = parseRefundFields(o, HIS_REFUND_FIELDS);
  const source = o.source === 'patient' ? 'patient' : 'his';
  const applicant = source === 'patient' ? `patient:${f.openId ?? refundText(o, 'patientNo', 64) ?? ''}` : `his:${appid}`;
  const applicantName = source === 'patient' ? `患者 ${refundText(o, 'applicantName', 64, false) ?? ''}`.trim() : refundText(o, 'operator', 64, false) ?? 'HIS';
  const billId = await billFor(api, app.hospitalId, o, appid);
  await startRefund(api, { hospitalId: app.hospitalId, refundNo, source, appid, billId, ...f, applicant, applicantName }, HIS_REFUND_FIELDS);
  return followAnswer(api, refundNo);
}

export async function getRefund(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const app = await api.deps.master.app(appid);
  const refundNo = refundNoOf(o);
  const r = await findRefund(api, { refundNo });
  if (!app || r.hospital_id !== app.hospitalId) throw new DomainError('E0090', `refundNo: 退费申请 ${refundNo} 不存在`, 'refundNo');
  return followAnswer(api, refundNo);
}

export async function withdrawRefund(api: ApiContext, appid: string, o: Record<string, unknown>) {
  const app = await api.deps.master.app(appid);
  const refundNo = refundNoOf(o);
  const r = await findRefund(api, { refundNo });
  if (!app || r.hospital_id !== app.hospitalId) throw new DomainError('E0090', `refundNo: 退费申请 ${refundNo} 不存在`, 'refundNo');
  const reason = refundText(o, 'reason', 200, false) ?? '患者撤回';
  await actOnRefund(api, refundNo, {
    action: 'withdraw',
    actor: { username: r.applicant, displayName: r.applicant_name, roles: [], isApplicant: true },
    comment: reason,
  });
  return followAnswer(api, refundNo);
}
