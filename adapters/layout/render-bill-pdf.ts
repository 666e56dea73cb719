/**
 * The layout file (版式文件) of a medical e-bill: a PDF laid out like the fiscal e-bills Chinese
 * hospitals issue (241 mm × 140 mm, landscape): title, QR code, bill code / number / check code,
 * payer, items in two columns, amounts in words and figures, other information, the hospital's
 * seal and the fiscal supervision seal, reviewer and payee. Bills with more items than the face
 * holds continue on 明细 pages. Amounts are printed from their text; nothing here does money maths.
 * No text is drawn under the hospital's seal: the other information flows around it.
 */
import { maskIdCard } from '../../domain/access';
import PDFDocument from 'pdfkit';
import { CJK_FAMILY, cjkFont } from './cjk-font';
import { qrMatrix, QR_QUIET_ZONE } from './qr';
import { chinaTime } from '../../common/china-time';

export interface LayoutItem {
  name: string;
  number?: string;
  unit?: string;
  /** Yuan text, e.g. "12.50". */
  amt: string;
  remark?: string;
}

export interface LayoutBill {
  hospitalName: string;
  regionName: string;
  billKindName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  issuedAt: Date;
  payer: string;
  idCardNo?: string;
  patientNo: string;
  busNo: string;
  busType: string;
  busTypeName: string;
  medicalCareType?: string;
  placeName: string;
  payee: string;
  checker?: string;
  author: string;
  /** Yuan text "1234.50". */
  totalAmt: string;
  /** "壹仟贰佰叁拾肆元伍角". */
  totalAmtChinese: string;
  items: LayoutItem[];
  payments: Array<{ channelName: string; amount: string }>;
  remark?: string;
  h5Url: string;
  state: 'normal' | 'reversed';
  isScarlet: boolean;
  relatedBillBatchCode?: string;
  relatedBillNo?: string;
  /** Hex signature; its first 32 characters are printed. */
  signatureHex: string;
  /** Optional: 就诊日期. */
  visitDate?: Date;
  /** Optional: 医疗机构类型, e.g. 综合医院. */
  institutionType?: string;
  /** 住院号: the HIS's hospitalNo (inpatient bills); without it an inpatient bill prints 患者编号. */
  hospitalNo?: string;
  /** 性别 as printed (男 / 女, or the HIS's text). */
  sex?: string;
  /** 医保编号. */
  medicalInsuranceID?: string;
  /** 入院日期 and 出院日期 (China days). */
  inHospitalDate?: Date;
  outHospitalDate?: Date;
  /** 住院天数, as the HIS sent it. */
  hospitalDays?: string;
  /** The insurance split as the HIS sent it (yuan text); each part is printed when present. */
  settlement?: Partial<Record<SettlementPart, string>>;
  /**
   * The hospital's finance seal valid at the issue time (印章管理): a PNG, drawn in the seal's
   * circle instead of the seal drawn from the hospital's name.
   */
  sealImage?: { pngBase64: string };
}

/** The parts of the insurance split, in the order and with the labels the bill prints them. */
export const SETTLEMENT_LABELS = {
  fundPay: '统筹基金支付',
  otherfundPay: '其他支付',
  accountPay: '个人账户支付',
  selfCashPay: '个人现金支付',
  selfPayAmt: '个人自付',
  ownPay: '个人自费',
  selfConceitedAmt: '个人自负',
} as const;
export type SettlementPart = keyof typeof SETTLEMENT_LABELS;

export interface RenderOptions {
  /** A TrueType/OpenType font (.ttf/.otf/.ttc) with Chinese glyphs; from config (MEDBILL_FONT). */
  fontPath: string;
  /** Deflate page contents (default true); tests turn it off to read the content streams. */
  compress?: boolean;
  /**
   * Test hook: draw only the text (every glyph but the hospital seal's; no lines, QR code or
   * seals' rings), or only the hospital seal, in the same places as the full page, so that a
   * test can rasterise both and check that no text lies under the seal. Neither draws the
   * 已冲红 watermark, which crosses the whole page on purpose.
   */
  only?: 'text' | 'seal';
}

// ---------------------------------------------------------------------------------------------
// Geometry (PDF points; y grows downwards as in pdfkit).

const MM = 72 / 25.4;
const PAGE_W = 241 * MM; // 683.1
const PAGE_H = 140 * MM; // 396.9
const LEFT = 26;
const RIGHT = PAGE_W - 26;
const WIDTH = RIGHT - LEFT;

const FRAME = '#9e3d2f'; // the brown-red of the printed template: frame lines and labels
const INK = '#111111'; // the data printed into the template
const SEAL = '#e0262b';
const SCARLET = '#d4161c';
const MUTED = '#6b6b6b';

/** Items on the face of the bill: two columns of this many rows. */
const FACE_ROWS = 10;
const FACE_SLOTS = FACE_ROWS * 2;

const TABLE_TOP = 119;
const HEAD_H = 16;
const ROW_H = 12.5;
const SUM_H = 18;
/** Lines of other information, and their height. */
const INFO_LINES = 6;
const INFO_LINE_H = 10;
const INFO_H = INFO_LINES * INFO_LINE_H + 6;

/** The hospital seal, from the left edge and from the bottom of the frame, and its radius. */
const SEAL_DX = 322;
const SEAL_DY = 7;
const SEAL_R = 38;
/** Text keeps this far from the seal's ring. */
const SEAL_CLEAR = 4;

type Doc = PDFKit.PDFDocument;

/** What a document draws (RenderOptions.only): everything, or the text or the hospital seal alone. */
const LAYERS = new WeakMap<Doc, { only?: 'text' | 'seal'; inSeal: boolean }>();
function drawsText(doc: Doc): boolean {
  const l = LAYERS.get(doc);
  return !l?.only || (l.only === 'seal') === l.inSeal;
}
function drawsGraphics(doc: Doc): boolean {
  const l = LAYERS.get(doc);
  return !l?.only || (l.only === 'seal' && l.inSeal);
}

interface TextOpts {
  size: number;
  color?: string;
  /** Fake bold: fill and stroke the glyphs. */
  bold?: boolean;
  /** Horizontal alignment inside [x, x + width]. */
  align?: 'left' | 'center' | 'right';
  width?: number;
  characterSpacing?: number;
}

/** One line of text at top-left (x, y); never wraps. Returns the x after it. */
function put(doc: Doc, s: string, x: number, y: number, o: TextOpts): number {
  if (!s) return x;
  doc.fontSize(o.size);
  const cs = o.characterSpacing ?? 0;
  const w = doc.widthOfString(s) + cs * Math.max(0, [...s].length - 1);
  let at = x;
  if (o.width !== undefined && o.align === 'right') at = x + o.width - w;
  else if (o.width !== undefined && o.align === 'center') at = x + (o.width - w) / 2;
  if (!drawsText(doc)) return at + w;
  doc.fillColor(o.color ?? INK);
  if (o.bold) doc.strokeColor(o.color ?? INK).lineWidth(o.size / 28);
  doc.text(s, at, y, { lineBreak: false, characterSpacing: cs || undefined, fill: true, stroke: !!o.bold });
  return at + w;
}

/** Vertical position that centres a line of `size` points in a band [top, top + h]. */
function mid(doc: Doc, top: number, h: number, size: number): number {
  doc.fontSize(size);
  return top + (h - doc.currentLineHeight()) / 2;
}

/** `s` cut to fit `width` at `size` points, with an ellipsis when cut. */
function fit(doc: Doc, s: string, width: number, size: number): string {
  doc.fontSize(size);
  if (doc.widthOfString(s) <= width) return s;
  const chars = [...s];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const m = (lo + hi + 1) >> 1;
    if (doc.widthOfString(chars.slice(0, m).join('') + '…') <= width) lo = m;
    else hi = m - 1;
  }
  return chars.slice(0, lo).join('') + '…';
}

/** The largest size <= `size` at which `s` fits `width`. */
function shrink(doc: Doc, s: string, width: number, size: number, min = 5): number {
  doc.fontSize(size);
  const w = doc.widthOfString(s);
  return w <= width ? size : Math.max(min, Math.floor(((size * width) / w) * 10) / 10);
}

function hline(doc: Doc, x1: number, x2: number, y: number, w = 0.7, color = FRAME): void {
  if (!drawsGraphics(doc)) return;
  doc.moveTo(x1, y).lineTo(x2, y).lineWidth(w).strokeColor(color).stroke();
}
function vline(doc: Doc, x: number, y1: number, y2: number, w = 0.7, color = FRAME): void {
  if (!drawsGraphics(doc)) return;
  doc.moveTo(x, y1).lineTo(x, y2).lineWidth(w).strokeColor(color).stroke();
}

// ---------------------------------------------------------------------------------------------
// Text helpers (no arithmetic on money: only signs are added for red bills).

/** Beijing time (UTC+8), whatever the process time zone. */
function beijing(d: Date): { date: string; time: string } {
  const t = chinaTime(d);
  return { date: t.date, time: t.time };
}

/** A red bill prints its amounts negative; amounts that already carry a sign are left alone. */
function signed(amt: string, scarlet: boolean): string {
  const a = amt.trim();
  if (!scarlet || a.startsWith('-') || /^0+(\.0+)?$/.test(a)) return a;
  return `-${a}`;
}
function signedWords(words: string, scarlet: boolean): string {
  return scarlet && !words.startsWith('负') ? `负${words}` : words;
}

/** Keeps the last 4 characters of an ID number (domain/access.ts). */
export { maskIdCard };

/** An inpatient bill, from the business type or the bill kind. */
function isInpatient(bill: LayoutBill): boolean {
  return /住院/.test(bill.busTypeName) || /住院/.test(bill.billKindName);
}

/** 门诊号, or on an inpatient bill 住院号 (the HIS's hospitalNo; 患者编号 when it sent none). */
function patientNoPair(bill: LayoutBill): [string, string] {
  if (!isInpatient(bill)) return ['门诊号', bill.patientNo];
  return bill.hospitalNo ? ['住院号', bill.hospitalNo] : ['患者编号', bill.patientNo];
}

/** The printed title: the bill kind, with the region in front when the kind does not name one. */
export function billTitle(bill: Pick<LayoutBill, 'regionName' | 'billKindName' | 'isScarlet'>): string {
  let t = bill.billKindName.trim();
  const region = bill.regionName.trim();
  if (region && !t.startsWith(region) && /^医疗/.test(t)) t = region + t;
  if (!/电子/.test(t)) t += '（电子）';
  if (bill.isScarlet) t += '（红票）';
  return t;
}

/** "浙江省" -> 浙江省财政厅监制; cities and counties have a 财政局. */
function supervisorText(region: string): string {
  const r = region.trim();
  if (!r) return '财政部监制';
  return /(省|自治区)$/.test(r) ? `${r}财政厅监制` : `${r}财政局监制`;
}

// ---------------------------------------------------------------------------------------------
// Drawings: QR code and seals.

/** The bytes of a PDF document, once it has ended (collect before writing pages). */
export function pdfBytes(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

export function drawQr(doc: Doc, text: string, x: number, y: number, size: number): void {
  if (!drawsGraphics(doc)) return;
  const m = qrMatrix(text);
  const modules = m.size + 2 * QR_QUIET_ZONE;
  const unit = size / modules;
  doc.rect(x, y, size, size).fillColor('#ffffff').fill();
  const ox = x + QR_QUIET_ZONE * unit;
  const oy = y + QR_QUIET_ZONE * unit;
  // One rectangle per horizontal run of dark modules, all in one path and one fill. Each is made a
  // hair taller so that viewers' anti-aliasing leaves no seams between rows.
  for (let r = 0; r < m.size; r++) {
    let c = 0;
    while (c < m.size) {
      if (!m.dark[r * m.size + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < m.size && m.dark[r * m.size + c]) c++;
      doc.rect(ox + start * unit, oy + r * unit, (c - start) * unit, unit + 0.05);
    }
  }
  doc.fillColor('#000000').fill();
}

/** Characters centred on an ellipse's upper arc (a circle when rx = ry), tops outward. */
function arcText(doc: Doc, s: string, cx: number, cy: number, rx: number, ry: number, spanDeg: number, size: number, color: string, bold = false): void {
  const chars = [...s];
  const n = chars.length;
  doc.fontSize(size);
  const lh = doc.currentLineHeight();
  if (bold) doc.strokeColor(color).lineWidth(size / 30);
  // Equal spacing along the arc (on an ellipse, equal angles crowd the ends).
  const half = (spanDeg / 2) * (Math.PI / 180);
  const steps = 64;
  const cum: number[] = [0];
  for (let k = 1; k <= steps; k++) {
    const t0 = -half + (2 * half * (k - 1)) / steps;
    const t1 = -half + (2 * half * k) / steps;
    cum.push(cum[k - 1] + Math.hypot(rx * (Math.sin(t1) - Math.sin(t0)), ry * (Math.cos(t1) - Math.cos(t0))));
  }
  const atLength = (len: number): number => {
    let k = 1;
    while (k < steps && cum[k] < len) k++;
    const f = (len - cum[k - 1]) / (cum[k] - cum[k - 1] || 1);
    return -half + (2 * half * (k - 1 + f)) / steps;
  };
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : atLength((cum[steps] * i) / (n - 1));
    const px = cx + rx * Math.sin(t);
    const py = cy - ry * Math.cos(t);
    const angle = (Math.atan2(ry * Math.sin(t), rx * Math.cos(t)) * 180) / Math.PI;
    const w = doc.widthOfString(chars[i]);
    if (!drawsText(doc)) continue;
    doc.save();
    doc.translate(px, py).rotate(angle);
    doc.fillColor(color).text(chars[i], -w / 2, -lh / 2, { lineBreak: false, fill: true, stroke: bold });
    doc.restore();
  }
}

function star(doc: Doc, cx: number, cy: number, r: number, color: string): void {
  if (!drawsGraphics(doc)) return;
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < 10; i++) {
    const rr = i % 2 === 0 ? r : r * 0.382;
    const a = (Math.PI / 5) * i - Math.PI / 2;
    pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
  }
  doc.polygon(...pts).fillColor(color).fill();
}

/** The hospital's seal: red ring, its name along the arc, a star, 电子票据专用章. */
function hospitalSeal(doc: Doc, name: string, cx: number, cy: number, r: number): void {
  const layer = LAYERS.get(doc);
  if (layer?.only === 'text') return;
  if (layer) layer.inSeal = true;
  doc.save();
  doc.fillOpacity(0.82).strokeOpacity(0.82);
  doc.circle(cx, cy, r).lineWidth(2.2).strokeColor(SEAL).stroke();
  const chars = [...name];
  const span = Math.min(210, Math.max(120, chars.length * 22)); // wider would run into the label
  const textR = r - 9;
  const arcLen = (2 * Math.PI * textR * span) / 360;
  const size = Math.max(5.5, Math.min(10, (arcLen / Math.max(1, chars.length)) * 0.92));
  arcText(doc, name, cx, cy, textR, textR, span, size, SEAL, true);
  star(doc, cx, cy - 1, r * 0.27, SEAL);
  const label = '电子票据专用章';
  const ls = shrink(doc, label, r * 1.3, 7.5);
  put(doc, label, cx - r, cy + r * 0.36, { size: ls, color: SEAL, width: 2 * r, align: 'center', bold: true });
  doc.restore();
  if (layer) layer.inSeal = false;
}

/** The hospital's seal as its image (a PNG from 印章管理), fitted into the seal's circle. */
function sealPicture(doc: Doc, pngBase64: string, cx: number, cy: number, r: number): void {
  const layer = LAYERS.get(doc);
  if (layer?.only === 'text') return;
  if (layer) layer.inSeal = true;
  doc.save();
  doc.opacity(0.85);
  doc.image(Buffer.from(pngBase64, 'base64'), cx - r, cy - r, { fit: [2 * r, 2 * r], align: 'center', valign: 'center' });
  doc.restore();
  if (layer) layer.inSeal = false;
}

/** The fiscal supervision seal: an oval with 财政票据监制章 along the top and the supervisor. */
function supervisionSeal(doc: Doc, region: string, cx: number, cy: number, rx: number, ry: number): void {
  doc.save();
  doc.fillOpacity(0.85).strokeOpacity(0.85);
  if (drawsGraphics(doc)) {
    doc.ellipse(cx, cy, rx, ry).lineWidth(1.6).strokeColor(SEAL).stroke();
    doc.ellipse(cx, cy, rx - 2.6, ry - 2.6).lineWidth(0.5).strokeColor(SEAL).stroke();
  }
  arcText(doc, '全国统一财政票据监制章', cx, cy + 2, rx - 9, ry - 9, 128, 6.4, SEAL, true);
  const sup = supervisorText(region);
  const size = shrink(doc, sup, rx * 1.45, 9);
  put(doc, sup, cx - rx, mid(doc, cy + 1, 12, size), { size, color: SEAL, width: 2 * rx, align: 'center', bold: true });
  doc.restore();
}

function watermark(doc: Doc, text: string): void {
  if (!drawsGraphics(doc)) return;
  doc.save();
  doc.fillOpacity(0.22).strokeOpacity(0.22);
  doc.rotate(-18, { origin: [PAGE_W / 2, PAGE_H / 2] });
  const size = 96;
  doc.fontSize(size);
  const w = doc.widthOfString(text) + 24 * ([...text].length - 1);
  doc.fillColor(SCARLET).strokeColor(SCARLET).lineWidth(2.5);
  doc.text(text, PAGE_W / 2 - w / 2, PAGE_H / 2 - doc.currentLineHeight() / 2, { lineBreak: false, characterSpacing: 24, fill: true, stroke: true });
  doc.restore();
}

// ---------------------------------------------------------------------------------------------
// Page parts.

interface PageCtx {
  bill: LayoutBill;
  title: string;
  page: number;
  pages: number;
}

/** A circle that text keeps out of (the hospital seal with its clearance). */
interface KeepOut {
  cx: number;
  cy: number;
  r: number;
}

/** Where the face page's seal is, given the bottom of the frame. */
function sealPlace(bottom: number): KeepOut {
  return { cx: LEFT + SEAL_DX, cy: bottom + SEAL_DY, r: SEAL_R };
}

/** The frame's bottom on the face page. */
const FACE_BOTTOM = TABLE_TOP + HEAD_H + FACE_ROWS * ROW_H + SUM_H + INFO_H;

/** The parts of [x0, x1] that the band [y, y + h] has free of the circles. */
function freeSpans(x0: number, x1: number, y: number, h: number, keep: KeepOut[]): Array<[number, number]> {
  let spans: Array<[number, number]> = [[x0, x1]];
  for (const k of keep) {
    const d = k.cy < y ? y - k.cy : k.cy > y + h ? k.cy - (y + h) : 0;
    if (d >= k.r) continue;
    const half = Math.sqrt(k.r * k.r - d * d);
    const a = k.cx - half;
    const b = k.cx + half;
    spans = spans.flatMap(([s, e]): Array<[number, number]> => {
      if (b <= s || a >= e) return [[s, e]];
      const out: Array<[number, number]> = [];
      if (a > s) out.push([s, a]);
      if (b < e) out.push([b, e]);
      return out;
    });
  }
  return spans;
}

function footer(doc: Doc, ctx: PageCtx): void {
  const { bill } = ctx;
  const y = PAGE_H - 22;
  // On the face page the seal sits right of these lines: they end before it.
  const seal = sealPlace(FACE_BOTTOM);
  const room = ctx.page === 1 ? seal.cx - seal.r - SEAL_CLEAR - LEFT : 300;
  put(doc, fit(doc, `本票据由${bill.hospitalName}开具，可扫码查验真伪`, room, 6.5), LEFT, y, { size: 6.5, color: MUTED });
  put(doc, fit(doc, `查验：扫描左上角二维码，或凭票据代码、票据号码和校验码 ${bill.random} 查验`, room, 6.5), LEFT, y + 9, { size: 6.5, color: MUTED });
  const sig = `签名：${bill.signatureHex.slice(0, 32)}${bill.signatureHex.length > 32 ? '…' : ''}`;
  put(doc, sig, RIGHT - 260, y, { size: 6.5, color: MUTED, width: 260, align: 'right' });
  if (ctx.pages > 1) put(doc, `第 ${ctx.page} 页 / 共 ${ctx.pages} 页`, RIGHT - 200, y + 9, { size: 6.5, color: MUTED, width: 200, align: 'right' });
}

function titleBlock(doc: Doc, title: string, y: number, maxWidth: number, size: number, color: string): number {
  const cs = 2;
  const s = shrink(doc, title, maxWidth - cs * [...title].length, size, 10);
  doc.fontSize(s);
  const w = doc.widthOfString(title) + cs * ([...title].length - 1);
  const x = PAGE_W / 2 - w / 2;
  put(doc, title, x, y, { size: s, color, bold: true, characterSpacing: cs });
  const ly = y + doc.currentLineHeight() + 2;
  hline(doc, x - 6, x + w + 6, ly, 0.9, color);
  hline(doc, x - 6, x + w + 6, ly + 2.4, 0.5, color);
  return ly + 2.4;
}

/** "label：value" pairs, label in the template colour. */
function field(doc: Doc, label: string, value: string, x: number, y: number, size: number, valueColor = INK): number {
  const after = put(doc, `${label}：`, x, y, { size, color: FRAME });
  return put(doc, value, after, y, { size, color: valueColor });
}

function facePage(doc: Doc, ctx: PageCtx, faceItems: Array<LayoutItem | string>): void {
  const { bill } = ctx;
  const scarlet = bill.isScarlet;
  const titleColor = scarlet ? SCARLET : FRAME;

  // Header: QR code, title and supervision seal, bill identity.
  const ix = RIGHT - 142; // the identity block at the top right
  drawQr(doc, bill.h5Url, LEFT - 4, 14, 78);
  titleBlock(doc, ctx.title, 18, 2 * (ix - PAGE_W / 2 - 14), 18, titleColor);
  supervisionSeal(doc, bill.regionName, PAGE_W / 2, 76, 52, 29);

  let iy = 26;
  const info: Array<[string, string]> = [
    ['票据代码', bill.billBatchCode],
    ['票据号码', bill.billNo],
    ['校 验 码', bill.random],
    ['开票日期', beijing(bill.issuedAt).date],
  ];
  for (const [k, v] of info) {
    field(doc, k, v, ix, iy, 9.5);
    iy += 15;
  }

  // Payer line.
  const py = TABLE_TOP - 16;
  field(doc, '交款人统一社会信用代码', bill.idCardNo ? maskIdCard(bill.idCardNo) : '', LEFT, py, 9);
  doc.fontSize(9);
  field(doc, '交款人', fit(doc, bill.payer, RIGHT - ix - doc.widthOfString('交款人：'), 9), ix, py, 9);

  // Frame.
  const itemsTop = TABLE_TOP + HEAD_H;
  const sumTop = itemsTop + FACE_ROWS * ROW_H;
  const infoTop = sumTop + SUM_H;
  const bottom = infoTop + INFO_H;
  if (drawsGraphics(doc)) doc.rect(LEFT, TABLE_TOP, WIDTH, bottom - TABLE_TOP).lineWidth(1.1).strokeColor(FRAME).stroke();
  hline(doc, LEFT, RIGHT, itemsTop);
  hline(doc, LEFT, RIGHT, sumTop);
  hline(doc, LEFT, RIGHT, infoTop);

  // Items: two halves, each 项目名称 | 数量 | 金额（元） | 备注.
  const half = WIDTH / 2;
  const cols = [0, 148, 200, 268, half]; // column edges inside a half
  for (let h = 0; h < 2; h++) {
    const x0 = LEFT + h * half;
    if (h === 1) vline(doc, x0, TABLE_TOP, sumTop, 0.9);
    for (let c = 1; c < 4; c++) vline(doc, x0 + cols[c], TABLE_TOP, sumTop, 0.5);
    const heads = ['项目名称', '数量', '金额（元）', '备注'];
    const hy = mid(doc, TABLE_TOP, HEAD_H, 9);
    heads.forEach((t, c) => put(doc, t, x0 + cols[c], hy, { size: 9, color: FRAME, width: cols[c + 1] - cols[c], align: 'center' }));
  }
  for (let r = 1; r < FACE_ROWS; r++) hline(doc, LEFT, RIGHT, itemsTop + r * ROW_H, 0.25, '#d9b3ab');
  faceItems.forEach((it, i) => {
    const h = i < FACE_ROWS ? 0 : 1;
    const r = i % FACE_ROWS;
    const x0 = LEFT + h * half;
    const ty = mid(doc, itemsTop + r * ROW_H, ROW_H, 8.5);
    if (typeof it === 'string') {
      put(doc, fit(doc, it, half - 8, 8.5), x0 + 4, ty, { size: 8.5, color: FRAME });
      return;
    }
    put(doc, fit(doc, it.name, cols[1] - 8, 8.5), x0 + 4, ty, { size: 8.5 });
    const qty = `${it.number ?? ''}${it.unit ?? ''}`;
    put(doc, fit(doc, qty, cols[2] - cols[1] - 4, 8.5), x0 + cols[1], ty, { size: 8.5, width: cols[2] - cols[1], align: 'center' });
    put(doc, signed(it.amt, scarlet), x0 + cols[2], ty, { size: 8.5, width: cols[3] - cols[2] - 5, align: 'right', color: scarlet ? SCARLET : INK });
    if (it.remark) put(doc, fit(doc, it.remark, cols[4] - cols[3] - 6, 7.5), x0 + cols[3] + 3, mid(doc, itemsTop + r * ROW_H, ROW_H, 7.5), { size: 7.5 });
  });

  // Totals.
  const sy = mid(doc, sumTop, SUM_H, 9.5);
  const words = signedWords(bill.totalAmtChinese, scarlet);
  const after = put(doc, '金额合计（大写）', LEFT + 6, sy, { size: 9.5, color: FRAME });
  put(doc, fit(doc, words, RIGHT - 200 - after - 12, 10), after + 8, mid(doc, sumTop, SUM_H, 10), { size: 10, color: scarlet ? SCARLET : INK, bold: true });
  const lx = RIGHT - 190;
  const la = put(doc, '（小写）', lx, sy, { size: 9.5, color: FRAME });
  put(doc, `¥${signed(bill.totalAmt, scarlet)}`, la + 6, mid(doc, sumTop, SUM_H, 10.5), { size: 10.5, color: scarlet ? SCARLET : INK, bold: true });

  // Other information.
  const labelW = 20;
  vline(doc, LEFT + labelW, infoTop, bottom, 0.5);
  const ch = ['其', '他', '信', '息'];
  ch.forEach((c, i) => put(doc, c, LEFT, mid(doc, infoTop + 2 + (i * (INFO_H - 4)) / 4, (INFO_H - 4) / 4, 8), { size: 8, color: FRAME, width: labelW, align: 'center' }));
  const v = beijing(bill.issuedAt);
  const pairs: Pair[] = [];
  if (scarlet && (bill.relatedBillBatchCode || bill.relatedBillNo)) {
    pairs.push(['原票据代码', bill.relatedBillBatchCode ?? '', SCARLET], ['原票据号码', bill.relatedBillNo ?? '', SCARLET]);
  }
  pairs.push(['业务流水号', bill.busNo]);
  if (bill.patientNo) pairs.push(patientNoPair(bill)); // a non-medical bill (往来结算, 捐赠) has none
  if (bill.visitDate) pairs.push(['就诊日期', beijing(bill.visitDate).date]);
  const inDay = bill.inHospitalDate && beijing(bill.inHospitalDate).date;
  const outDay = bill.outHospitalDate && beijing(bill.outHospitalDate).date;
  if (inDay && outDay) pairs.push(['住院时间', `${inDay} 至 ${outDay}`]);
  else if (inDay) pairs.push(['入院日期', inDay]);
  else if (outDay) pairs.push(['出院日期', outDay]);
  if (bill.hospitalDays) pairs.push(['住院天数', /^\d+$/.test(bill.hospitalDays) ? `${bill.hospitalDays}天` : bill.hospitalDays]);
  if (bill.institutionType) pairs.push(['医疗机构类型', bill.institutionType]);
  if (bill.medicalCareType) pairs.push(['医保类型', bill.medicalCareType]);
  if (bill.medicalInsuranceID) pairs.push(['医保编号', bill.medicalInsuranceID]);
  if (bill.sex) pairs.push(['性别', bill.sex]);
  for (const [part, label] of Object.entries(SETTLEMENT_LABELS) as Array<[SettlementPart, string]>) {
    const amt = bill.settlement?.[part];
    if (amt !== undefined && amt !== '') pairs.push([label, signed(amt, scarlet), scarlet ? SCARLET : undefined]);
  }
  pairs.push(['开票时间', `${v.date} ${v.time}`]);
  if (bill.placeName) pairs.push(['开票点', bill.placeName]);
  if (bill.author) pairs.push(['开票人', bill.author]);
  if (bill.payments.length) {
    pairs.push(['支付方式', bill.payments.map((p, i) => `${p.channelName} ${signed(p.amount, scarlet)}${i < bill.payments.length - 1 ? '；' : ''}`)]);
  }
  if (bill.remark) pairs.push(['备注', bill.remark]);

  // Signatures and seals: the seal stands between the hospital's name and the reviewer, over the
  // frame's bottom line; the other information flows around it and nothing is written under it.
  const seal = sealPlace(bottom);
  const keep = { ...seal, r: seal.r + SEAL_CLEAR };
  flowPairs(doc, pairs, LEFT + labelW + 6, infoTop + 4, RIGHT - 6, INFO_LINE_H, INFO_LINES, 8, [keep]);
  const by = bottom + 7;
  doc.fontSize(9);
  const nameRoom = keep.cx - keep.r - LEFT - doc.widthOfString('收款单位（章）：');
  field(doc, '收款单位（章）', fit(doc, bill.hospitalName, nameRoom, 9), LEFT, by, 9);
  field(doc, '复核人', bill.checker ?? '', RIGHT - 250, by, 9);
  field(doc, '收款人', bill.payee, RIGHT - 120, by, 9);
  if (bill.sealImage) sealPicture(doc, bill.sealImage.pngBase64, seal.cx, seal.cy, seal.r);
  else hospitalSeal(doc, bill.hospitalName, seal.cx, seal.cy, seal.r);
}

/**
 * Lays "label：value" pairs out in lines, around the keep-out circles. A pair goes whole into the
 * first span it fits; one longer than any span left starts where it is and its value runs on into
 * the next spans. What does not fit the last span is cut with an ellipsis.
 */
/** The pieces a value breaks into at the end of a span: runs of digits and latin letters stay whole. */
function atoms(value: string | string[]): string[] {
  return Array.isArray(value) ? value : (value.match(/[0-9A-Za-z.+%¥-]+|[\s\S]/gu) ?? []);
}

/** A "label：value" pair of the other information; a list value breaks only between its entries. */
type Pair = [label: string, value: string | string[], color?: string];

function flowPairs(doc: Doc, pairs: Pair[], x0: number, y0: number, x1: number, lineH: number, maxLines: number, size: number, keep: KeepOut[]): void {
  const gap = 14;
  const minSpan = size * 3;
  const spans: Array<{ y: number; s: number; e: number }> = [];
  for (let line = 0; line < maxLines; line++) {
    const y = y0 + line * lineH;
    for (const [s, e] of freeSpans(x0, x1, y, lineH, keep)) if (e - s >= minSpan) spans.push({ y, s, e });
  }
  if (!spans.length) return;
  // The widest span from each one on.
  const widest = spans.map((sp) => sp.e - sp.s);
  for (let k = widest.length - 2; k >= 0; k--) widest[k] = Math.max(widest[k], widest[k + 1]);
  let k = 0;
  let x = spans[0].s;
  const next = (): boolean => {
    if (++k >= spans.length) return false;
    x = spans[k].s;
    return true;
  };
  const width = (t: string) => {
    doc.fontSize(size);
    return doc.widthOfString(t);
  };
  for (const [label, value, color] of pairs) {
    const labelText = `${label}：`;
    const lw = width(labelText);
    let rest = atoms(value);
    const w = lw + width(rest.join(''));
    if (w <= Math.max(spans[k].e - x, widest[k + 1] ?? 0)) {
      while (x + w > spans[k].e) if (!next()) return;
    } else {
      while (spans[k].e - x < lw + size * 3) if (!next()) return;
    }
    put(doc, labelText, x, spans[k].y, { size, color: FRAME });
    x += lw;
    while (rest.length) {
      const room = spans[k].e - x;
      let n = 0;
      let chunk = '';
      while (n < rest.length && width(chunk + rest[n]) <= room) chunk += rest[n++];
      if (n === 0 && x === spans[k].s) {
        // A piece longer than a whole span is broken anywhere.
        const chars = [...rest[0]];
        let m = 0;
        while (m < chars.length && width(chars.slice(0, m + 1).join('')) <= room) m++;
        if (m > 0 && m < chars.length) {
          rest = [chars.slice(0, m).join(''), chars.slice(m).join(''), ...rest.slice(1)];
          continue;
        }
        chunk = rest[0];
        n = 1;
      }
      if (n < rest.length && k === spans.length - 1) {
        put(doc, fit(doc, rest.join(''), room, size), x, spans[k].y, { size, color: color ?? INK });
        return;
      }
      x = put(doc, chunk, x, spans[k].y, { size, color: color ?? INK });
      rest = rest.slice(n);
      if (rest.length && !next()) return;
    }
    x += gap;
    if (x >= spans[k].e && !next()) return;
  }
}

/** Detail rows per 明细 page. */
const DETAIL_ROWS = 18;

function detailPage(doc: Doc, ctx: PageCtx, rows: Array<{ seq: number; item: LayoutItem }>, isLast: boolean, total: number): void {
  const { bill } = ctx;
  const scarlet = bill.isScarlet;
  const color = scarlet ? SCARLET : FRAME;
  titleBlock(doc, `${ctx.title}明细`, 20, 520, 15, color);
  const iy = 58;
  let x = field(doc, '票据代码', bill.billBatchCode, LEFT, iy, 9);
  x = field(doc, '票据号码', bill.billNo, x + 18, iy, 9);
  x = field(doc, '校验码', bill.random, x + 18, iy, 9);
  x = field(doc, '交款人', fit(doc, bill.payer, 120, 9), x + 18, iy, 9);
  field(doc, '开票日期', beijing(bill.issuedAt).date, x + 18, iy, 9);

  const top = 78;
  const head = 17;
  const rowH = 14;
  const cols = [0, 34, 300, 370, 430, 520, WIDTH];
  const heads = ['序号', '项目名称', '数量', '单位', '金额（元）', '备注'];
  const nRows = rows.length + (isLast ? 1 : 0);
  const bottom = top + head + Math.max(nRows, 1) * rowH;
  if (drawsGraphics(doc)) doc.rect(LEFT, top, WIDTH, bottom - top).lineWidth(1.1).strokeColor(FRAME).stroke();
  hline(doc, LEFT, RIGHT, top + head);
  for (let c = 1; c < cols.length - 1; c++) vline(doc, LEFT + cols[c], top, bottom, 0.5);
  const hy = mid(doc, top, head, 9);
  heads.forEach((t, c) => put(doc, t, LEFT + cols[c], hy, { size: 9, color: FRAME, width: cols[c + 1] - cols[c], align: 'center' }));
  rows.forEach(({ seq, item }, r) => {
    const rt = top + head + r * rowH;
    if (r > 0) hline(doc, LEFT, RIGHT, rt, 0.25, '#d9b3ab');
    const ty = mid(doc, rt, rowH, 8.5);
    put(doc, String(seq), LEFT + cols[0], ty, { size: 8.5, width: cols[1] - cols[0], align: 'center' });
    put(doc, fit(doc, item.name, cols[2] - cols[1] - 8, 8.5), LEFT + cols[1] + 4, ty, { size: 8.5 });
    put(doc, fit(doc, item.number ?? '', cols[3] - cols[2] - 6, 8.5), LEFT + cols[2], ty, { size: 8.5, width: cols[3] - cols[2] - 6, align: 'right' });
    put(doc, fit(doc, item.unit ?? '', cols[4] - cols[3] - 4, 8.5), LEFT + cols[3], ty, { size: 8.5, width: cols[4] - cols[3], align: 'center' });
    put(doc, signed(item.amt, scarlet), LEFT + cols[4], ty, { size: 8.5, width: cols[5] - cols[4] - 6, align: 'right', color: scarlet ? SCARLET : INK });
    if (item.remark) put(doc, fit(doc, item.remark, cols[6] - cols[5] - 8, 8), LEFT + cols[5] + 4, ty, { size: 8 });
  });
  if (isLast) {
    const rt = top + head + rows.length * rowH;
    hline(doc, LEFT, RIGHT, rt, 0.7);
    const ty = mid(doc, rt, rowH, 8.5);
    put(doc, `合计（共 ${total} 项）`, LEFT + cols[1] + 4, ty, { size: 8.5, color: FRAME });
    put(doc, signed(bill.totalAmt, scarlet), LEFT + cols[4], ty, { size: 8.5, width: cols[5] - cols[4] - 6, align: 'right', color: scarlet ? SCARLET : INK, bold: true });
  } else {
    put(doc, '（续下页）', RIGHT - 80, bottom + 4, { size: 8, color: MUTED, width: 80, align: 'right' });
  }
}

// ---------------------------------------------------------------------------------------------

/** Renders the layout file of `bill` as a PDF. */
export async function renderBillPdf(bill: LayoutBill, opts: RenderOptions): Promise<Buffer> {
  const font = await cjkFont(opts?.fontPath);
  const title = billTitle(bill);

  // The face holds 20 items; with more, it shows 19 and says the rest are on the 明细 pages, which
  // list every item with the total.
  const many = bill.items.length > FACE_SLOTS;
  const faceItems: Array<LayoutItem | string> = many
    ? [...bill.items.slice(0, FACE_SLOTS - 1), `……共 ${bill.items.length} 项，详见明细（第 2 页起）`]
    : bill.items;
  const detailPages = many ? Math.ceil(bill.items.length / DETAIL_ROWS) : 0; // the total row fits under a full page
  const pages = 1 + detailPages;

  const doc = new PDFDocument({
    size: [PAGE_W, PAGE_H],
    margin: 0,
    autoFirstPage: false,
    compress: opts.compress ?? true,
    font: '', // no Helvetica: loading its metrics costs more than the rest of the page
    info: {
      Title: `${title} ${bill.billBatchCode}-${bill.billNo}`,
      Author: bill.hospitalName,
      Subject: '电子票据版式文件',
      // ASCII, so that it can be found in the file as it is.
      Keywords: `billBatchCode=${bill.billBatchCode} billNo=${bill.billNo}`,
      // The issuer, not the software: a viewer shows these as the document's properties.
      Creator: bill.hospitalName,
      Producer: bill.hospitalName,
      CreationDate: bill.issuedAt,
      ModDate: bill.issuedAt,
    },
  });
  const done = pdfBytes(doc);
  if (opts.only) LAYERS.set(doc, { only: opts.only, inSeal: false });

  font.use(doc);
  doc.addPage({ size: [PAGE_W, PAGE_H], margin: 0 });
  doc.font(CJK_FAMILY);
  facePage(doc, { bill, title, page: 1, pages }, faceItems);
  footer(doc, { bill, title, page: 1, pages });
  if (bill.state === 'reversed') watermark(doc, '已冲红');

  for (let p = 0; p < detailPages; p++) {
    doc.addPage({ size: [PAGE_W, PAGE_H], margin: 0 });
    const slice = bill.items.slice(p * DETAIL_ROWS, (p + 1) * DETAIL_ROWS).map((item, i) => ({ seq: p * DETAIL_ROWS + i + 1, item }));
    const ctx = { bill, title, page: p + 2, pages };
    detailPage(doc, ctx, slice, p === detailPages - 1, bill.items.length);
    footer(doc, ctx);
    if (bill.state === 'reversed') watermark(doc, '已冲红');
  }
  doc.end();
  return done;
}
