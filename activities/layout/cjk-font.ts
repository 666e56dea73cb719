/**
 * The CJK font of layout files, loaded once per process and shared by every PDF.
 *
 * pdfkit, left to itself, re-reads and re-parses the font for each document and runs OpenType
 * shaping (GSUB/GPOS) on every string: about 80 ms a bill with wqy-microhei, 140 ms with Noto CJK.
 * Here the font file is read once; the face is cut out of a .ttc collection into a plain sfnt
 * without its shaping tables (Chinese bill text needs none: no ligatures, no contextual forms); and
 * the parsed fontkit face is handed to every new document, which brings a bill to a few ms.
 * Each document still embeds its own subset with only the glyphs it uses.
 */
import { promises as fsp } from 'node:fs';
import PDFDocument from 'pdfkit';

/** The family name under which the CJK font is known inside each document. */
export const CJK_FAMILY = 'medbill-cjk';

export const FONT_HINT =
  'install a Chinese TrueType font (`apt-get install fonts-wqy-microhei`, which gives ' +
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc) or set MEDBILL_FONT to a .ttf/.otf/.ttc font with Chinese glyphs';

/** Tables that only drive shaping, vertical text, bitmaps or signatures: not needed for bills. */
const DROPPED_TABLES = new Set([
  'GSUB', 'GPOS', 'GDEF', 'BASE', 'JSTF', 'MATH', 'morx', 'mort', 'kern', 'kerx', 'feat', 'DSIG',
  'vhea', 'vmtx', 'VORG', 'EBDT', 'EBLC', 'EBSC', 'LTSH', 'VDMX', 'hdmx', 'PCLT',
]);

interface Face {
  offset: number;
  postscriptName: string;
}

function readU16(b: Buffer, at: number): number {
  return b.readUInt16BE(at);
}
function readU32(b: Buffer, at: number): number {
  return b.readUInt32BE(at);
}

/** The PostScript name (name ID 6) of the sfnt whose table directory starts at `offset`. */
function postscriptName(buf: Buffer, offset: number): string {
  const numTables = readU16(buf, offset + 4);
  for (let i = 0; i < numTables; i++) {
    const rec = offset + 12 + 16 * i;
    if (buf.toString('latin1', rec, rec + 4) !== 'name') continue;
    const table = readU32(buf, rec + 8);
    const count = readU16(buf, table + 2);
    const strings = table + readU16(buf, table + 4);
    let fallback = '';
    for (let j = 0; j < count; j++) {
      const r = table + 6 + 12 * j;
      const platform = readU16(buf, r);
      const nameId = readU16(buf, r + 6);
      if (nameId !== 6) continue;
      const len = readU16(buf, r + 8);
      const start = strings + readU16(buf, r + 10);
      if (platform === 3 || platform === 0) {
        const be = buf.subarray(start, start + len);
        const le = Buffer.alloc(be.length);
        for (let k = 0; k + 1 < be.length; k += 2) {
          le[k] = be[k + 1];
          le[k + 1] = be[k];
        }
        return le.toString('utf16le');
      }
      if (platform === 1) fallback = buf.toString('latin1', start, start + len);
    }
    return fallback;
  }
  return '';
}

function faces(buf: Buffer): Face[] {
  if (buf.length < 12) return [];
  if (buf.toString('latin1', 0, 4) === 'ttcf') {
    const n = readU32(buf, 8);
    const out: Face[] = [];
    for (let i = 0; i < n; i++) {
      const offset = readU32(buf, 12 + 4 * i);
      out.push({ offset, postscriptName: postscriptName(buf, offset) });
    }
    return out;
  }
  return [{ offset: 0, postscriptName: postscriptName(buf, 0) }];
}

/** In a collection, prefer the Simplified Chinese, proportional face (e.g. NotoSansCJKsc-Regular). */
function pickFace(all: Face[]): Face {
  const score = (f: Face): number => {
    const n = f.postscriptName;
    let s = 0;
    if (/(CJK)?sc\b|CJKsc|SC\b|-SC|GB|CN|Hans/.test(n)) s += 2;
    if (/mono/i.test(n)) s -= 1;
    return s;
  };
  return all.reduce((best, f) => (score(f) > score(best) ? f : best), all[0]);
}

/** Copies one face out of a font file as a standalone sfnt, without the shaping tables. */
function extractFace(buf: Buffer, face: Face): Buffer {
  const { offset } = face;
  const numTables = readU16(buf, offset + 4);
  const tables: Array<{ tag: string; checksum: number; at: number; length: number }> = [];
  for (let i = 0; i < numTables; i++) {
    const rec = offset + 12 + 16 * i;
    const tag = buf.toString('latin1', rec, rec + 4);
    if (DROPPED_TABLES.has(tag)) continue;
    tables.push({ tag, checksum: readU32(buf, rec + 4), at: readU32(buf, rec + 8), length: readU32(buf, rec + 12) });
  }
  const header = 12 + 16 * tables.length;
  let total = header;
  for (const t of tables) total += (t.length + 3) & ~3;
  const out = Buffer.alloc(total);
  buf.copy(out, 0, offset, offset + 4); // sfnt version: 0x00010000 (glyf) or 'OTTO' (CFF)
  const entrySelector = Math.floor(Math.log2(Math.max(1, tables.length)));
  const searchRange = 16 * 2 ** entrySelector;
  out.writeUInt16BE(tables.length, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(tables.length * 16 - searchRange, 10);
  let at = header;
  tables.forEach((t, i) => {
    const rec = 12 + 16 * i;
    out.write(t.tag, rec, 'latin1');
    out.writeUInt32BE(t.checksum, rec + 4);
    out.writeUInt32BE(at, rec + 8);
    out.writeUInt32BE(t.length, rec + 12);
    buf.copy(out, at, t.at, t.at + t.length);
    at += (t.length + 3) & ~3;
  });
  return out;
}

/** The pieces of pdfkit's document internals used to share one parsed face between documents. */
interface DocInternals {
  _font?: { font?: unknown; constructor: new (doc: unknown, font: unknown, id: string) => unknown };
  _fontFamilies?: Record<string, unknown>;
  _fontCount?: number;
}

export class CjkFont {
  /** pdfkit's EmbeddedFont class and the parsed fontkit face, taken from the first document. */
  private shared: { ctor: new (doc: unknown, font: unknown, id: string) => unknown; face: unknown } | null = null;
  private sharedBroken = false;

  constructor(
    readonly path: string,
    readonly postscriptName: string,
    /** The face as a standalone sfnt (what a document embeds a subset of). */
    readonly sfnt: Buffer,
    /** 'TrueType' (glyf outlines) or 'CFF'. */
    readonly outlines: 'TrueType' | 'CFF',
  ) {}

  /** Makes the CJK font the current font of `doc`. */
  use(doc: PDFKit.PDFDocument): void {
    const d = doc as unknown as DocInternals;
    if (this.shared && typeof d._fontCount === 'number' && d._fontFamilies) {
      try {
        d._fontFamilies[CJK_FAMILY] = new this.shared.ctor(doc, this.shared.face, `F${++d._fontCount}`);
        doc.font(CJK_FAMILY);
        return;
      } catch {
        // pdfkit changed its internals: fall back to the documented (slower) way from now on.
        this.shared = null;
        this.sharedBroken = true;
        delete d._fontFamilies[CJK_FAMILY];
      }
    }
    doc.registerFont(CJK_FAMILY, this.sfnt);
    doc.font(CJK_FAMILY);
    if (!this.shared && !this.sharedBroken) {
      const f = d._font;
      if (f && f.font && typeof f.constructor === 'function') this.shared = { ctor: f.constructor, face: f.font };
      else this.sharedBroken = true;
    }
  }

  /** True once documents share the parsed face (the fast path). */
  get sharing(): boolean {
    return this.shared !== null;
  }
}

/** Characters every bill prints; a font must have them all. */
const PROBE_TEXT = '医疗门诊收费票据电子代码号码校验开票日期交款人金额合计大写壹贰叁元角分（）：0123456789.-';

const loaded = new Map<string, Promise<CjkFont>>();

async function load(fontPath: string): Promise<CjkFont> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(fontPath);
  } catch (e) {
    throw new Error(`Layout font "${fontPath}" cannot be read (${(e as Error).message}): ${FONT_HINT}`);
  }
  const all = faces(buf);
  if (all.length === 0) throw new Error(`Layout font "${fontPath}" is not a TrueType/OpenType font: ${FONT_HINT}`);
  const face = pickFace(all);
  const sfnt = extractFace(buf, face);
  const outlines = sfnt.toString('latin1', 0, 4) === 'OTTO' ? 'CFF' : 'TrueType';
  const font = new CjkFont(fontPath, face.postscriptName, sfnt, outlines);
  // A first, thrown-away document parses the face (which later documents then share) and checks
  // that it has Chinese glyphs.
  const doc = new PDFDocument({ autoFirstPage: false, font: '' });
  try {
    font.use(doc);
  } catch (e) {
    throw new Error(`Layout font "${fontPath}" cannot be used (${(e as Error).message}): ${FONT_HINT}`);
  }
  const face2 = (doc as unknown as DocInternals)._font?.font as { hasGlyphForCodePoint?: (c: number) => boolean } | undefined;
  if (face2 && typeof face2.hasGlyphForCodePoint === 'function') {
    const missing = [...PROBE_TEXT].filter((ch) => !face2.hasGlyphForCodePoint!(ch.codePointAt(0)!));
    if (missing.length) throw new Error(`Layout font "${fontPath}" (${face.postscriptName}) has no glyphs for "${missing.join('')}": ${FONT_HINT}`);
  }
  return font;
}

/** The CJK font at `fontPath`, read and checked once per process. */
export function cjkFont(fontPath: string | undefined): Promise<CjkFont> {
  if (!fontPath) return Promise.reject(new Error(`No font configured for layout files (MEDBILL_FONT is empty): ${FONT_HINT}`));
  let p = loaded.get(fontPath);
  if (!p) {
    p = load(fontPath);
    loaded.set(fontPath, p);
    // A failure is not cached: the font may be installed a minute later.
    p.catch(() => loaded.delete(fontPath));
  }
  return p;
}
