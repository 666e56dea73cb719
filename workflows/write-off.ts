/**
 * Reversal (冲红) of a whole bill, ID `writeoff-{billBatchCode}-{billNo}`, and the partial refund
 * built on it (reverse, then reissue the rest: one process).
 *
 * 1. A partial refund is planned first (checked and its new issuance request stored), so a refund
 *    that cannot be reissued is refused before anything is reversed.
 * 2. If the bill is exchanged for a paper form, the process waits in "awaiting paper recovery"
 *    (a to-do for the cashiers of the bill's point; a reminder every `paperRemindAfterMs`) until the
 *    form is voided (HIS `invalidPaper` or the console), which signals `paperRecovered`.
 * 3. The red bill is made (local activity); the `writeOff` update answers with it.
 * 4. A partial refund then issues the new bill through the same idempotent issuance as the HIS
 *    (local activity), and starts the new bill's own process `bill-{appid}-{busNo}` for its layout
 *    file and notices. If the reissue is refused (no numbers left, a code unmapped since), the
 *    process stops in "reissue blocked" with the reason, opens a to-do, and waits for a person to
 *    retry (`retryReissue`) or give it up with a reason (`abandonReissue`). Never a reversed bill
 *    without a replacement that nobody knows about.
 * 5. The red bill's layout file and notices follow in the background.
 */
import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  log,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IssuedBill } from '../services/issuance';
import type { WriteOffInput } from '../services/reversal';
import type { ReissuePlan } from '../services/lifecycle';
import { domainDetailsOf, refusal } from '../temporal/failures';
import { local, runBillProcess } from './bill-process';
import {
  abandonReissueSignal, lifecycleQuery, partialRefundUpdate, paperRecoveredSignal, refundSpecKey, retryReissueSignal, writeOffUpdate,
  type BillProcessStatus, type ReissueStatus, type WriteOffStatus,
} from '../temporal/messages';
import { issueBillWorkflow } from './issue-bill';
import { billWorkflowId } from '../temporal/ids';
import { billStateAttribute } from '../temporal/search-attributes';
import { DEFAULT_PAPER_REMIND_AFTER_MS } from '../config/bills';


export async function writeOffWorkflow(input: WriteOffInput): Promise<WriteOffStatus> {
  const workflowId = workflowInfo().workflowId;
  let plan: ReissuePlan | undefined;
  let paperRecovered = false;
  let retryBy: string | undefined;
  let abandoned: { actor: string; reason: string } | undefined;
  let st: WriteOffStatus | undefined;

  setHandler(paperRecoveredSignal, () => void (paperRecovered = true));
  setHandler(retryReissueSignal, ({ actor }) => void (retryBy = actor));
  setHandler(abandonReissueSignal, (a) => void (abandoned = a));

  const before = async (status: BillProcessStatus) => {
    const s = status as WriteOffStatus;
    if (input.reissue) {
      plan = await local.planReissue({
        billId: input.billId,
        refund: input.reissue,
        operator: input.operator,
        reason: input.reason,
        requestedAt: input.requestedAt ?? new Date().toISOString(),
        workflowId,
      });
      s.reissue = { state: 'planned', plan, attempts: 0 };
    }
    let hold = await local.paperHold(input.billId);
    if (!hold.exchanged) return;

    const every = input.paperRemindAfterMs ?? DEFAULT_PAPER_REMIND_AFTER_MS;
    s.paper = { billBatchCode: hold.paperBillBatchCode, billNo: hold.paperBillNo, reminders: 0 };
    s.waitingFor = {
      code: 'E0032',
      message:
        `billNo: ${hold.billBatchCode}-${hold.billNo} 已换开纸质票据 ${hold.paperBillBatchCode}-${hold.paperBillNo}，` +
        '冲红待该纸质票据收回并作废（invalidPaper，或收费员在管理端确认）后自动完成，届时再次调用可取得红票',
      field: 'billNo',
    };
    status.state = 'waiting';
    upsertSearchAttributes(billStateAttribute('awaiting_paper'));
    await local.openTodo({
      kind: 'paper_recovery',
      billId: input.billId,
      placeCode: hold.placeCode,
      workflowId,
      title: `收回并作废纸质票据 ${hold.paperBillBatchCode}-${hold.paperBillNo}`,
      detail: `电子票据 ${hold.billBatchCode}-${hold.billNo} 已换开纸质票据，须收回并作废后方可冲红（${input.operator}：${input.reason}）`,
      remindAt: new Date(Date.now() + every).toISOString(),
      actor: input.operator,
      event: 'awaiting_paper',
    });
    while (hold.exchanged) {
      if (await condition(() => paperRecovered, every)) {
        paperRecovered = false;
        hold = await local.paperHold(input.billId);
      } else {
        s.paper.reminders += 1;
        await local.remindPaperRecovery({ billId: input.billId, count: s.paper.reminders, nextRemindAt: new Date(Date.now() + every).toISOString(), workflowId });
        log.warn('paper form still not recovered', { billId: input.billId, reminders: s.paper.reminders });
      }
    }
    await local.closeTodo({ kind: 'paper_recovery', billId: input.billId, actor: 'system', state: 'done' });
    s.paper = undefined;
    upsertSearchAttributes(billStateAttribute('reversing'));
  };

  const reissue = async () => {
    const r = st!.reissue!;
    for (;;) {
      r.state = 'issuing';
      r.attempts += 1;
      try {
        r.bill = await local.issueBill({ appid: plan!.appid, busNo: plan!.busNo });
        r.state = 'issued';
        r.error = undefined;
        break;
      } catch (e) {
        const d = domainDetailsOf(e);
        if (!d) throw e;
        r.state = 'blocked';
        r.error = d;
        upsertSearchAttributes(billStateAttribute('reissue_blocked'));
        await local.openTodo({
          kind: 'reissue_blocked',
          billId: input.billId,
          placeCode: plan!.placeCode,
          workflowId,
          title: `部分退费重开受阻：${plan!.busNo}`,
          detail: `原票据已冲红，重开 ${plan!.totalAmt} 元未能开具：${d.message}`,
          actor: 'system',
          event: 'reissue_blocked',
        });
        await condition(() => retryBy !== undefined || abandoned !== undefined);
        if (abandoned) {
          r.state = 'abandoned';
          r.error = { code: 'ABANDONED', message: abandoned.reason };
          await local.closeTodo({ kind: 'reissue_blocked', billId: input.billId, actor: abandoned.actor, state: 'cancelled', event: 'reissue_abandoned', detail: abandoned.reason, workflowId });
          upsertSearchAttributes(billStateAttribute('reissue_abandoned'));
          return;
        }
        retryBy = undefined;
        upsertSearchAttributes(billStateAttribute('reissuing'));
      }
    }
    await local.closeTodo({ kind: 'reissue_blocked', billId: input.billId, actor: 'system', state: 'done' });
    upsertSearchAttributes(billStateAttribute('reversed'));
    // The new bill's own process renders its layout file and notifies the patient; it outlives this one.
    try {
      await startChild(issueBillWorkflow, {
        workflowId: billWorkflowId(plan!.appid, plan!.busNo),
        args: [{ appid: plan!.appid, busNo: plan!.busNo }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        searchAttributes: { BusNo: [plan!.busNo], PlaceCode: [plan!.placeCode], BusType: [plan!.busType], PatientNo: [plan!.patientNo], ...billStateAttribute('issuing') },
      });
    } catch (e) {
      // Already running (the HIS asked for the same busNo): that process delivers the bill.
      log.warn('reissued bill process not started', { busNo: plan!.busNo, err: String(e) });
    }
  };

  const status = (await runBillProcess(writeOffUpdate, {
    before,
    produce: () => local.writeOffBill(input),
    after: input.reissue ? reissue : undefined,
    doneState: 'reversed',
    handlers: (s, failed) => {
      st = s as WriteOffStatus;
      setHandler(lifecycleQuery, () => st!);
      setHandler(
        partialRefundUpdate,
        async () => {
          await condition(() => st!.state !== 'issuing' && (st!.state !== 'issued' || ['issued', 'blocked', 'abandoned'].includes(st!.reissue?.state ?? '')));
          if (st!.state === 'waiting') throw refusal(st!.waitingFor!);
          const f = failed();
          if (f) throw f;
          return { red: st!.bill!, reissue: st!.reissue! };
        },
        {
          validator: ({ specKey }) => {
            const refuse = (message: string) => refusal({ code: 'E0031', message, field: 'billNo' });
            if (!input.reissue && st?.state === 'issued') throw refuse('billNo: 票据已冲红，部分退费须针对现行票据');
            if (!input.reissue) throw refuse('billNo: 该票据正在整张冲红，不能同时部分退费');
            if (specKey !== refundSpecKey(input.reissue)) throw refuse('billNo: 该票据另一笔金额不同的部分退费正在处理中');
          },
        },
      );
    },
  })) as WriteOffStatus;
  return status;
}
