/**
 * The 四性 checks of an archival package (DA/T 70-2018 文书类电子档案检测一般要求, DA/T 94-2022
 * 电子会计档案管理规范): authenticity (真实性), integrity (完整性), usability (可用性) and security
 * (安全性). Pure: the package's parts and the checksums the database keeps go in, a verdict per
 * check with its reasons (in Chinese) comes out. Run at archiving and by the `archive-check` schedule.
 *
 * - integrity: the manifest is there and parses; it lists every required part; every part it lists
 *   is in the package, nothing else is; it lists the parts the database recorded;
 * - authenticity: each part's SM3 (and size) matches the manifest; the SM2 signature verifies over
 *   the signed data under the hospital's public key;
 * - usability: the layout PDF parses (header, cross-reference table, trailer, pages > 0); the
 *   timeline is a JSON list; the signed data is UTF-8 text;
 * - security: the manifest's SM3 and every part's SM3 match the checksums the database keeps apart
 *   from the package (a package rewritten together with its manifest is found here). That every
 *   access is logged is the services' part (services/archive/archive.ts).
 */
import { sm2Verify, sm3Hex } from '../../common/gm';
import { parsePdfStructure } from './pdf-structure';

export const MANIFEST = 'manifest.json';
export const PARTS = { pdf: 'layout.pdf', signedData: 'signed-data.txt', signature: 'signature.txt', publicKey: 'public-key.txt', timeline: 'timeline.json' } as const;
/** Every part a package holds besides its manifest. */
export const REQUIRED_PARTS: readonly string[] = Object.values(PARTS);
export const PART_NAMES: Record<string, string> = {
  'layout.pdf': '版式文件', 'signed-data.txt': '签名原文', 'signature.txt': '签名值', 'public-key.txt': '医院公钥', 'timeline.json': '票据履历', 'manifest.json': '清单',
};
export const MANIFEST_FORMAT = 'medbill-archive/v1';

import { CHECK_NAMES, CHECK_ORDER, type CheckName, type CheckOutcome } from '../../domain/archive';
export { CHECK_NAMES, CHECK_ORDER, type CheckName, type CheckOutcome };

export interface PartSum {
  name: string;
  size: number;
  sm3: string;
}

export interface Manifest {
  format: string;
  bill: Record<string, unknown>;
  parts: PartSum[];
  archivedAt: string;
}


export interface PackageVerdict {
  ok: boolean;
  checks: CheckOutcome[];
  /** The checks that failed, in order (empty when ok). */
  failed: CheckName[];
  /** One sentence per failed check (empty when ok). */
  detail: string;
  pages?: number;
}

export const sumOf = (name: string, data: Buffer): PartSum => ({ name, size: data.length, sm3: sm3Hex(data) });
const partLabel = (n: string) => `${PART_NAMES[n] ?? n}（${n}）`;

/** Builds the manifest of a package's parts (the SM3 and size of each). */
export function buildManifest(bill: Record<string, unknown>, parts: Array<{ name: string; data: Buffer }>, archivedAt: Date): Buffer {
  const m: Manifest = { format: MANIFEST_FORMAT, bill, parts: parts.map((p) => sumOf(p.name, p.data)), archivedAt: archivedAt.toISOString() };
  return Buffer.from(JSON.stringify(m, null, 2), 'utf8');
}

/**
 * Checks one package. `files`: the parts found in the store by name (the manifest among them);
 * `stored`: what the database keeps (the manifest's SM3 and each part's SM3 at archiving).
 */
/**
 * `openSigned` opens the signed data when the package keeps it sealed (SM4, the platform's data
 * key: it holds the patient's ID number); the checksums cover the stored bytes.
 */
export function checkPackage(files: ReadonlyMap<string, Buffer>, stored: { manifestSm3: string; parts: readonly PartSum[] }, opts: { openSigned?: (stored: string) => string } = {}): PackageVerdict {
  const problems: Record<CheckName, string[]> = { authenticity: [], integrity: [], usability: [], security: [] };
  const raw = files.get(MANIFEST);
  let manifest: Manifest | undefined;
  if (!raw) problems.integrity.push('清单（manifest.json）缺失');
  else {
    try {
      const m = JSON.parse(raw.toString('utf8')) as Manifest;
      if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.parts) || !m.parts.every((p) => p && typeof p.name === 'string' && typeof p.sm3 === 'string')) throw new Error('format');
      manifest = m;
    } catch {
      problems.integrity.push('清单（manifest.json）无法解析或格式不符');
    }
  }

  // Integrity: every part present, the manifest complete.
  const listed = new Map((manifest?.parts ?? []).map((p) => [p.name, p]));
  for (const n of REQUIRED_PARTS) if (!files.has(n)) problems.integrity.push(`${partLabel(n)}缺失`);
  if (manifest) {
    for (const n of REQUIRED_PARTS) if (!listed.has(n)) problems.integrity.push(`清单未列出${partLabel(n)}`);
    for (const n of listed.keys()) if (!files.has(n) && !REQUIRED_PARTS.includes(n)) problems.integrity.push(`清单列出的${partLabel(n)}缺失`);
    for (const n of files.keys()) if (n !== MANIFEST && !listed.has(n)) problems.integrity.push(`档案包中有清单未列出的文件 ${n}`);
    const storedNames = stored.parts.map((p) => p.name).sort().join(',');
    if ([...listed.keys()].sort().join(',') !== storedNames) problems.integrity.push('清单所列的组成部分与数据库登记的不一致');
  }

  // Authenticity: each part matches the manifest; the signature verifies.
  for (const [n, p] of listed) {
    const data = files.get(n);
    if (!data) continue;
    if (sm3Hex(data) !== p.sm3 || data.length !== p.size) problems.authenticity.push(`${partLabel(n)}的 SM3 校验值与清单不符（内容被改动）`);
  }
  const text = (n: string) => files.get(n)?.toString('utf8').trim();
  const storedSigned = files.get(PARTS.signedData)?.toString('utf8');
  let signed = storedSigned;
  if (storedSigned !== undefined && opts.openSigned) {
    try {
      signed = opts.openSigned(storedSigned);
    } catch {
      signed = undefined;
      problems.authenticity.push('签名原文无法解密（数据密钥不符或内容被改动）');
    }
  }
  const [sig, pub] = [text(PARTS.signature), text(PARTS.publicKey)];
  if (signed !== undefined && sig !== undefined && pub !== undefined) {
    if (!/^[0-9a-fA-F]{128}$/.test(sig) || !/^04[0-9a-fA-F]{128}$/.test(pub) || !sm2Verify(signed, sig, pub)) problems.authenticity.push('SM2 签名验证失败：签名值与签名原文、医院公钥不符');
  }

  // Usability: the PDF parses, the timeline and signed data read.
  let pages: number | undefined;
  const pdf = files.get(PARTS.pdf);
  if (pdf) {
    const s = parsePdfStructure(pdf);
    pages = s.pages;
    for (const p of s.problems) problems.usability.push(`版式文件无法解析：${p}`);
  }
  const timeline = files.get(PARTS.timeline);
  if (timeline) {
    try {
      if (!Array.isArray(JSON.parse(timeline.toString('utf8')))) throw new Error('not a list');
    } catch {
      problems.usability.push('票据履历（timeline.json）无法解析');
    }
  }
  if (signed !== undefined && (signed.includes('\uFFFD') || !signed.trim())) problems.usability.push('签名原文不是有效的 UTF-8 文本');

  // Security: the checksums the database keeps apart from the package.
  if (raw && sm3Hex(raw) !== stored.manifestSm3) problems.security.push('清单的 SM3 校验值与数据库登记的不符（清单被改动）');
  for (const p of stored.parts) {
    const data = files.get(p.name);
    if (data && sm3Hex(data) !== p.sm3) problems.security.push(`${partLabel(p.name)}的 SM3 校验值与数据库登记的不符`);
  }

  const checks = CHECK_ORDER.map((c) => ({ check: c, name: CHECK_NAMES[c], ok: problems[c].length === 0, problems: problems[c] }));
  const failed = checks.filter((c) => !c.ok).map((c) => c.check);
  return {
    ok: failed.length === 0,
    checks,
    failed,
    detail: checks.filter((c) => !c.ok).map((c) => `${c.name}：${c.problems.join('；')}`).join('。'),
    pages,
  };
}
