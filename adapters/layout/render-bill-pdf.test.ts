import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../config';
import { cjkFont } from './cjk-font';
import { billTitle, LayoutBill, maskIdCard, renderBillPdf } from './render-bill-pdf';

// The font the application would use (MEDBILL_FONT or the first one installed).
const fontPath = loadConfig(process.env).layout.fontPath;

function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pdftotextInstalled = hasTool('pdftotext');

/** The text of a PDF, through pdftotext when it is installed. */
function pdfText(pdf: Buffer): string | undefined {
  if (!pdftotextInstalled) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bill-'));
  try {
    const file = path.join(dir, 'b.pdf');
    writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
}

const NAMES = ['西药费', '中成药费', '检查费', '化验费', '治疗费', '挂号费', '诊察费', '卫生材料费'];

function bill(n: number, extra: Partial<LayoutBill> = {}): LayoutBill {
  return {
    hospitalName: '杭州市第一人民医院',
    regionName: '浙江省',
    billKindName: '医疗门诊收费票据（电子）',
    billBatchCode: '33010124',
    billNo: '0000012345',
    random: 'a1b2c3',
    issuedAt: new Date('2024-05-06T02:20:30Z'),
    payer: '张三丰',
    idCardNo: '330102199001011234',
    patientNo: 'MZ20240506001',
    busNo: 'HIS202405060000123',
    busType: '02',
    busTypeName: '门诊',
    medicalCareType: '城镇职工基本医疗保险',
    placeName: '门诊一楼收费处',
    payee: '李收费',
    checker: '王复核',
    author: '李收费',
    totalAmt: '1234.50',
    totalAmtChinese: '壹仟贰佰叁拾肆元伍角',
    items: Array.from({ length: n }, (_, i) => ({ name: `${NAMES[i % NAMES.length]}${i + 1}号`, number: '1', unit: '次', amt: `${i + 1}.50` })),
    payments: [{ channelName: '微信', amount: '1234.50' }],
    h5Url: 'http://127.0.0.1:8080/h5/bill/33010124/0000012345?random=a1b2c3',
    state: 'normal',
    isScarlet: false,
    signatureHex: '3045022100e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    ...extra,
  };
}

const SIZE_BOUND = 300 * 1024;

// A latin-only font (no Chinese glyphs), to check that such a font is refused.
const latinOnly = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

describe('renderBillPdf', () => {
  beforeAll(() => {
    // No test skips itself: a machine without the fonts fails here, saying what to install.
    if (!fontPath) throw new Error('no CJK font installed: apt-get install fonts-wqy-microhei, or set MEDBILL_FONT to a CJK TrueType font');
    if (!existsSync(latinOnly)) throw new Error(`${latinOnly} (a latin-only font) is missing: apt-get install fonts-dejavu-core`);
  });
  const withFont = it;

  withFont('renders a 3-item bill: a small one-page PDF with the bill number as text', async () => {
    const pdf = await renderBillPdf(bill(3), { fontPath });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeLessThan(SIZE_BOUND);
    expect(pageCount(pdf)).toBe(1);
    // Found in the file as it is: the document's keywords.
    expect(pdf.toString('latin1')).toContain('billNo=0000012345');
    const text = pdfText(pdf);
    if (text !== undefined) {
      expect(text).toContain('0000012345');
      expect(text).toContain('33010124');
      expect(text).toContain('浙江省医疗门诊收费票据（电子）');
      expect(text).toContain('壹仟贰佰叁拾肆元伍角');
      expect(text).toContain('1234.50');
      expect(text).toContain('检查费3号');
      expect(text).toContain('**************1234'); // ID number masked except its last 4
      expect(text).not.toContain('330102199001011234');
      expect(text).toContain('电子票据专用章');
      expect(text).toContain('浙江省财政厅监制');
      expect(text).toContain('本票据由 medbill 开具');
      expect(text).toContain('签名：3045022100e1f2a3b4c5d6e7f8091a2b');
    }
  });

  withFont('puts 30 items on the face (19) and on 明细 pages (all 30), still small', async () => {
    const pdf = await renderBillPdf(bill(30), { fontPath, compress: false });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pageCount(pdf)).toBe(3); // face + 2 pages of 18 rows
    const compressed = await renderBillPdf(bill(30), { fontPath });
    expect(compressed.length).toBeLessThan(SIZE_BOUND);
    const text = pdfText(compressed);
    if (text !== undefined) {
      expect(text).toContain('0000012345');
      expect(text).toContain('明细');
      expect(text).toContain('共 30 项');
      expect(text).toContain('挂号费30号'); // the 30th item, on the last 明细 page
      expect(text).toContain('30.50');
    }
  });

  withFont('marks red bills and reversed bills', async () => {
    const red = await renderBillPdf(
      bill(2, { isScarlet: true, billNo: '0000012399', relatedBillBatchCode: '33010124', relatedBillNo: '0000012345' }),
      { fontPath },
    );
    const reversed = await renderBillPdf(bill(2, { state: 'reversed' }), { fontPath });
    const redText = pdfText(red);
    const revText = pdfText(reversed);
    if (redText !== undefined && revText !== undefined) {
      expect(redText).toContain('（红票）');
      expect(redText).toContain('原票据号码：0000012345');
      expect(redText).toContain('-2.50');
      expect(redText).toContain('-1234.50');
      expect(redText).toContain('负壹仟贰佰叁拾肆元伍角');
      // The watermark's letters are spread and rotated: pdftotext gives them apart.
      expect(revText).toContain('冲');
      expect(pdfText(await renderBillPdf(bill(2), { fontPath }))).not.toContain('冲');
      expect(revText).not.toContain('-1234.50');
    }
  });

  withFont('is deterministic (the stored SHA-256 of a re-rendered file does not change)', async () => {
    const a = await renderBillPdf(bill(5), { fontPath });
    const b = await renderBillPdf(bill(5), { fontPath });
    expect(a.equals(b)).toBe(true);
  });

  withFont('shares the parsed font between documents (the fast path)', async () => {
    await renderBillPdf(bill(1), { fontPath });
    expect((await cjkFont(fontPath)).sharing).toBe(true);
  });

  it('says which font to install when none is configured', async () => {
    await expect(renderBillPdf(bill(1), { fontPath: '' })).rejects.toThrow(/apt-get install fonts-wqy-microhei.*MEDBILL_FONT/);
    await expect(renderBillPdf(bill(1), { fontPath: '/nonexistent/font.ttc' })).rejects.toThrow(/nonexistent\/font\.ttc.*fonts-wqy-microhei/);
  });

  it('refuses a font without Chinese glyphs', async () => {
    await expect(renderBillPdf(bill(1), { fontPath: latinOnly })).rejects.toThrow(/no glyphs.*fonts-wqy-microhei/);
  });
});

describe('layout helpers', () => {
  it('masks ID numbers but the last 4', () => {
    expect(maskIdCard('330102199001011234')).toBe('**************1234');
    expect(maskIdCard('123')).toBe('***');
  });
  it('titles bills from the kind and region', () => {
    expect(billTitle({ regionName: '浙江省', billKindName: '医疗门诊收费票据（电子）', isScarlet: false })).toBe('浙江省医疗门诊收费票据（电子）');
    expect(billTitle({ regionName: '浙江省', billKindName: '浙江省医疗住院收费票据', isScarlet: true })).toBe('浙江省医疗住院收费票据（电子）（红票）');
  });
});
