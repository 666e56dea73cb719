/**
 * QR codes for bills: the PNG handed back to HIS on the synchronous issuance answer, and the
 * module matrix that the layout file draws as vectors.
 *
 * bwip-js encodes the symbol (`raw`, error correction level M); the PNG is then written here as a
 * 1-bit greyscale image. That is the same picture `bwipjs.toBuffer({ bcid: 'qrcode', scale,
 * eclevel: 'M' })` draws, plus a quiet zone, at about half its cost: bwip-js's own drawing
 * rasterises through its generic graphics emulation, which took as long as the encoding itself.
 */
import * as bwipjs from 'bwip-js';
import { deflateSync } from 'node:zlib';

/** A QR symbol: `size` × `size` modules, row-major, true = dark. */
export interface QrMatrix {
  size: number;
  dark: Uint8Array;
}

/** White modules around the symbol; ISO/IEC 18004 asks for 4. */
export const QR_QUIET_ZONE = 4;

// The same text is often encoded twice in a row (HIS answer, then the layout file, or a retry of
// the same request), and encoding costs milliseconds: keep the last few matrices.
const CACHE_MAX = 512;
const cache = new Map<string, QrMatrix>();

/** Encodes `text` as a QR code (level M) and returns its module matrix. */
export function qrMatrix(text: string): QrMatrix {
  const hit = cache.get(text);
  if (hit) {
    // Refresh its place in the insertion order (least recently used goes first).
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  if (text === '') throw new Error('qrMatrix: empty text');
  const raw = bwipjs.raw('qrcode', text, 'eclevel=M') as Array<{ pixs: number[]; pixx: number; pixy: number }>;
  const sym = raw[0];
  if (!sym || !sym.pixs || sym.pixx !== sym.pixy) throw new Error('qrMatrix: unexpected bwip-js output');
  const m: QrMatrix = { size: sym.pixx, dark: Uint8Array.from(sym.pixs) };
  cache.set(text, m);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  return m;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Writes a QR matrix as a black-on-white 1-bit PNG, `scale` pixels per module. */
export function matrixToPng(m: QrMatrix, scale: number, quiet = QR_QUIET_ZONE): Buffer {
  const modules = m.size + 2 * quiet;
  const width = modules * scale;
  const rowBytes = Math.ceil(width / 8);
  // One filter byte (0 = none) then the row; 1 = white, 0 = black in greyscale.
  const raw = Buffer.alloc((rowBytes + 1) * width);
  const row = Buffer.alloc(rowBytes);
  for (let my = 0; my < modules; my++) {
    row.fill(0xff);
    const y = my - quiet;
    if (y >= 0 && y < m.size) {
      for (let x = 0; x < m.size; x++) {
        if (!m.dark[y * m.size + x]) continue;
        const px0 = (x + quiet) * scale;
        for (let px = px0; px < px0 + scale; px++) row[px >> 3] &= ~(0x80 >> (px & 7));
      }
    }
    for (let s = 0; s < scale; s++) {
      const at = (my * scale + s) * (rowBytes + 1);
      raw[at] = 0;
      row.copy(raw, at + 1);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG of the QR code for `text`, `scale` pixels per module (default 4), with a quiet zone. */
export async function qrPng(text: string, scale = 4): Promise<Buffer> {
  if (!Number.isInteger(scale) || scale < 1 || scale > 32) throw new Error(`qrPng: scale must be an integer 1..32, got ${scale}`);
  return matrixToPng(qrMatrix(text), scale);
}

/** The same PNG as base64 text, without a `data:` prefix. */
export async function qrPngBase64(text: string, scale?: number): Promise<string> {
  return (await qrPng(text, scale)).toString('base64');
}
