/** The issue workflow's activities: the issuing local activity, the layout file, the patient notices. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Bill, BillItem, BillPayment, Notification } from '../../orm/entities';
import { formatYuan, yuanInChinese } from '../../common/money';
import type { Deps } from '../deps';
import { issueBillActivity } from './issue-bill';
import { h5Url } from './bill-facts';
import { BUS_TYPES } from './draft';
import { renderBillPdf } from '../layout/render-bill-pdf';
import { NotifyPermanentError } from '../notify';

export const PAY_CHANNELS: Record<string, string> = {
  '01': '医保', '02': '现金', '03': '支票', '04': '支付宝', '05': '微信', '06': '转账', '07': '医保个账', '08': '银联卡', '09': '自助机',
};

const REGION_NAMES: Record<string, string> = { '44': '广东省', '61': '陕西省', '11': '北京市', '31': '上海市' };

/** Where a bill's layout file lives, relative to the data folder (stored by reference). */
export const layoutRelPath = (b: { billBatchCode: string; billNo: string }) => path.join('layout', b.billBatchCode, `${b.billNo}.pdf`);

export function createIssueActivities(deps: Deps) {
  return {
    issueBill: issueBillActivity(deps),

    /** Renders the PDF layout file, writes it atomically and records its path and SHA-256. Idempotent. */
    async renderLayout(billId: number): Promise<string> {
      const em = deps.orm.em.fork();
      const bill = await em.findOneOrFail(Bill, billId, { populate: ['hospital', 'place', 'billKind'] });
      const [items, payments] = await Promise.all([
        em.find(BillItem, { bill: billId }, { orderBy: { sortNo: 'asc' } }),
        em.find(BillPayment, { bill: billId }),
      ]);
      const extra = bill.extra ? JSON.parse(bill.extra) : {};
      const pdf = await renderBillPdf(
        {
          hospitalName: bill.hospital.name,
          regionName: REGION_NAMES[bill.hospital.regionCode] ?? '',
          billKindName: bill.billKind.name,
          billBatchCode: bill.billBatchCode,
          billNo: bill.billNo,
          random: bill.random,
          issuedAt: bill.issuedAt,
          payer: bill.payer,
          idCardNo: bill.idCardNo,
          patientNo: bill.patientNo,
          busNo: bill.busNo,
          busType: bill.busType,
          busTypeName: BUS_TYPES[bill.busType] ?? bill.busType,
          medicalCareType: extra.medicalCareType,
          placeName: bill.place.name,
          payee: bill.payee,
          checker: bill.checker,
          author: bill.author,
          totalAmt: formatYuan(bill.totalAmt),
          totalAmtChinese: yuanInChinese(bill.totalAmt),
          items: items.map((i) => ({ name: i.name, number: i.number, unit: i.unit, amt: formatYuan(i.amt), remark: i.remark })),
          payments: payments.map((p) => ({ channelName: PAY_CHANNELS[p.channelCode] ?? p.channelCode, amount: formatYuan(p.amount) })),
          remark: bill.remark,
          h5Url: h5Url(deps.cfg.publicUrl, bill),
          state: bill.state === 'reversed' ? 'reversed' : 'normal',
          isScarlet: bill.isScarlet,
          signatureHex: bill.signature,
        },
        { fontPath: deps.cfg.fontPath },
      );
      const rel = layoutRelPath(bill);
      const abs = path.join(deps.cfg.dataDir, rel);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      const tmp = `${abs}.${process.pid}.tmp`;
      await fs.writeFile(tmp, pdf);
      await fs.rename(tmp, abs);
      const sha = createHash('sha256').update(pdf).digest('hex');
      await em.nativeUpdate(Bill, { id: billId }, { layoutPath: rel, layoutSha256: sha });
      return rel;
    },

    /**
     * Sends one notice channel for a bill, at most once: the Notification row remembers a sent
     * notice, and the provider dedupes by the idempotency key if we crash between send and record.
     * A permanent error (bad number) is recorded and not retried; anything else is retried.
     */
    async notifyPatient(billId: number, channel: 'sms' | 'email' | 'wechat'): Promise<string> {
      const em = deps.orm.em.fork();
      const bill = await em.findOneOrFail(Bill, billId, { populate: ['hospital'] });
      const extra = bill.extra ? JSON.parse(bill.extra) : {};
      const notices = (extra.noticeList ?? []) as Array<{ noticeType: string; noticeValue: string }>;
      const target =
        channel === 'sms'
          ? notices.find((n) => n.noticeType === '1201')?.noticeValue ?? bill.tel
          : channel === 'email'
            ? notices.find((n) => n.noticeType === '1202')?.noticeValue ?? bill.email
            : bill.openId;
      if (!target) return 'no-target';
      let row = await em.findOne(Notification, { bill: billId, channel });
      if (row?.status === 'sent') return 'already-sent';
      if (!row) {
        try {
          em.create(Notification, { bill: billId, channel, target, status: 'pending', attempts: 0, createdAt: new Date() } as any);
          await em.flush();
        } catch (e) {
          if (!(e instanceof UniqueConstraintViolationException)) throw e;
          em.clear(); // a concurrent attempt created the row first
        }
        row = await em.findOneOrFail(Notification, { bill: billId, channel });
      }
      const notifier = deps.notifiers.find((n) => n.channel === channel);
      if (!notifier) throw new Error(`no notifier configured for ${channel}`);
      row.attempts += 1;
      try {
        const { providerId } = await notifier.send({
          idempotencyKey: `bill-${bill.id}-${channel}`,
          target,
          hospitalName: bill.hospital.name,
          payer: bill.payer,
          billBatchCode: bill.billBatchCode,
          billNo: bill.billNo,
          random: bill.random,
          totalAmt: formatYuan(bill.totalAmt),
          h5Url: h5Url(deps.cfg.publicUrl, bill),
          issuedAt: bill.issuedAt,
        });
        row.status = 'sent';
        row.providerId = providerId;
        row.sentAt = new Date();
        row.lastError = undefined;
        await em.flush();
        return 'sent';
      } catch (e) {
        row.lastError = String((e as Error).message ?? e).slice(0, 1000);
        if (e instanceof NotifyPermanentError) {
          row.status = 'failed';
          await em.flush();
          return 'failed';
        }
        await em.flush();
        throw e;
      }
    },
  };
}
