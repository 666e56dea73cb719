/** The Chinese texts of the patient notices, one place for all channels. */
import type { NoticeInput } from './notifier';
import { chinaTime } from '../../common/china-time';
import { DEFAULT_SMS_REFUND_TEMPLATE, DEFAULT_SMS_SCARLET_TEMPLATE, DEFAULT_SMS_TEMPLATE } from '../../config/notify';

/** The SMS template code registered at the SMS provider (the default of MEDBILL_SMS_TEMPLATE), and its parameters. */
export const SMS_TEMPLATE_CODE = DEFAULT_SMS_TEMPLATE;

/** Aliyun-style template: the text registered at the provider for SMS_TEMPLATE_CODE. */
export const SMS_TEMPLATE_TEXT = '【${hospital}】${payer}您好，您的医疗电子票据已开具，票据号码${billNo}，金额${amount}元，查看：${url}';

/** The template for a red bill (冲红), registered at the provider beside the issue template. */
export const SMS_SCARLET_TEMPLATE_CODE = DEFAULT_SMS_SCARLET_TEMPLATE;
export const SMS_SCARLET_TEMPLATE_TEXT = '【${hospital}】${payer}您好，您的医疗电子票据已冲红，红字票据号码${billNo}，金额${amount}元，查看：${url}';

/** A refund's outcome (template registered at the provider beside the bill templates). */
export const SMS_REFUND_TEMPLATE_CODE = DEFAULT_SMS_REFUND_TEMPLATE;
export const SMS_REFUND_TEMPLATE_TEXT = '【${hospital}】${payer}您好，您的退费申请${refundNo}（${amount}元）${result}。';

const REFUND_RESULTS = { done: '已退款，票据已冲红重开', rejected: '未获批准', withdrawn: '已撤回', bill_blocked: '已退款，新票据稍后开具' } as const;

/** The outcome as the patient reads it, e.g. "未获批准：超过退费时限". */
export function refundResultText(n: NoticeInput): string {
  const r = n.refund!;
  return `${REFUND_RESULTS[r.result]}${r.reason ? `：${r.reason}` : ''}`;
}

/** 医疗电子票据, or 电子票据 for a non-medical bill. */
const billWord = (n: NoticeInput) => (n.nonMedical ? '电子票据' : '医疗电子票据');

/** 已开具 for a bill, 已冲红 for a red bill. */
const done = (n: NoticeInput) => (n.scarlet ? '已冲红（红字票据）' : '已开具');

export function smsParams(n: NoticeInput): Record<string, string> {
  if (n.verificationCode) return { hospital: n.hospitalName, code: n.verificationCode };
  if (n.refund) return { hospital: n.hospitalName, payer: n.payer, refundNo: n.refund.refundNo, amount: n.refund.amount, result: refundResultText(n) };
  return { hospital: n.hospitalName, payer: n.payer, billNo: n.billNo, amount: n.totalAmt, url: n.h5Url };
}

/** The SMS as the patient reads it (SMS_TEMPLATE_TEXT filled in). */
export function smsText(n: NoticeInput): string {
  const p = smsParams(n);
  if (n.refund) return SMS_REFUND_TEMPLATE_TEXT.replace(/\$\{(\w+)\}/g, (_, k: string) => p[k] ?? '');
  return (n.scarlet ? SMS_SCARLET_TEMPLATE_TEXT : SMS_TEMPLATE_TEXT).replace(/\$\{(\w+)\}/g, (_, k: string) => p[k] ?? '');
}

/** "2025-03-01 14:05:09" in Beijing time (UTC+8, no daylight saving), whatever the server's zone. */
export function beijingTime(d: Date): string {
  return chinaTime(d).text;
}

export function mailSubject(n: NoticeInput): string {
  return `【${n.hospitalName}】${billWord(n)}${done(n)}（票据号码${n.billNo}）`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function mailHtml(n: NoticeInput): string {
  const rows: Array<[string, string]> = [
    ['交款人', n.payer],
    ['票据代码', n.billBatchCode],
    ['票据号码', n.billNo],
    ['校验码', n.random],
    ['金额', `${n.totalAmt}元`],
    ['开票时间', beijingTime(n.issuedAt)],
  ];
  return [
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>',
    `<p>${esc(n.payer)}您好：</p>`,
    `<p>您在${esc(n.hospitalName)}的${billWord(n)}${done(n)}，票据信息如下：</p>`,
    '<table cellpadding="4" style="border-collapse:collapse">',
    ...rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`),
    '</table>',
    `<p><a href="${esc(n.h5Url)}">查看、下载电子票据</a></p>`,
    n.pdfPath ? '<p>电子票据版式文件（PDF）见附件。</p>' : '',
    `<p>${esc(n.hospitalName)}</p>`,
    '</body></html>',
  ].join('\n');
}

/** The plain-text part of the e-mail (beside the HTML part). */
export function mailText(n: NoticeInput): string {
  return [
    `${n.payer}您好：`,
    `您在${n.hospitalName}的${billWord(n)}${done(n)}，票据信息如下：`,
    `票据代码：${n.billBatchCode}`,
    `票据号码：${n.billNo}`,
    `校验码：${n.random}`,
    `金额：${n.totalAmt}元`,
    `开票时间：${beijingTime(n.issuedAt)}`,
    `查看、下载电子票据：${n.h5Url}`,
    n.pdfPath ? '电子票据版式文件（PDF）见附件。' : '',
    n.hospitalName,
  ]
    .filter(Boolean)
    .join('\n');
}

/** WeChat "thing" fields take at most 20 characters. */
const thing = (s: string) => ([...s].length > 20 ? [...s].slice(0, 19).join('') + '…' : s);

/** Template message fields (new-style keywords: thing / character_string / amount / time). */
export function wechatData(n: NoticeInput): Record<string, { value: string }> {
  if (n.refund) {
    return {
      thing1: { value: thing(n.hospitalName) },
      thing2: { value: thing(n.payer) },
      character_string3: { value: n.refund.refundNo },
      amount4: { value: `${n.refund.amount}元` },
      thing5: { value: thing(refundResultText(n)) },
    };
  }
  return {
    thing1: { value: thing(n.hospitalName) },
    thing2: { value: thing(n.payer) },
    character_string3: { value: n.billNo },
    amount4: { value: `${n.totalAmt}元` },
    time5: { value: beijingTime(n.issuedAt).slice(0, 16) },
  };
}
