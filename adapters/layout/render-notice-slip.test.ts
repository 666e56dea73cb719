import { loadConfig } from '../../config';
import { renderNoticeSlip, type NoticeSlip } from './render-notice-slip';

const fontPath = loadConfig(process.env).layout.fontPath;

const slip = (over: Partial<NoticeSlip> = {}): NoticeSlip => ({
  hospitalName: '杭州市第一人民医院',
  billKindName: '医疗门诊收费票据（电子）',
  billBatchCode: '33010124',
  billNo: '0000012345',
  random: 'a1b2c3',
  issuedAt: new Date('2025-03-01T06:05:09Z'),
  payer: '张三',
  patientNo: 'P0001',
  busNo: 'MZ20250301001',
  placeName: '门诊收费一号窗口',
  totalAmt: '126.50',
  totalAmtChinese: '壹佰贰拾陆元伍角',
  h5Url: 'http://127.0.0.1:8080/h5/bill/33010124/0000012345?random=a1b2c3',
  isScarlet: false,
  printedAt: new Date('2025-03-01T06:10:00Z'),
  printedBy: '李敏',
  ...over,
});

describe('renderNoticeSlip', () => {
  beforeAll(() => {
    // No test skips itself: a machine without a CJK font fails here, saying what to install.
    if (!fontPath) throw new Error('no CJK font installed: apt-get install fonts-wqy-microhei, or set MEDBILL_FONT to a CJK TrueType font');
  });
  it('is a one-page A5 PDF that names the bill', async () => {
    const pdf = await renderNoticeSlip(slip(), { fontPath, compress: false });
    const raw = pdf.toString('latin1');
    expect(raw.slice(0, 5)).toBe('%PDF-');
    expect((raw.match(/\/Type \/Page\b/g) ?? []).length).toBe(1);
    const box = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(raw)!;
    expect([Math.round(Number(box[1])), Math.round(Number(box[2]))]).toEqual([420, 595]); // 148 x 210 mm
    expect(raw).toContain('notice-slip billBatchCode=33010124 billNo=0000012345');
    expect(raw).not.toMatch(/medbill/i); // no product name, not even in the document's properties
  });

  it('renders a red bill with its original', async () => {
    const pdf = await renderNoticeSlip(slip({ isScarlet: true, totalAmt: '-126.50', totalAmtChinese: '负壹佰贰拾陆元伍角', relatedBillBatchCode: '33010124', relatedBillNo: '0000012300' }), { fontPath });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
