import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../config';
import { cjkFont } from './cjk-font';
import { billTitle, LayoutBill, maskIdCard, renderBillPdf } from './render-bill-pdf';
import { matrixToPng } from './qr';

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
const popplerInstalled = hasTool('pdftotext') && hasTool('pdftoppm');
const NO_POPPLER = 'pdftotext and pdftoppm are missing: apt-get install poppler-utils (scripts/test.sh installs it)';

/** The text of a PDF, through pdftotext (poppler-utils). */
function pdfText(pdf: Buffer): string {
  if (!popplerInstalled) throw new Error(NO_POPPLER);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bill-'));
  try {
    const file = path.join(dir, 'b.pdf');
    writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Raster {
  width: number;
  height: number;
  /** 1 where the pixel is not white. */
  ink: Uint8Array;
}

/** The first page rasterised by pdftoppm at `dpi`, without anti-aliasing: which pixels have ink. */
function rasterise(pdf: Buffer, dpi = 144): Raster {
  if (!popplerInstalled) throw new Error(NO_POPPLER);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bill-'));
  try {
    const file = path.join(dir, 'b.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-singlefile', '-aa', 'no', '-aaVector', 'no', file, path.join(dir, 'p')]);
    const ppm = readFileSync(path.join(dir, 'p.ppm'));
    // Binary PPM: "P6 <width> <height> <max>" and one whitespace byte, then RGB bytes.
    const head = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'));
    if (!head) throw new Error('pdftoppm wrote no binary PPM');
    const [width, height] = [Number(head[1]), Number(head[2])];
    const data = ppm.subarray(head[0].length);
    const ink = new Uint8Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = Math.min(data[3 * i], data[3 * i + 1], data[3 * i + 2]) < 245 ? 1 : 0;
    return { width, height, ink };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `r` grown by `by` pixels in every direction (a square neighbourhood). */
function dilate(r: Raster, by: number): Uint8Array {
  const out = new Uint8Array(r.ink.length);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      if (!r.ink[y * r.width + x]) continue;
      for (let dy = -by; dy <= by; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= r.height) continue;
        out.fill(1, yy * r.width + Math.max(0, x - by), yy * r.width + Math.min(r.width, x + by + 1));
      }
    }
  }
  return out;
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

/** An insured inpatient bill with every field the face prints. */
function inpatient(extra: Partial<LayoutBill> = {}): LayoutBill {
  return bill(14, {
    billKindName: '医疗住院收费票据（电子）',
    billBatchCode: '33010224',
    patientNo: 'P000123',
    busType: '01',
    busTypeName: '住院',
    placeName: '住院结算处',
    totalAmt: '12345.60',
    totalAmtChinese: '壹万贰仟叁佰肆拾伍元陆角',
    payments: [
      { channelName: '医保', amount: '8000.00' },
      { channelName: '微信', amount: '3345.60' },
      { channelName: '银联卡', amount: '1000.00' },
    ],
    institutionType: '综合医院',
    hospitalNo: 'ZY2024000567',
    sex: '男',
    medicalInsuranceID: '330100123456789012',
    inHospitalDate: new Date('2024-05-01T00:00:00+08:00'),
    outHospitalDate: new Date('2024-05-06T00:00:00+08:00'),
    hospitalDays: '5',
    settlement: { fundPay: '7000.00', otherfundPay: '200.00', accountPay: '800.00', selfCashPay: '4345.60', selfPayAmt: '1200.00', ownPay: '3145.60', selfConceitedAmt: '0.00' },
    remark: '出院带药：阿莫西林胶囊 2 盒；复诊时间 2024-05-20；请于出院后 30 日内复印病历。',
    ...extra,
  });
}

const SIZE_BOUND = 300 * 1024;

// A latin-only font (no Chinese glyphs), to check that such a font is refused.
const latinOnly = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

describe('renderBillPdf', () => {
  beforeAll(() => {
    // No test skips itself: a machine without the fonts fails here, saying what to install.
    if (!fontPath) throw new Error('no CJK font installed: apt-get install fonts-wqy-microhei, or set MEDBILL_FONT to a CJK TrueType font');
    if (!existsSync(latinOnly)) throw new Error(`${latinOnly} (a latin-only font) is missing: apt-get install fonts-dejavu-core`);
    if (!popplerInstalled) throw new Error(NO_POPPLER);
  });
  const withFont = it;

  withFont('renders a 3-item bill: a small one-page PDF with the bill number as text', async () => {
    const pdf = await renderBillPdf(bill(3), { fontPath });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeLessThan(SIZE_BOUND);
    expect(pageCount(pdf)).toBe(1);
    // Found in the file as it is: the document's keywords.
    expect(pdf.toString('latin1')).toContain('billNo=0000012345');
    expect(pdf.toString('latin1')).not.toMatch(/medbill/i); // no product name, not even in the document's properties
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
      expect(text).toContain('本票据由杭州市第一人民医院开具，可扫码查验真伪');
      expect(text).not.toMatch(/medbill/i);
      expect(text).toContain('门诊号：MZ20240506001');
      for (const absent of ['住院号', '统筹基金支付', '个人账户支付', '住院天数', '医保编号', '性别']) expect(text).not.toContain(absent);
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

  withFont('prints the inpatient fields the HIS sent: 住院号 (hospitalNo), the stay, insurance, sex and the split', async () => {
    const text = pdfText(await renderBillPdf(inpatient(), { fontPath }));
    expect(text).toContain('住院号：ZY2024000567');
    expect(text).not.toContain('P000123'); // the patient number is not the 住院号
    expect(text).toContain('住院时间：2024-05-01 至 2024-05-06');
    expect(text).toContain('住院天数：5天');
    expect(text).toContain('医保类型：城镇职工基本医疗保险');
    expect(text).toContain('医保编号：330100123456789012');
    expect(text).toContain('性别：男');
    for (const s of ['统筹基金支付：7000.00', '其他支付：200.00', '个人账户支付：800.00', '个人现金支付：4345.60', '个人自付：1200.00', '个人自费：3145.60', '个人自负：0.00']) {
      expect(text).toContain(s);
    }
    expect(text).toContain('银联卡 1000.00');
    expect(text).toContain('复诊时间 2024-05-20'); // the remark, around the seal
  });

  withFont('prints a red inpatient bill\'s split negative, and only the parts and dates that were sent', async () => {
    const red = pdfText(
      await renderBillPdf(inpatient({ isScarlet: true, relatedBillBatchCode: '33010224', relatedBillNo: '0000012000', settlement: { fundPay: '7000.00', selfCashPay: '5345.60' } }), { fontPath }),
    );
    expect(red).toContain('统筹基金支付：-7000.00');
    expect(red).toContain('个人现金支付：-5345.60');
    expect(red).not.toContain('个人账户支付');
    expect(red).toContain('银联卡 -1000.00');
    const partial = pdfText(await renderBillPdf(inpatient({ outHospitalDate: undefined, hospitalDays: undefined, sex: undefined, medicalInsuranceID: undefined, settlement: undefined }), { fontPath }));
    expect(partial).toContain('入院日期：2024-05-01');
    for (const absent of ['住院时间', '出院日期', '住院天数', '性别', '医保编号', '统筹基金支付']) expect(partial).not.toContain(absent);
    // An inpatient bill without a hospitalNo names the patient number for what it is.
    const noHospitalNo = pdfText(await renderBillPdf(inpatient({ hospitalNo: undefined }), { fontPath }));
    expect(noHospitalNo).toContain('患者编号：P000123');
    expect(noHospitalNo).not.toContain('住院号');
  });

  /** A filled disc inscribed in its square (a seal image as 印章管理 stores it), as a PNG. */
  function roundSealPng(): string {
    const size = 64;
    const dark = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) dark[y * size + x] = (x - size / 2 + 0.5) ** 2 + (y - size / 2 + 0.5) ** 2 <= (size / 2) ** 2 ? 1 : 0;
    return matrixToPng({ size, dark }, 4, 0).toString('base64');
  }

  describe('puts no text under the hospital seal (rendered: text alone and seal alone, then compared pixel by pixel)', () => {
    const cases: Array<[string, LayoutBill]> = [
      [
        'a red bill with several pay channels and long other information',
        bill(12, {
          isScarlet: true,
          billNo: '0000012399',
          relatedBillBatchCode: '33010124',
          relatedBillNo: '0000012345',
          payments: [
            { channelName: '医保', amount: '600.00' },
            { channelName: '微信', amount: '234.50' },
            { channelName: '支付宝', amount: '100.00' },
            { channelName: '现金', amount: '100.00' },
            { channelName: '银联卡', amount: '200.00' },
          ],
          remark: '患者于门诊一楼收费处办理退费，原票据已收回作废；如有疑问请致电医院财务科 0571-88888888，工作时间周一至周五。'.repeat(2),
        }),
      ],
      ['an inpatient insured bill with every field', inpatient()],
      ['the same red bill printing the seal image of 印章管理 (a round seal on white)', { ...bill(12, {
          isScarlet: true,
          billNo: '0000012399',
          relatedBillBatchCode: '33010124',
          relatedBillNo: '0000012345',
          payments: [
            { channelName: '医保', amount: '600.00' },
            { channelName: '微信', amount: '234.50' },
            { channelName: '支付宝', amount: '100.00' },
            { channelName: '现金', amount: '100.00' },
            { channelName: '银联卡', amount: '200.00' },
          ],
          remark: '患者于门诊一楼收费处办理退费，原票据已收回作废；如有疑问请致电医院财务科 0571-88888888，工作时间周一至周五。'.repeat(2),
        }), sealImage: { pngBase64: roundSealPng() } }],
    ];
    it.each(cases)('%s', async (_, b) => {
      const text = rasterise(await renderBillPdf(b, { fontPath, only: 'text' }));
      const seal = rasterise(await renderBillPdf(b, { fontPath, only: 'seal' }));
      const full = rasterise(await renderBillPdf(b, { fontPath }));
      const count = (a: Uint8Array) => a.reduce((n, v) => n + v, 0);
      // Both layers drew something, and the layers are the page (the full page has the lines too).
      expect(count(seal.ink)).toBeGreaterThan(2000);
      expect(count(text.ink)).toBeGreaterThan(20000);
      let missing = 0;
      for (let i = 0; i < full.ink.length; i++) if ((text.ink[i] || seal.ink[i]) && !full.ink[i]) missing++;
      expect(missing).toBe(0);
      // No text pixel within 2 pixels (1 pt) of a seal pixel.
      const near = dilate(seal, 2);
      let overlap = 0;
      for (let i = 0; i < near.length; i++) if (near[i] && text.ink[i]) overlap++;
      expect(overlap).toBe(0);
      // ...and not because the text stays clear of the seal's rows: it flows past on both sides.
      let x0 = seal.width;
      let x1 = 0;
      let y0 = seal.height;
      let y1 = 0;
      for (let i = 0; i < seal.ink.length; i++) {
        if (!seal.ink[i]) continue;
        const x = i % seal.width;
        const y = Math.floor(i / seal.width);
        [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
      }
      let left = 0;
      let right = 0;
      const mid = Math.floor((y0 + y1) / 2);
      for (let y = y0; y < mid; y++) {
        for (let x = 0; x < x0; x++) left += text.ink[y * text.width + x];
        for (let x = x1 + 1; x < text.width; x++) right += text.ink[y * text.width + x];
      }
      expect(left).toBeGreaterThan(100);
      expect(right).toBeGreaterThan(100);
    });
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
