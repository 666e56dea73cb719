/**
 * 印章管理 on the real stack (issue 15 point 2):
 * - before any seal, a bill prints the seal drawn from the hospital's name (no image in its PDF);
 * - finance adds the finance seal (a PNG); a bill issued then prints that image and records it;
 *   a second seal valid at the same time is refused (409 E0070); bad images and fields are refused
 *   naming the field; a cashier cannot read the seals;
 * - the seal is replaced (the old one ended, a new one from now): the next bill prints the new one,
 *   and the earlier bill's layout file is byte for byte what it was;
 * - the preview renders a sample bill with the seal.
 * Own platform: the seals change what every bill of the platform prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { qrPngBase64 } from '../adapters/layout/qr';
import { apiCall, eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
let fin: string;
beforeAll(async () => {
  p = await startPlatform({}, { own: true });
  fin = await signIn(p.baseUrl, 'finance', 'finance123');
});
afterAll(async () => {
  await p?.stop();
});

const call = (method: string, url: string, body?: unknown, cookie = fin) => apiCall(p.baseUrl, cookie, method, url, body);

/** Issues a bill and waits for its layout file: its row (seal, file) and the file's bytes. */
async function issuedWithLayout() {
  const b = await p.his.issueOutpatient();
  const row = await eventually(async () => {
    const [r] = (await p.orm.em.fork().getConnection().execute('select id, seal_id, layout_path, layout_sha256 from bill where bill_batch_code = ? and bill_no = ?', [b.billBatchCode, b.billNo])) as Array<Record<string, any>>;
    return r?.layout_path && r;
  }, 'the layout file');
  return { row, pdf: fs.readFileSync(path.join(p.dataDir, row.layout_path)) };
}
const hasImage = (pdf: Buffer) => pdf.includes(Buffer.from('/Subtype /Image'));
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString();

test('bills print the finance seal valid at their issue time; a later seal never changes an issued PDF', async () => {
  const before = await issuedWithLayout();
  expect(before.row.seal_id).toBeNull();
  expect(hasImage(before.pdf)).toBe(false);

  const imageA = await qrPngBase64('财务专用章 A', 8);
  for (const [body, field] of [
    [{ kind: 'finance', name: '财务专用章', code: 'CW-1', imageBase64: Buffer.from('GIF89a not a png').toString('base64'), validFrom: day(-1) }, 'imageBase64'],
    [{ kind: 'stamp', name: '财务专用章', code: 'CW-1', imageBase64: imageA, validFrom: day(-1) }, 'kind'],
    [{ kind: 'finance', name: '财务专用章', code: 'CW 1', imageBase64: imageA, validFrom: day(-1) }, 'code'],
    [{ kind: 'finance', name: '财务专用章', code: 'CW-1', imageBase64: imageA, validFrom: day(1), validTo: day(0) }, 'validTo'],
    [{ kind: 'finance', name: '财务专用章', code: 'CW-1', imageBase64: imageA, validFrom: day(-1), keyId: 'OTHER-KEY' }, 'keyId'],
  ] as const) {
    const r = await call('POST', '/api/seals', body);
    expect([r.status >= 400 && r.status < 500, r.body.error?.field]).toEqual([true, field]);
  }
  const a = await call('POST', '/api/seals', { kind: 'finance', name: '财务专用章', code: 'CW-1', imageBase64: imageA, validFrom: day(-1) });
  expect(a.status).toBe(201);
  expect(a.body).toMatchObject({ kind: 'finance', kindName: '财务专用章', printedOnBills: true, state: 'valid', stateName: '有效', keyId: 'H44000001', bills: 0 });
  expect(JSON.stringify(a.body)).not.toContain(imageA.slice(0, 40)); // the list carries a link, not the image

  const clash = await call('POST', '/api/seals', { kind: 'finance', name: '财务专用章（新）', code: 'CW-2', imageBase64: imageA, validFrom: day(0) });
  expect(clash.status).toBe(409);
  expect(clash.body.error).toMatchObject({ code: 'E0070', field: 'validFrom' });

  const withA = await issuedWithLayout();
  expect(withA.row.seal_id).toBe(a.body.id);
  expect(hasImage(withA.pdf)).toBe(true);

  // Replace the seal: A ends now, B starts now with another image.
  const now = new Date().toISOString();
  expect((await call('PUT', `/api/seals/${a.body.id}`, { kind: 'finance', name: '财务专用章', code: 'CW-1', validFrom: day(-1), validTo: now })).status).toBe(200);
  const b = await call('POST', '/api/seals', { kind: 'finance', name: '财务专用章', code: 'CW-2', imageBase64: await qrPngBase64('财务专用章 B（换章）', 8), validFrom: now });
  expect(b.status).toBe(201);
  const withB = await issuedWithLayout();
  expect(withB.row.seal_id).toBe(b.body.id);
  expect(hasImage(withB.pdf)).toBe(true);
  // The bill issued under A keeps its file exactly.
  const again = fs.readFileSync(path.join(p.dataDir, withA.row.layout_path));
  expect(again.equals(withA.pdf)).toBe(true);
  expect((await call('GET', '/api/seals')).body.items.find((s: { id: number }) => s.id === a.body.id)).toMatchObject({ state: 'expired', stateName: '已失效', bills: 1 });

  const img = await fetch(`${p.baseUrl}/api/seals/${b.body.id}/image`, { headers: { cookie: fin } });
  expect(img.headers.get('content-type')).toBe('image/png');
  const preview = await fetch(`${p.baseUrl}/api/seals/${b.body.id}/preview`, { headers: { cookie: fin } });
  expect(preview.headers.get('content-type')).toBe('application/pdf');
  const pv = Buffer.from(await preview.arrayBuffer());
  expect(pv.subarray(0, 5).toString()).toBe('%PDF-');
  expect(hasImage(pv)).toBe(true);

  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  expect((await call('GET', '/api/seals', undefined, cashier)).status).toBe(403);
  const sys = await signIn(p.baseUrl, 'sysadmin', 'Sysadmin#2026');
  expect((await call('GET', '/api/seals', undefined, sys)).status).toBe(200);
});
