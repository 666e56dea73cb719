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
  const version = buf.subarray(offset, offset + 4); // 0x00010000 (glyf) or 'OTTO' (CFF)
  return writeSfnt(version, tables.map((t) => ({ tag: t.tag, checksum: t.checksum, data: buf.subarray(t.at, t.at + t.length) })));
}

/**
 * A TrueType subsetter with the interface pdfkit expects of fontkit's (`includeGlyph`, `encode`).
 * fontkit's re-decodes every glyph outline of every document; this one keeps each glyph's bytes,
 * once read, for the life of the process and only copies them, so that embedding a font costs a
 * fraction of a millisecond. Output: head, hhea, maxp, hmtx, loca (long), glyf and the hinting
 * tables, which is what a PDF's FontFile2 needs.
 */
interface GlyphRec {
  data: Buffer;
  /** Positions (in `data`) and glyph ids of a composite glyph's components. */
  components: Array<{ pos: number; gid: number }> | null;
  advance: number;
  lsb: number;
}

class TrueTypeTables {
  private readonly glyphs = new Map<number, GlyphRec>();
  readonly numGlyphs: number;
  private readonly loca: (gid: number) => number;
  private readonly glyf: Buffer;
  private readonly hmtx: Buffer;
  private readonly numHMetrics: number;
  readonly head: Buffer;
  readonly hhea: Buffer;
  readonly maxp: Buffer;
  readonly extra: Array<[string, Buffer]>;

  constructor(sfnt: Buffer) {
    const tables = new Map<string, Buffer>();
    const n = readU16(sfnt, 4);
    for (let i = 0; i < n; i++) {
      const rec = 12 + 16 * i;
      const at = readU32(sfnt, rec + 8);
      tables.set(sfnt.toString('latin1', rec, rec + 4), sfnt.subarray(at, at + readU32(sfnt, rec + 12)));
    }
    const need = (tag: string): Buffer => {
      const t = tables.get(tag);
      if (!t) throw new Error(`TrueType font without a ${tag} table`);
      return t;
    };
    this.head = need('head');
    this.hhea = need('hhea');
    this.maxp = need('maxp');
    this.glyf = need('glyf');
    this.hmtx = need('hmtx');
    const loca = need('loca');
    this.numGlyphs = readU16(this.maxp, 4);
    this.numHMetrics = readU16(this.hhea, 34);
    this.loca = this.head.readInt16BE(50) === 0 ? (g) => 2 * readU16(loca, 2 * g) : (g) => readU32(loca, 4 * g);
    this.extra = (['cvt ', 'fpgm', 'prep'] as const).filter((t) => tables.has(t)).map((t) => [t, tables.get(t)!]);
  }

  glyph(gid: number): GlyphRec {
    let g = this.glyphs.get(gid);
    if (g) return g;
    const ok = gid >= 0 && gid < this.numGlyphs;
    const start = ok ? this.loca(gid) : 0;
    const end = ok ? this.loca(gid + 1) : 0;
    const data = this.glyf.subarray(start, Math.max(start, end));
    let components: GlyphRec['components'] = null;
    if (data.length >= 10 && data.readInt16BE(0) < 0) {
      components = [];
      let p = 10;
      for (;;) {
        const flags = readU16(data, p);
        components.push({ pos: p + 2, gid: readU16(data, p + 2) });
        p += 4 + (flags & 0x0001 ? 4 : 2);
        if (flags & 0x0008) p += 2;
        else if (flags & 0x0040) p += 4;
        else if (flags & 0x0080) p += 8;
        if (!(flags & 0x0020)) break;
      }
    }
    const m = Math.min(gid, this.numHMetrics - 1);
    const advance = readU16(this.hmtx, 4 * m);
    const lsb =
      gid < this.numHMetrics
        ? this.hmtx.readInt16BE(4 * gid + 2)
        : this.hmtx.readInt16BE(4 * this.numHMetrics + 2 * (gid - this.numHMetrics));
    g = { data, components, advance, lsb };
    this.glyphs.set(gid, g);
    return g;
  }
}

function checksum(b: Buffer): number {
  let sum = 0;
  const whole = b.length & ~3;
  for (let i = 0; i < whole; i += 4) sum = (sum + b.readUInt32BE(i)) >>> 0;
  if (whole < b.length) {
    const tail = Buffer.alloc(4);
    b.copy(tail, 0, whole);
    sum = (sum + tail.readUInt32BE(0)) >>> 0;
  }
  return sum;
}

function sfntFromTables(tables: Array<[string, Buffer]>): Buffer {
  tables.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return writeSfnt(Buffer.from([0, 1, 0, 0]), tables.map(([tag, data]) => ({ tag, data, checksum: checksum(data) })));
}

/** Writes an sfnt: the offset table, the table directory, then each table padded to 4 bytes. */
function writeSfnt(version: Buffer, tables: Array<{ tag: string; data: Buffer; checksum: number }>): Buffer {
  const header = 12 + 16 * tables.length;
  let total = header;
  for (const t of tables) total += (t.data.length + 3) & ~3;
  const out = Buffer.alloc(total);
  version.copy(out, 0, 0, 4);
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
    out.writeUInt32BE(t.data.length, rec + 12);
    t.data.copy(out, at);
    at += (t.data.length + 3) & ~3;
  });
  return out;
}

export class FastTrueTypeSubset {
  private readonly glyphs: number[] = [];
  private readonly mapping = new Map<number, number>();

  constructor(private readonly src: TrueTypeTables) {
    this.includeGlyph(0); // .notdef comes first
  }

  /** The glyph's id in the subset (pdfkit writes these into the content streams). */
  includeGlyph(glyph: number | { id: number }): number {
    const gid = typeof glyph === 'object' ? glyph.id : glyph;
    let id = this.mapping.get(gid);
    if (id === undefined) {
      id = this.glyphs.length;
      this.glyphs.push(gid);
      this.mapping.set(gid, id);
    }
    return id;
  }

  encode(): Buffer {
    const recs: Buffer[] = [];
    // Components of composite glyphs join the subset as the loop reaches them.
    for (let i = 0; i < this.glyphs.length; i++) {
      const g = this.src.glyph(this.glyphs[i]);
      let data = g.data;
      if (g.components) {
        data = Buffer.from(data);
        for (const c of g.components) data.writeUInt16BE(this.includeGlyph(c.gid), c.pos);
      }
      recs.push(data);
    }
    const n = this.glyphs.length;
    const loca = Buffer.alloc(4 * (n + 1));
    const hmtx = Buffer.alloc(4 * n);
    let off = 0;
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      loca.writeUInt32BE(off, 4 * i);
      const g = this.src.glyph(this.glyphs[i]);
      hmtx.writeUInt16BE(g.advance, 4 * i);
      hmtx.writeInt16BE(g.lsb, 4 * i + 2);
      const d = recs[i];
      parts.push(d);
      off += d.length;
      const pad = (4 - (d.length & 3)) & 3;
      if (pad) {
        parts.push(Buffer.alloc(pad));
        off += pad;
      }
    }
    loca.writeUInt32BE(off, 4 * n);
    const head = Buffer.from(this.src.head);
    head.writeUInt32BE(0, 8); // checkSumAdjustment: not checked by PDF readers
    head.writeInt16BE(1, 50); // long loca offsets
    const hhea = Buffer.from(this.src.hhea);
    hhea.writeUInt16BE(n, 34);
    const maxp = Buffer.from(this.src.maxp);
    maxp.writeUInt16BE(n, 4);
    return sfntFromTables([
      ['head', head],
      ['hhea', hhea],
      ['maxp', maxp],
      ['hmtx', hmtx],
      ['loca', loca],
      ['glyf', Buffer.concat(parts, off)],
      ...this.src.extra,
    ]);
  }
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
      if (f && f.font && typeof f.constructor === 'function') {
        this.shared = { ctor: f.constructor, face: f.font };
        if (this.outlines === 'TrueType') {
          // Later documents subset with FastTrueTypeSubset (see there) instead of fontkit's.
          const tables = new TrueTypeTables(this.sfnt);
          (f.font as { createSubset: () => unknown }).createSubset = () => new FastTrueTypeSubset(tables);
        }
      } else this.sharedBroken = true;
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
