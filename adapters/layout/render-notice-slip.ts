/**
 * The notice slip (告知单) a cashier prints for the patient at the window: A5 portrait, with the
 * hospital, the payer, the amount in figures and in Chinese, the bill's code, number and check
 * code, the QR code of the bill's H5 page, and how to fetch and verify the e-bill. It is not the
 * bill itself (the layout file is), and says so.
 */
import PDFDocument from 'pdfkit';
import { CJK_FAMILY, cjkFont } from './cjk-font';
import { chinaTime } from '../../domain/bill/facts';
import { drawQr, pdfBytes, type RenderOptions } from './render-bill-pdf';

export interface NoticeSlip {
  hospitalName: string;
  billKindName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  issuedAt: Date;
  payer: string;
  patientNo: string;
  busNo: string;
  placeName: string;
  /** Yuan text "126.50" (negative for a red bill). */
  totalAmt: string;
  totalAmtChinese: string;
  h5Url: string;
  isScarlet: boolean;
  relatedBillBatchCode?: string;
  relatedBillNo?: string;
  printedAt: Date;
  printedBy: string;
}

const MM = 72 / 25.4;
const W = 148 * MM; // A5
const H = 210 * MM;
const M = 14 * MM;
const INK = '#111111';
const GREY = '#555555';
const RED = '#c0392b';

function beijing(d: Date): string {
  const t = chinaTime(d);
  return `${t.date} ${t.time}`;
}

export async function renderNoticeSlip(s: NoticeSlip, opts: RenderOptions): Promise<Buffer> {
  const font = await cjkFont(opts.fontPath);
  const doc = new PDFDocument({
    size: [W, H],
    margin: 0,
    autoFirstPage: false,
    compress: opts.compress ?? true,
    font: '',
    info: {
      Title: `医疗电子票据告知单 ${s.billBatchCode}-${s.billNo}`,
      Author: s.hospitalName,
      Subject: '医疗电子票据告知单',
      Keywords: `notice-slip billBatchCode=${s.billBatchCode} billNo=${s.billNo}`,
      Creator: s.hospitalName,
      Producer: s.hospitalName,
      CreationDate: s.printedAt,
    },
  });
  const done = pdfBytes(doc);
  font.use(doc);
  doc.addPage({ size: [W, H], margin: 0 });
  doc.font(CJK_FAMILY);
  const width = W - 2 * M;
  let y = M;

  doc.fillColor(INK).fontSize(15).text(s.hospitalName, M, y, { width, align: 'center' });
  y += 22;
  doc.fillColor(s.isScarlet ? RED : INK).fontSize(13).text(s.isScarlet ? '医疗电子票据告知单（红字票据）' : '医疗电子票据告知单', M, y, { width, align: 'center' });
  y += 24;
  doc.moveTo(M, y).lineTo(W - M, y).lineWidth(0.8).strokeColor(INK).stroke();
  y += 8;

  const rows: Array<[string, string]> = [
    ['票据种类', s.billKindName],
    ['交款人', s.payer],
    ['患者编号', s.patientNo],
    ['业务流水号', s.busNo],
    ['开票点', s.placeName],
    ['开票时间', beijing(s.issuedAt)],
    ['票据代码', s.billBatchCode],
    ['票据号码', s.billNo],
    ['校验码', s.random],
    ['金额（小写）', `¥${s.totalAmt}`],
    ['金额（大写）', s.totalAmtChinese],
  ];
  if (s.isScarlet && s.relatedBillBatchCode) rows.push(['原票据', `${s.relatedBillBatchCode}-${s.relatedBillNo ?? ''}`]);
  const labelW = 30 * MM;
  for (const [k, v] of rows) {
    doc.fillColor(GREY).fontSize(10).text(k, M, y, { width: labelW });
    const strong = k.startsWith('金额') || k === '校验码';
    doc.fillColor(INK).fontSize(strong ? 11 : 10).text(v, M + labelW, y, { width: width - labelW });
    y += Math.max(16, doc.heightOfString(v, { width: width - labelW }) + 4);
  }
  y += 4;
  doc.moveTo(M, y).lineTo(W - M, y).dash(2, { space: 2 }).lineWidth(0.5).strokeColor(GREY).stroke().undash();
  y += 10;

  const qr = 38 * MM;
  drawQr(doc, s.h5Url, (W - qr) / 2, y, qr);
  y += qr + 4;
  doc.fillColor(INK).fontSize(10).text('微信扫一扫：查看、下载电子票据，可插入微信卡包', M, y, { width, align: 'center' });
  y += 18;

  doc.fillColor(INK).fontSize(10).text('取票与查验方式', M, y);
  y += 15;
  const how = [
    '1. 用微信或手机浏览器扫描上方二维码，打开电子票据页面查看、下载版式文件（PDF）。',
    '2. 已登记手机号或邮箱的，请查收医院发送的短信、邮件中的票据链接。',
    `3. 登录财政电子票据公共查验平台，输入票据代码 ${s.billBatchCode}、票据号码 ${s.billNo}、校验码 ${s.random} 及开票日期 ${beijing(s.issuedAt).slice(0, 10)}，查验票据真伪。`,
  ];
  for (const line of how) {
    doc.fillColor(GREY).fontSize(8.5).text(line, M, y, { width });
    y += doc.heightOfString(line, { width }) + 3;
  }
  doc.fillColor(GREY).fontSize(7).text(s.h5Url, M, y + 2, { width });

  doc.fillColor(GREY).fontSize(7.5).text(`本告知单仅为取票凭据，不作为报销凭证。打印时间 ${beijing(s.printedAt)}  操作员 ${s.printedBy}`, M, H - M - 10, { width, align: 'center' });
  doc.end();
  return done;
}
