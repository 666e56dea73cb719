/** Facts derived from a bill: check code, the canonical signed text, China-time dates, URLs. */
import { hmacSm3Hex, sm3Hex } from '../../common/gm';
import { formatYuan, type Fen } from '../../common/money';
import { chinaTime } from '../../common/china-time';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 6 lower-case alphanumerics from HMAC-SM3 over the bill's identity and content. */
export function checkCode(secret: string, parts: { billBatchCode: string; billNo: string; totalAmt: Fen; busNo: string; issuedAt: Date }): string {
  const mac = hmacSm3Hex(secret, `${parts.billBatchCode}|${parts.billNo}|${parts.totalAmt}|${parts.busNo}|${parts.issuedAt.toISOString()}`);
  let out = '';
  for (let i = 0; i < 6; i++) out += ALPHABET[parseInt(mac.slice(i * 4, i * 4 + 4), 16) % 36];
  return out;
}

/** Date and time in China (UTC+8, no daylight saving), as the fiscal data rules print them. */
export { chinaTime };

export interface SignedFacts {
  billKindName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  billKindCode: string;
  regionCode: string;
  totalAmt: Fen;
  issuedAt: Date;
  hospitalCode: string;
  hospitalName: string;
  payer: string;
  idCardNo?: string;
  payments: Array<{ channelCode: string; amount: Fen }>;
  busNo: string;
  remark?: string;
  payee: string;
  checker?: string;
  items: Array<{ fiscalCode: string; name: string; number?: string; amt: Fen }>;
  relatedBillBatchCode?: string;
  relatedBillNo?: string;
}

/**
 * A field value as it stands in the canonical text: a backslash, the line separators and the
 * separators inside composite values (`|` between parts, `;` between pay channels, `:` between a
 * channel and its amount) are escaped with a backslash (`\\`, `\n`, `\r`, `\|`, `\;`, `\:`), so no
 * field can end its line, add a line or shift a part, whatever it holds. A value without them is
 * written as it is.
 */
export function canonicalValue(s: string | undefined): string {
  return (s ?? '').replace(/[\\\n\r|;:]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`));
}

/**
 * The canonical text that is SM2-signed: the fiscal main element's fields in their order
 * (INTERFACES.md §2) as `Name=value` lines, then the SM3 digest of the item lines. Every value that
 * comes from a request is escaped by canonicalValue.
 */
export function canonicalBillText(f: SignedFacts): string {
  const t = chinaTime(f.issuedAt);
  const v = canonicalValue;
  const items = f.items.map((i) => `${v(i.fiscalCode)}|${v(i.name)}|${v(i.number)}|${formatYuan(i.amt)}`).join('\n');
  const lines: Array<[string, string]> = [
    ['EInvoiceName', v(f.billKindName)],
    ['EInvoiceCode', v(f.billBatchCode)],
    ['EInvoiceNumber', v(f.billNo)],
    ['RandomNumber', v(f.random)],
    ['EInvoiceSpecimenCode', v(f.billKindCode)],
    ['SupervisorAreaCode', v(f.regionCode)],
    ['TotalAmount', formatYuan(f.totalAmt)],
    ['IssueDate', t.date.replace(/-/g, '')],
    ['IssueTime', t.time],
    ['InvoicingParty', `${v(f.hospitalCode)}|${v(f.hospitalName)}`],
    ['PayerParty', `${v(f.payer)}|${v(f.idCardNo)}`],
    ['PayMode', f.payments.map((p) => `${v(p.channelCode)}:${formatYuan(p.amount)}`).join(';')],
    ['BizCode', v(f.busNo)],
    ['CurrencyType', 'CNY'],
    ['ExchangeRate', '1'],
    ['Remark', v(f.remark)],
    ['HandlingPerson', v(f.payee)],
    ['Checker', v(f.checker)],
    ['RelatedInvoice', f.relatedBillBatchCode ? `${v(f.relatedBillBatchCode)}|${v(f.relatedBillNo)}` : ''],
    ['ItemsSM3', sm3Hex(items)],
  ];
  return lines.map(([k, val]) => `${k}=${val}`).join('\n');
}


export function h5Url(publicUrl: string, b: { billBatchCode: string; billNo: string; random: string }): string {
  return `${publicUrl}/h5/bill/${b.billBatchCode}/${b.billNo}?random=${b.random}`;
}

/** Patient delivery channels: SMS, e-mail, WeChat template message, WeChat card pack (卡包). */
export type Channel = 'sms' | 'email' | 'wechat' | 'card';

/**
 * The notice targets of a bill: noticeList (1201 SMS, 1202 e-mail) first, then tel / email /
 * openID; with an openID also the WeChat card pack, except for a red bill (no card for a reversal).
 */
export function noticeTargets(b: { tel?: string | null; email?: string | null; openId?: string | null; extra?: string | null; isScarlet?: boolean | number | null }): Partial<Record<Channel, string>> {
  const notices = (b.extra ? JSON.parse(b.extra).noticeList ?? [] : []) as Array<{ noticeType: string; noticeValue: string }>;
  const out: Partial<Record<Channel, string>> = {};
  const sms = notices.find((n) => n.noticeType === '1201')?.noticeValue ?? b.tel;
  const email = notices.find((n) => n.noticeType === '1202')?.noticeValue ?? b.email;
  if (sms) out.sms = sms;
  if (email) out.email = email;
  if (b.openId) out.wechat = b.openId;
  if (b.openId && !Number(b.isScarlet ?? 0)) out.card = b.openId;
  return out;
}
