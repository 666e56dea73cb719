/**
 * The print file for a fiscal paper form (纸质票据套打): the form itself is pre-printed by the
 * fiscal authority (frame, title, supervision seal, its own code and number), so this PDF carries
 * only the data, placed into the form's boxes: the paper code and number (printed again beside the
 * pre-printed ones, so a mismatch with the form in the tray shows at once), the e-bill it was
 * exchanged from (code, number, check code), payer, items, totals, payee and date. Page 241 × 140 mm.
 * Amounts arrive as text; nothing here does money maths.
 */
import PDFDocument from 'pdfkit';
import { pdfBytes } from '../layout/render-bill-pdf';
import { CJK_FAMILY, cjkFont } from '../layout/cjk-font';
import { chinaTime } from '../../common/china-time';

export interface PaperFormData {
  pBillBatchCode: string;
  pBillNo: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  hospitalName: string;
  billKindName: string;
  payer: string;
  patientNo: string;
  busNo: string;
  busTypeName: string;
  issuedAt: Date;
  /** Yuan text. */
  totalAmt: string;
  totalAmtChinese: string;
  items: Array<{ name: string; number?: string; amt: string }>;
  payments: Array<{ channelName: string; amount: string }>;
  payee: string;
  operator: string;
  printedAt: Date;
  /** True for a re-exchange (the previous form was voided). */
  reprint?: { pBillBatchCode: string; pBillNo: string };
}

const MM = 72 / 25.4;
const PAGE_W = 241 * MM;
const PAGE_H = 140 * MM;
const ROWS = 10;

function day(d: Date): string {
  return chinaTime(d).date;
}

export async function renderPaperFormPdf(data: PaperFormData, opts: { fontPath: string; compress?: boolean }): Promise<Buffer> {
  const font = await cjkFont(opts.fontPath);
  const doc = new PDFDocument({
    size: [PAGE_W, PAGE_H],
    margin: 0,
    autoFirstPage: false,
    compress: opts.compress ?? true,
    font: '',
    info: {
      Title: `纸质票据 ${data.pBillBatchCode}-${data.pBillNo}`,
      Author: data.hospitalName,
      Subject: '医疗收费票据（纸质）套打',
      Keywords: `pBillBatchCode=${data.pBillBatchCode} pBillNo=${data.pBillNo} billBatchCode=${data.billBatchCode} billNo=${data.billNo}`,
      Creator: data.hospitalName,
      Producer: data.hospitalName,
      CreationDate: data.printedAt,
    },
  });
  const done = pdfBytes(doc);
  font.use(doc);
  doc.addPage({ size: [PAGE_W, PAGE_H], margin: 0 });
  doc.font(CJK_FAMILY).fillColor('#111111');
  const put = (s: string, x: number, y: number, size = 9, width?: number, align: 'left' | 'right' = 'left') => {
    doc.fontSize(size);
    if (width !== undefined) doc.text(s, x, y, { width, align, lineBreak: false, ellipsis: true });
    else doc.text(s, x, y, { lineBreak: false });
  };

  // Top right: the form's code and number (pre-printed "NO." box).
  put(`票据代码：${data.pBillBatchCode}`, PAGE_W - 220, 30, 10);
  put(`票据号码：${data.pBillNo}`, PAGE_W - 220, 44, 10);
  // Header line: the e-bill this form stands for.
  put(`电子票据代码：${data.billBatchCode}  号码：${data.billNo}  校验码：${data.random}`, 40, 70, 8.5);
  put(`开票日期：${day(data.issuedAt)}`, PAGE_W - 220, 70, 8.5);
  put(`交款人：${data.payer}`, 40, 86, 9.5);
  put(`患者编号：${data.patientNo}`, 250, 86, 9);
  put(`业务流水号：${data.busNo}（${data.busTypeName}）`, PAGE_W - 260, 86, 8.5, 240);

  // Item boxes: two columns of ROWS rows.
  const top = 108;
  const colW = (PAGE_W - 80) / 2;
  const shown = data.items.length > ROWS * 2 ? [...data.items.slice(0, ROWS * 2 - 1), { name: `……共 ${data.items.length} 项`, amt: '' }] : data.items;
  shown.forEach((it, i) => {
    const col = i < ROWS ? 0 : 1;
    const row = i % ROWS;
    const x = 40 + col * colW;
    const y = top + row * 14;
    put(it.name, x, y, 8.5, colW - 120);
    if (it.number) put(it.number, x + colW - 115, y, 8.5, 40, 'right');
    if (it.amt) put(it.amt, x + colW - 70, y, 8.5, 60, 'right');
  });

  const sumY = top + ROWS * 14 + 8;
  put(`金额合计（大写）${data.totalAmtChinese}`, 40, sumY, 10);
  put(`（小写）¥${data.totalAmt}`, PAGE_W - 220, sumY, 10);
  put(`缴费方式：${data.payments.map((p) => `${p.channelName} ${p.amount}`).join('；')}`, 40, sumY + 18, 8.5, PAGE_W - 80);
  const note = data.reprint ? `重新换开，原纸质票据 ${data.reprint.pBillBatchCode}-${data.reprint.pBillNo} 已作废` : '由电子票据换开';
  put(`其他信息：${note}`, 40, sumY + 32, 8.5, PAGE_W - 80);
  put(`收款单位（章）：${data.hospitalName}`, 40, PAGE_H - 34, 9);
  put(`收款人：${data.payee}`, 320, PAGE_H - 34, 9);
  put(`换开人：${data.operator}  ${day(data.printedAt)}`, PAGE_W - 220, PAGE_H - 34, 9);
  doc.end();
  return done;
}
