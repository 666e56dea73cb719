/**
 * The refund process's activities beyond bookkeeping: the money (through the channel adapters,
 * idempotent by the refund's fixed out_refund_no), the bill (through the bill's own reversal
 * process, exactly as the HIS's partialRefundEBill / writeOffEBill would), and the patient notice.
 */
import { log } from '@temporalio/activity';
import { crashPoint } from '../common/crash-points';
import { DomainError } from '../common/errors';
import { formatYuan } from '../common/money';
import { dbNow, insertRow, type Sql } from '../orm/repositories/stock-ranges';
import { isUniqueViolation } from '../orm/errors';
import type { Deps } from '../services/deps';
import type { ProcessContext } from '../temporal/context';
import { partialRefund, writeOff } from '../temporal/reversal-client';
import { NotifyPermanentError } from '../adapters/notify';
import { NOTICE_CHANNEL_NAMES, type RefundNoticeFacts } from '../adapters/notify/notifier';
import { PaymentRejectedError, type PaymentChannelName, type RefundResult } from '../adapters/payment/channel';
import { billChangedForRefund, openBillChangedTodo, recordRefund, refundH5Url, type RefundRecord, type RefundTableRow } from '../services/refunds';
import { verifyRefundAction } from '../services/refund-proof';
import type { RefundActionInput } from '../temporal/messages';
import { CHANNEL_NAMES, ONLINE_CHANNELS } from '../domain/refund/rules';
import { billOfRefund, payChannelCodesOfBill, refundById, setBillOutcome, setBillWaiting, setMoneyOutcome, setMoneyProcessing, setMoneyRefused, systemLine } from '../orm/repositories/refund-process';
import { hospitalNameOf } from '../orm/repositories/hospitals';

type RefundRow = RefundTableRow;

/** `bill_changed`: nothing was sent, the bill is no longer the one the refund was filed against (reason says how). */
export type MoneyAnswer = { state: 'processing' | 'success' | 'failed' | 'bill_changed'; failReason?: string };
/** `waiting`: the bill's reversal waits (E0032 its paper form, E0050 still running); the refund asks again when woken or later. */
export type BillAnswer = { state: 'reversed' | 'reissued' | 'blocked' | 'waiting'; redBillId?: number; reissuedBillId?: number; reason?: string; code?: string };

export function refundActivities(deps: Deps, processes: ProcessContext) {
  const load = async (refundId: number): Promise<RefundRow> => {
    const r = await refundById(deps.orm.em, refundId);
    if (!r) throw new DomainError('E0090', `refundNo: 退费申请 ${refundId} 不存在`, 'refundNo');
    return r;
  };

  const tx = <T>(fn: (sql: Sql) => Promise<T>) => deps.orm.em.fork().transactional((t) => fn(t));

  const line = systemLine;

  /** Stores what the channel said about the refund `outRefundNo`. */
  const keepMoney = async (r: RefundRow, outRefundNo: string, res: RefundResult): Promise<MoneyAnswer> => {
    await tx(async (sql) => {
      await setMoneyOutcome(sql, r.id, outRefundNo, { state: res.state, channelRefundId: res.channelRefundId, successTime: res.successTime ? new Date(res.successTime) : undefined, failReason: res.failReason });
      if (res.state === 'success') await line(sql, r.id, `money_back-${outRefundNo}`, 'money_back', `${formatYuan(Number(res.amountFen ?? r.amount))} 元已退回（${res.channelRefundId}）`, { outRefundNo, channelRefundId: res.channelRefundId, successTime: res.successTime });
    });
    return { state: res.state, failReason: res.failReason };
  };

  const channelOf = (r: RefundRow) => {
    if (!ONLINE_CHANNELS.includes(r.channel)) throw new DomainError('E0092', `channel: ${r.channel} 在收费窗口退款，不走线上渠道`, 'channel');
    return deps.payments[r.channel as PaymentChannelName];
  };

  const orderRef = (r: RefundRow) => ({ outTradeNo: r.out_trade_no ?? undefined, transactionId: r.transaction_id ?? undefined });

  return {
    async recordRefund(rec: RefundRecord): Promise<void> {
      await recordRefund(deps, rec);
    },

    /**
     * A local activity of the refund's update handler: the action's proof (services/refund-proof.ts),
     * its age, and its nonce used once. Refuses with E0092 「操作凭证无效」 (a DomainError: not retried).
     */
    async verifyRefundAction(v: { refundNo: string; updateKey: string; input: RefundActionInput }): Promise<void> {
      try {
        await verifyRefundAction(deps, v);
      } catch (e) {
        if (e instanceof DomainError) log.warn('refund action proof refused', { refundNo: v.refundNo, action: v.input?.action, actor: v.input?.actor?.username });
        throw e;
      }
    },

    /**
     * Asks the channel to refund. The same outRefundNo on every attempt: a retry after a timeout,
     * an outage or a crash returns the refund the channel already accepted, never a second one.
     */
    async sendRefundMoney(i: { refundId: number; outRefundNo: string }): Promise<MoneyAnswer> {
      const r = await load(i.refundId);
      const channel = channelOf(r);
      // Money never leaves twice: the bill must still be the one the refund was filed against. Not
      // asked again once the channel accepted a refund of this refund (a retry after a lost answer).
      if (r.money_state !== 'processing' && r.money_state !== 'success') {
        const changed = await billChangedForRefund(deps, r);
        if (changed) {
          await openBillChangedTodo(deps, r, changed);
          return { state: 'bill_changed', failReason: changed };
        }
      }
      let res: RefundResult;
      try {
        res = await channel.refund({
          outRefundNo: i.outRefundNo,
          orderRef: orderRef(r),
          amountFen: Number(r.amount),
          totalFen: Number(r.paid_amt),
          reason: r.reason.slice(0, 80),
        });
      } catch (e) {
        if (e instanceof PaymentRejectedError) {
          // The refusal is the refund's failure (the process records it on the trail, once).
          await tx((sql) => setMoneyRefused(sql, r.id, i.outRefundNo, e.message));
          return { state: 'failed', failReason: e.message };
        }
        throw e; // unavailable: retried with the same outRefundNo
      }
      crashPoint(deps.cfg.server, 'after-refund-accepted');
      await tx(async (sql) => {
        await line(sql, r.id, `money_sent-${i.outRefundNo}`, 'money_sent', `已向${CHANNEL_NAMES[r.channel]}发起退款 ${formatYuan(Number(r.amount))} 元`, { outRefundNo: i.outRefundNo, channelRefundId: res.channelRefundId });
        await setMoneyProcessing(sql, r.id, res.channelRefundId);
      });
      return res.state === 'processing' ? { state: 'processing' } : keepMoney(r, i.outRefundNo, res);
    },

    /** Where the refund stands at the channel (after a notice, or when none came in time). */
    async syncRefundMoney(i: { refundId: number; outRefundNo: string }): Promise<MoneyAnswer> {
      const r = await load(i.refundId);
      const res = await channelOf(r).queryRefund(i.outRefundNo, orderRef(r));
      if (res.state === 'processing') return { state: 'processing' };
      return keepMoney(r, i.outRefundNo, res);
    },

    /**
     * The money is back: the bill is reversed (whole refund) or reversed and reissued for the rest
     * (partial), by the bill's own `writeoff-…` process. A bill whose paper form is still out waits
     * there (answered `waiting`: the refund asks again when the form is voided); a refusal is returned as blocked.
     */
    async reverseRefundBill(i: { refundId: number }): Promise<BillAnswer> {
      const r = await load(i.refundId);
      const b = (await billOfRefund(deps.orm.em, r.bill_id))!;
      // Waits for the reversal up to 90 s (not the HIS's MEDBILL_ISSUE_TIMEOUT_MS): under load a retry with backoff would only come later.
      const wait = { timeoutMs: Math.max(deps.cfg.bills.issueTimeoutMs, 90_000) };
      const req = {
        hospitalId: r.hospital_id,
        billBatchCode: b.bill_batch_code,
        billNo: b.bill_no,
        placeCode: b.place_code,
        reason: `退费 ${r.refund_no}：${r.reason}`.slice(0, 200),
        operator: `退费 ${r.refund_no}`.slice(0, 64),
        forRefundId: r.id,
      };
      const items = r.items ? (JSON.parse(r.items) as Array<{ sortNo: number; amt: number }>) : undefined;
      const whole = !items && Number(r.amount) === Number(b.total_amt);
      const channelCode = await (async () => {
        const paidThrough = await payChannelCodesOfBill(deps.orm.em, r.bill_id);
        const codes = deps.cfg.payment.refundChannelCodes[r.channel as keyof typeof deps.cfg.payment.refundChannelCodes] ?? [];
        return paidThrough.find((c: string) => codes.includes(c));
      })();
      let answer: BillAnswer;
      try {
        if (whole) {
          const red = await writeOff(processes, req, wait);
          answer = { state: 'reversed', redBillId: red.billId };
        } else {
          const res = await partialRefund(processes, req, { items, amount: items ? undefined : Number(r.amount), channelCode }, wait);
          const re = res.reissue;
          answer = re.bill
            ? { state: 'reissued', redBillId: res.red.billId, reissuedBillId: re.bill.billId }
            : { state: 'blocked', redBillId: res.red.billId, reason: re.error?.message ?? `reissue ${re.state}` };
        }
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        // Waiting for the paper form, or the reversal still running: try again later.
        if (e.code === 'E0032' || e.code === 'E0050') {
          await setBillWaiting(deps.orm.em, r.id, e.message);
          return { state: 'waiting', reason: e.message, code: e.code };
        }
        answer = { state: 'blocked', reason: e.message };
      }
      await tx(async (sql) => {
        await setBillOutcome(sql, r.id, answer);
        if (answer.redBillId) await line(sql, r.id, 'bill_reversed', 'bill_reversed', `原票据 ${b.bill_batch_code}-${b.bill_no} 已冲红`, { redBillId: answer.redBillId });
        if (answer.reissuedBillId) await line(sql, r.id, 'bill_reissued', 'bill_reissued', '剩余金额已重新开具票据', { reissuedBillId: answer.reissuedBillId });
        if (answer.state === 'blocked') await line(sql, r.id, 'bill_blocked', 'bill_blocked', answer.reason ?? null);
      });
      return answer;
    },

    /** Tells the patient the outcome (WeChat template message to the openid, SMS to the phone); once per refund and outcome. */
    async notifyRefundPatient(i: { refundId: number; kind: RefundNoticeFacts['result'] }): Promise<{ sent: string[] }> {
      const r = await load(i.refundId);
      const hospitalName = await hospitalNameOf(deps.orm.em, r.hospital_id);
      const targets: Array<['wechat' | 'sms', string]> = [];
      if (r.open_id) targets.push(['wechat', r.open_id]);
      if (r.tel) targets.push(['sms', r.tel]);
      const sent: Array<'wechat' | 'sms'> = [];
      const failed: Array<'wechat' | 'sms'> = [];
      for (const [channel, target] of targets) {
        const notifier = deps.notifiers.find((n) => n.channel === channel);
        if (!notifier) continue;
        try {
          await notifier.send({
            idempotencyKey: `refund-${r.id}-${i.kind}-${channel}`,
            target,
            hospitalName: hospitalName ?? '',
            payer: r.patient_name,
            billBatchCode: '',
            billNo: '',
            random: '',
            totalAmt: formatYuan(Number(r.amount)),
            h5Url: refundH5Url(deps.cfg.server.publicUrl, deps.masterKey, r.refund_no),
            issuedAt: new Date(),
            refund: { refundNo: r.refund_no, result: i.kind, amount: formatYuan(Number(r.amount)), reason: i.kind === 'rejected' ? r.reject_reason ?? undefined : undefined },
          });
          sent.push(channel);
        } catch (e) {
          if (!(e instanceof NotifyPermanentError)) throw e; // retried by the workflow
          log.warn('refund notice refused', { refundNo: r.refund_no, channel, err: (e as Error).message });
          failed.push(channel);
        }
      }
      const what = { done: '退费完成', rejected: '退费未获批准', withdrawn: '退费已撤回', bill_blocked: '已退款，新票据稍后开具' }[i.kind];
      const names = (cs: Array<'wechat' | 'sms'>) => cs.map((c) => NOTICE_CHANNEL_NAMES[c]).join('、');
      await tx((sql) => line(sql, r.id, `notified-${i.kind}`, 'notified', `${what}：${sent.length ? `已通知（${names(sent)}）` : '无可用的通知方式'}${failed.length ? `；${names(failed)}发送失败` : ''}`, { sent, failed }));
      return { sent };
    },
  };
}
