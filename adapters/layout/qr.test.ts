import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import * as bwipjs from 'bwip-js';
import { qrMatrix, qrPng, qrPngBase64, QR_QUIET_ZONE } from './qr';

const URL_SHORT = 'http://127.0.0.1:8080/h5/bill/33010124/0000012345?random=a1b2c3';
const URL_LONG = `https://einvoice.example-hospital.com.cn/h5/bill/33010124/0000012345?random=a1b2c3&hospital=${'x'.repeat(200)}`;

function ihdr(png: Buffer): { width: number; height: number; bitDepth: number; colorType: number } {
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bitDepth: png[24], colorType: png[25] };
}

/** Decodes the 1-bit greyscale, unfiltered PNG that qrPng writes into rows of 0/1 (1 = dark). */
function decode(png: Buffer): number[][] {
  const { width, height } = ihdr(png);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rowBytes = Math.ceil(width / 8);
  const rows: number[][] = [];
  for (let y = 0; y < height; y++) {
    const off = y * (rowBytes + 1);
    expect(raw[off]).toBe(0);
    const row: number[] = [];
    for (let x = 0; x < width; x++) row.push(raw[off + 1 + (x >> 3)] & (0x80 >> (x & 7)) ? 0 : 1);
    rows.push(row);
  }
  return rows;
}

describe('qrPng', () => {
  it('writes a PNG whose size follows the symbol, the scale and the quiet zone', async () => {
    const png = await qrPng(URL_SHORT, 4);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    const h = ihdr(png);
    const m = qrMatrix(URL_SHORT);
    expect(h).toEqual({ width: (m.size + 2 * QR_QUIET_ZONE) * 4, height: (m.size + 2 * QR_QUIET_ZONE) * 4, bitDepth: 1, colorType: 0 });
    expect(png.toString('latin1', png.length - 8, png.length - 4)).toBe('IEND');
  });

  it('grows with the length of the text', async () => {
    const small = ihdr(await qrPng('abc', 3)).width;
    const mid = ihdr(await qrPng(URL_SHORT, 3)).width;
    const big = ihdr(await qrPng(URL_LONG, 3)).width;
    expect(small).toBeLessThan(mid);
    expect(mid).toBeLessThan(big);
  });

  it('draws exactly the modules bwip-js encodes (level M), scaled, inside a white quiet zone', async () => {
    const scale = 3;
    const rows = decode(await qrPng(URL_SHORT, scale));
    const sym = (bwipjs.raw('qrcode', URL_SHORT, 'eclevel=M') as Array<{ pixs: number[]; pixx: number }>)[0];
    const n = sym.pixx;
    const q = QR_QUIET_ZONE;
    for (let y = 0; y < rows.length; y++) {
      for (let x = 0; x < rows.length; x++) {
        const my = Math.floor(y / scale) - q;
        const mx = Math.floor(x / scale) - q;
        const inside = my >= 0 && my < n && mx >= 0 && mx < n;
        expect([y, x, rows[y][x]]).toEqual([y, x, inside ? sym.pixs[my * n + mx] : 0]);
      }
    }
  });

  it('gives base64 without a data: prefix', async () => {
    const b64 = await qrPngBase64(URL_SHORT);
    expect(b64.startsWith('data:')).toBe(false);
    expect(Buffer.from(b64, 'base64').equals(await qrPng(URL_SHORT))).toBe(true);
  });

  it('rejects empty text and silly scales', async () => {
    await expect(qrPng('')).rejects.toThrow(/empty/);
    await expect(qrPng('x', 0)).rejects.toThrow(/scale/);
  });

  // No timing test here: inside jest's vm sandbox bwip-js runs ~15x slower than in plain Node
  // (about 65 ms against 5 ms a code), so a time measured here says nothing about production.

  // zbarimg is installed by scripts/test.sh (zbar-tools): a real decoder reads the code back.
  it('scans back to the text (zbarimg)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'qr-'));
    try {
      const file = path.join(dir, 'qr.png');
      writeFileSync(file, await qrPng(URL_SHORT, 4));
      const out = execFileSync('zbarimg', ['-q', '--raw', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(out.trim()).toBe(URL_SHORT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
