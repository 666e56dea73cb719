/**
 * The 四性 checks of an archival package (four-checks.ts) on a real package: a layout PDF written by
 * pdfkit, signed data signed with SM2, stored on the local archive store. A good package passes;
 * each tampering fails with the check that must name it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import PDFDocument from 'pdfkit';
import { sm2KeyPair, sm2Sign, sm3Hex } from '../../common/gm';
import { LocalArchiveStore } from '../../adapters/archive/local-store';
import { buildManifest, checkPackage, MANIFEST, PARTS, sumOf, type PartSum } from './four-checks';
import { parsePdfStructure } from './pdf-structure';
import { checkStoredPackage, retentionEnd } from './archive';

function pdf(pages = 1): Promise<Buffer> {
  return new Promise((resolve) => {
    const doc = new PDFDocument({ size: 'A5' });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    for (let i = 0; i < pages; i++) {
      if (i) doc.addPage();
      doc.text(`Medical e-bill 0001 page ${i + 1}`);
    }
    doc.end();
  });
}

let files: Map<string, Buffer>;
let stored: { manifestSm3: string; parts: PartSum[] };
let layout: Buffer;

beforeAll(async () => {
  layout = await pdf(1);
});

beforeEach(() => {
  const k = sm2KeyPair();
  const signed = JSON.stringify({ billBatchCode: '41060126', billNo: '0000000001', totalAmt: '126.50', payer: '张三' });
  const parts = [
    { name: PARTS.pdf, data: layout },
    { name: PARTS.signedData, data: Buffer.from(signed) },
    { name: PARTS.signature, data: Buffer.from(sm2Sign(signed, k.privateKey, k.publicKey)) },
    { name: PARTS.publicKey, data: Buffer.from(k.publicKey) },
    { name: PARTS.timeline, data: Buffer.from(JSON.stringify([{ type: 'issued', actor: 'his', at: '2026-12-04T00:00:00.000Z' }])) },
  ];
  const manifest = buildManifest({ billNo: '0000000001' }, parts, new Date('2026-12-04T08:00:00Z'));
  files = new Map([...parts.map((p) => [p.name, p.data] as const), [MANIFEST, manifest]]);
  stored = { manifestSm3: sm3Hex(manifest), parts: parts.map((p) => sumOf(p.name, p.data)) };
});

const failedOf = () => checkPackage(files, stored);

test('a good package passes all four checks', () => {
  const v = failedOf();
  expect(v.failed).toEqual([]);
  expect(v.ok).toBe(true);
  expect(v.checks.map((c) => [c.name, c.ok])).toEqual([['真实性', true], ['完整性', true], ['可用性', true], ['安全性', true]]);
  expect(v.pages).toBe(1);
});

test('one PDF byte changed: authenticity fails naming the layout file (and the database checksum too)', () => {
  const b = Buffer.from(files.get(PARTS.pdf)!);
  // a byte inside a content stream: the file still parses, only its checksum tells
  const at = b.indexOf('stream') + 12;
  b[at] = b[at] ^ 0xff;
  files.set(PARTS.pdf, b);
  const v = failedOf();
  expect(v.ok).toBe(false);
  expect(v.failed).toContain('authenticity');
  expect(v.failed).not.toContain('integrity');
  expect(v.checks.find((c) => c.check === 'authenticity')!.problems.join()).toContain('版式文件（layout.pdf）的 SM3 校验值与清单不符');
  expect(v.detail).toContain('真实性');
});

test('a missing part: integrity fails naming it', () => {
  files.delete(PARTS.timeline);
  const v = failedOf();
  expect(v.failed).toEqual(['integrity']);
  expect(v.detail).toContain('票据履历（timeline.json）缺失');
});

test('a missing manifest: integrity fails', () => {
  files.delete(MANIFEST);
  const v = failedOf();
  expect(v.failed).toContain('integrity');
  expect(v.detail).toContain('清单（manifest.json）缺失');
});

test('a tampered signature: authenticity fails with the SM2 verification', () => {
  const sig = files.get(PARTS.signature)!.toString();
  files.set(PARTS.signature, Buffer.from(sig.slice(0, 10) + (sig[10] === 'a' ? 'b' : 'a') + sig.slice(11)));
  const v = failedOf();
  expect(v.failed).toContain('authenticity');
  expect(v.checks.find((c) => c.check === 'authenticity')!.problems).toContain('SM2 签名验证失败：签名值与签名原文、医院公钥不符');
});

test('signed data changed and re-hashed into the manifest: the signature still fails it, the database checksums too', () => {
  const text = files.get(PARTS.signedData)!.toString().replace('126.50', '1.50');
  files.set(PARTS.signedData, Buffer.from(text));
  const m = JSON.parse(files.get(MANIFEST)!.toString());
  m.parts = m.parts.map((p: PartSum) => (p.name === PARTS.signedData ? sumOf(p.name, Buffer.from(text)) : p));
  files.set(MANIFEST, Buffer.from(JSON.stringify(m)));
  const v = failedOf();
  expect(v.failed).toEqual(['authenticity', 'security']);
  expect(v.detail).toContain('SM2 签名验证失败');
});

test('a checksum edited in the manifest: security fails (the manifest is not the one the database recorded)', () => {
  const m = JSON.parse(files.get(MANIFEST)!.toString());
  m.parts[0].sm3 = '0'.repeat(64);
  files.set(MANIFEST, Buffer.from(JSON.stringify(m, null, 2)));
  const v = failedOf();
  expect(v.failed).toContain('security');
  expect(v.checks.find((c) => c.check === 'security')!.problems).toContain('清单的 SM3 校验值与数据库登记的不符（清单被改动）');
});

test('the PDF replaced and its manifest rewritten to match: only the checksums kept in the database find it', async () => {
  const other = await pdf(2);
  files.set(PARTS.pdf, other);
  const m = JSON.parse(files.get(MANIFEST)!.toString());
  m.parts = m.parts.map((p: PartSum) => (p.name === PARTS.pdf ? sumOf(p.name, other) : p));
  files.set(MANIFEST, Buffer.from(JSON.stringify(m, null, 2)));
  const v = failedOf();
  expect(v.failed).toEqual(['security']);
  expect(v.detail).toContain('版式文件（layout.pdf）的 SM3 校验值与数据库登记的不符');
});

test('a truncated PDF: usability fails (and authenticity)', () => {
  files.set(PARTS.pdf, files.get(PARTS.pdf)!.subarray(0, 400));
  const v = failedOf();
  expect(v.failed).toContain('usability');
  expect(v.checks.find((c) => c.check === 'usability')!.problems.join()).toContain('%%EOF');
});

test('an extra file in the package: integrity fails', () => {
  files.set('extra.bin', Buffer.from('x'));
  expect(failedOf().failed).toEqual(['integrity']);
});

describe('the PDF structure', () => {
  test('pdfkit files parse with their page count', async () => {
    expect(parsePdfStructure(await pdf(3))).toMatchObject({ ok: true, pages: 3, version: expect.stringMatching(/^1\.\d$/) });
  });
  test('no header, a broken xref, a moved object are named', () => {
    expect(parsePdfStructure(Buffer.from('hello')).problems[0]).toContain('%PDF');
    const b = Buffer.from(layout);
    const xref = b.lastIndexOf('xref');
    const broken = Buffer.concat([b.subarray(0, xref), Buffer.from('xraf'), b.subarray(xref + 4)]);
    expect(parsePdfStructure(broken).ok).toBe(false);
    const shifted = Buffer.concat([b.subarray(0, 20), Buffer.from('          '), b.subarray(20)]);
    const s = parsePdfStructure(shifted);
    expect(s.ok).toBe(false);
    expect(s.problems.join()).toMatch(/对象|startxref|交叉引用/);
  });
});

describe('the local store and a stored package', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-archive-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a package written, read back and checked; a file changed on disk is found; removed is gone', async () => {
    const store = new LocalArchiveStore(dir);
    const key = '2026/0401/41060126-0000000001';
    await store.put(key, [...files].map(([name, data]) => ({ name, data })));
    expect(await store.list(key)).toEqual([...files.keys()].sort());
    const row = { storeKey: key, manifestSm3: stored.manifestSm3, partsJson: JSON.stringify(stored.parts) };
    expect((await checkStoredPackage(store, row)).ok).toBe(true);
    const file = path.join(dir, key, PARTS.pdf);
    const b = fs.readFileSync(file);
    b[b.length - 40] ^= 1;
    fs.writeFileSync(file, b);
    expect((await checkStoredPackage(store, row)).failed).toContain('authenticity');
    await store.remove(key);
    expect(await store.list(key)).toEqual([]);
    await expect(store.put('../x', [])).rejects.toThrow(/refused/);
  });
});

test('retention: from January 1 of the year after the bill year, China time', () => {
  expect(retentionEnd(2026, 30).toISOString()).toBe('2056-12-31T16:00:00.000Z');
});
