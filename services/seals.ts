/**
 * 印章管理 (issue 15 point 2): the hospital's seals as images with their name, code, validity and
 * the signing key they go with.
 * - Input is checked before anything is stored: a real PNG (signature, IHDR, 32-2048 px a side,
 *   at most 512 KB), kind `finance` (财务专用章, printed on bills) or `unit` (单位公章), the
 *   hospital's signing key id, a validity that does not overlap another seal of the same kind
 *   (a bill must have exactly one seal valid at its issue time: 409 E0070 otherwise).
 * - The bill's layout (services/delivery.ts) prints the finance seal valid at the bill's issue time
 *   and records it (bill.seal_id); the layout file is written once, so changing a seal later never
 *   changes an issued bill's PDF. Without one, the seal drawn from the hospital's name is printed.
 * - A preview renders a sample bill with the seal (the same renderer as every bill).
 */
import { createHash } from 'node:crypto';
import { fieldError, DomainError } from '../common/errors';
import { insertSeal, overlappingSeals, sealById, sealValidAt, updateSeal, type SealFields, type SealRow } from '../orm/repositories/seals';
import type { Db } from '../orm/repositories/db';
import type { LayoutBill } from '../adapters/layout/render-bill-pdf';

export const SEAL_KINDS: Record<string, string> = { finance: '财务专用章', unit: '单位公章' };
/** The kind a bill prints. */
export const BILL_SEAL_KIND = 'finance';
export const MAX_SEAL_BYTES = 512 * 1024;

/** Width and height of a PNG, or undefined when the bytes are no PNG. */
export function pngSize(b: Buffer): { width: number; height: number } | undefined {
  const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (b.length < 33 || !b.subarray(0, 8).equals(SIG) || b.subarray(12, 16).toString('latin1') !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const CODE = /^[A-Za-z0-9_-]{1,64}$/;
function dateOf(v: unknown, field: string, required: boolean): Date | null {
  if (v === undefined || v === null || v === '') {
    if (required) throw fieldError(field, '请填写日期');
    return null;
  }
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) throw fieldError(field, '日期格式应为 YYYY-MM-DD 或 ISO 时间');
  const d = new Date(v.length === 10 ? `${v}T00:00:00+08:00` : v);
  if (Number.isNaN(d.getTime())) throw fieldError(field, '不是有效的日期');
  return d;
}

/** The seal form, typed and bounded; `old` keeps the image when none is sent on an edit. */
export function parseSealInput(b: Record<string, unknown>, hospitalKeyId: string, old?: SealRow): SealFields {
  const text = (f: string, max: number) => {
    const v = b[f];
    const s = typeof v === 'string' ? v.trim() : '';
    if (!s) throw fieldError(f, '必填');
    if (s.length > max) throw fieldError(f, `至多 ${max} 个字符`);
    return s;
  };
  const kind = text('kind', 16);
  if (!SEAL_KINDS[kind]) throw fieldError('kind', '须为 finance（财务专用章）或 unit（单位公章）');
  const name = text('name', 64);
  const code = text('code', 64);
  if (!CODE.test(code)) throw fieldError('code', '印章编码须为字母、数字、_ 或 -');
  const keyId = typeof b.keyId === 'string' && b.keyId.trim() ? b.keyId.trim() : hospitalKeyId;
  if (keyId !== hospitalKeyId) throw fieldError('keyId', `须为本院的签名密钥 ${hospitalKeyId}`);
  let imageBase64 = old?.image_base64;
  if (b.imageBase64 !== undefined && b.imageBase64 !== null && b.imageBase64 !== '') {
    if (typeof b.imageBase64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b.imageBase64.replace(/^data:image\/png;base64,/, ''))) throw fieldError('imageBase64', '须为 PNG 图片的 Base64');
    const raw = Buffer.from(b.imageBase64.replace(/^data:image\/png;base64,/, ''), 'base64');
    if (raw.length > MAX_SEAL_BYTES) throw fieldError('imageBase64', `图片不能超过 ${MAX_SEAL_BYTES / 1024} KB`);
    const size = pngSize(raw);
    if (!size) throw new DomainError('E0070', 'imageBase64: 不是 PNG 图片（请上传透明背景的 PNG 印章图片）', 'imageBase64');
    if (size.width < 32 || size.height < 32 || size.width > 2048 || size.height > 2048) throw new DomainError('E0070', `imageBase64: 图片尺寸 ${size.width}×${size.height}，须在 32 至 2048 像素之间`, 'imageBase64');
    imageBase64 = raw.toString('base64');
  }
  if (!imageBase64) throw fieldError('imageBase64', '请上传印章图片（PNG）');
  const validFrom = dateOf(b.validFrom, 'validFrom', true)!;
  const validTo = dateOf(b.validTo, 'validTo', false);
  if (validTo && validTo <= validFrom) throw fieldError('validTo', '有效期止须晚于有效期起');
  return { kind, name, code, keyId, imageBase64, imageSha256: createHash('sha256').update(Buffer.from(imageBase64, 'base64')).digest('hex'), validFrom, validTo };
}

/** Stores a new seal or an edit, refusing a validity that meets another seal of the kind. */
export async function saveSeal(db: Db, hospitalId: number, fields: SealFields, actor: string, id?: number, now = new Date()): Promise<number> {
  const clash = await overlappingSeals(db, hospitalId, fields.kind, fields.validFrom, fields.validTo, id ?? 0);
  if (clash.length) throw new DomainError('E0070', `validFrom: 与印章 ${clash.map((c) => c.code).join('、')} 的有效期重叠：同一种印章同一时间只能有一枚有效（先设置原印章的有效期止）`, 'validFrom');
  if (id) {
    await updateSeal(db, id, fields, actor, now);
    return id;
  }
  return insertSeal(db, hospitalId, fields, actor, now);
}

export const sealOf = (db: Db, id: number) => sealById(db, id);

/** The seal a bill issued at `issuedAt` prints, if one is valid then. */
export async function billSeal(db: Db, hospitalId: number, issuedAt: Date): Promise<{ id: number; pngBase64: string } | undefined> {
  const s = await sealValidAt(db, hospitalId, BILL_SEAL_KIND, issuedAt);
  return s ? { id: s.id, pngBase64: s.image_base64 } : undefined;
}

/** A sample bill for the preview (the hospital's name, a few items, 样票). */
export function sampleBill(hospitalName: string, seal: { pngBase64: string } | undefined): LayoutBill {
  return {
    hospitalName,
    regionName: '',
    billKindName: '医疗门诊收费票据（电子）',
    billBatchCode: '00000000',
    billNo: '0000000000',
    random: '000000',
    issuedAt: new Date(),
    payer: '样票（预览）',
    patientNo: 'P0000',
    busNo: 'PREVIEW',
    busType: '02',
    busTypeName: '门诊',
    payee: '收款人',
    author: '开票人',
    totalAmt: '36.50',
    totalAmtChinese: '叁拾陆元伍角',
    items: [{ name: '挂号费', amt: '10.00' }, { name: '化验费', amt: '26.50' }],
    payments: [{ channelName: '现金', amount: '36.50' }],
    placeName: '示例开票点',
    h5Url: 'https://example.invalid/preview',
    state: 'normal',
    isScarlet: false,
    signatureHex: '0'.repeat(128),
    remark: '样票，仅供预览印章效果',
    ...(seal ? { sealImage: { pngBase64: seal.pngBase64 } } : {}),
  };
}
