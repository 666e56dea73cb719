/**
 * The usability (可用性) of an archived layout file: the PDF parses. No PDF parser is among the
 * platform's dependencies (pdfkit writes, it does not read), so this reads the structure a reader
 * needs first: the `%PDF-x.y` header, `startxref` and `%%EOF` at the end, the cross-reference table
 * (each entry in use pointing at its `n g obj`) or a cross-reference stream, the trailer's /Root,
 * the catalog's /Pages and its /Count (more than zero). Content streams are not decoded: a changed
 * byte inside one is the authenticity check's to find (SM3), not this one's.
 */

export interface PdfStructure {
  ok: boolean;
  version?: string;
  pages: number;
  objects: number;
  /** What is wrong, in Chinese (empty when ok). */
  problems: string[];
}

const latin1 = (b: Buffer, from: number, to: number) => b.toString('latin1', Math.max(0, from), Math.min(b.length, to));

/** The dictionary text of object `num` at `offset` (up to its `endobj`), or undefined. */
function objectAt(buf: Buffer, offset: number, num?: number): string | undefined {
  const head = latin1(buf, offset, offset + 64);
  const m = /^\s*(\d+)\s+(\d+)\s+obj\b/.exec(head);
  if (!m || (num !== undefined && Number(m[1]) !== num)) return undefined;
  const end = buf.indexOf('endobj', offset, 'latin1');
  const stream = buf.indexOf('stream', offset, 'latin1');
  const stop = end < 0 ? offset + 4096 : stream >= 0 && stream < end ? stream : end;
  return latin1(buf, offset, stop);
}

const ref = (dict: string, key: string): number | undefined => {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+(\\d+)\\s+R`).exec(dict);
  return m ? Number(m[1]) : undefined;
};

export function parsePdfStructure(buf: Buffer): PdfStructure {
  const problems: string[] = [];
  const fail = (p: string, extra: Partial<PdfStructure> = {}): PdfStructure => ({ ok: false, pages: 0, objects: 0, ...extra, problems: [...problems, p] });
  if (!buf.length) return fail('版式文件为空');
  const header = /^%PDF-(\d\.\d)/.exec(latin1(buf, 0, 16));
  if (!header) return fail('版式文件缺少 %PDF 文件头');
  const version = header[1];
  const tail = latin1(buf, buf.length - 2048, buf.length);
  if (!/%%EOF\s*$/.test(tail)) return fail('版式文件缺少 %%EOF 结束标记（文件不完整）', { version });
  const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!sx) return fail('版式文件缺少 startxref（交叉引用表位置）', { version });
  const xrefAt = Number(sx[1]);
  if (!(xrefAt > 0 && xrefAt < buf.length)) return fail(`startxref 指向文件之外（${xrefAt}）`, { version });

  const offsets = new Map<number, number>();
  let trailer: string;
  if (latin1(buf, xrefAt, xrefAt + 4) === 'xref') {
    const tIdx = buf.indexOf('trailer', xrefAt, 'latin1');
    if (tIdx < 0) return fail('交叉引用表后缺少 trailer', { version });
    const lines = latin1(buf, xrefAt + 4, tIdx).split(/\r\n|\r|\n/).map((l) => l.trim()).filter(Boolean);
    for (let i = 0; i < lines.length; ) {
      const sub = /^(\d+)\s+(\d+)$/.exec(lines[i]);
      if (!sub) return fail(`交叉引用表格式错误（「${lines[i].slice(0, 20)}」）`, { version });
      const [start, count] = [Number(sub[1]), Number(sub[2])];
      for (let k = 0; k < count; k++) {
        const e = /^(\d{10})\s+(\d{5})\s+([nf])$/.exec(lines[i + 1 + k] ?? '');
        if (!e) return fail(`交叉引用表第 ${start + k} 项格式错误`, { version });
        if (e[3] === 'n') offsets.set(start + k, Number(e[1]));
      }
      i += 1 + count;
    }
    trailer = latin1(buf, tIdx, tIdx + 1024);
    for (const [num, off] of offsets) {
      if (off >= buf.length || !objectAt(buf, off, num)) {
        problems.push(`交叉引用表中第 ${num} 号对象的位置（${off}）不是该对象`);
        if (problems.length >= 3) break;
      }
    }
  } else {
    const xs = objectAt(buf, xrefAt);
    if (!xs || !/\/Type\s*\/XRef\b/.test(xs)) return fail('startxref 处既不是交叉引用表也不是交叉引用流', { version });
    trailer = xs;
  }
  const rootNum = ref(trailer, 'Root');
  if (rootNum === undefined) return fail('trailer 中缺少 /Root（文档目录）', { version, objects: offsets.size });

  let pages = 0;
  const rootOff = offsets.get(rootNum);
  const catalog = rootOff !== undefined ? objectAt(buf, rootOff, rootNum) : undefined;
  if (offsets.size && !catalog) return fail(`找不到文档目录对象（第 ${rootNum} 号）`, { version, objects: offsets.size });
  if (catalog) {
    const pagesNum = ref(catalog, 'Pages');
    const pagesOff = pagesNum === undefined ? undefined : offsets.get(pagesNum);
    const tree = pagesOff === undefined ? undefined : objectAt(buf, pagesOff, pagesNum);
    if (!tree) return fail('文档目录中缺少页面树（/Pages）', { version, objects: offsets.size });
    const count = /\/Count\s+(\d+)/.exec(tree);
    pages = count ? Number(count[1]) : 0;
  } else {
    // A cross-reference stream (objects may sit compressed in object streams): count the page objects.
    pages = (latin1(buf, 0, buf.length).match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length;
  }
  if (!(pages > 0)) return fail('版式文件没有页面（页数为 0）', { version, objects: offsets.size });
  return { ok: problems.length === 0, version, pages, objects: offsets.size, problems };
}
