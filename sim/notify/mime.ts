/**
 * A small MIME reader for the SMTP simulator: enough of RFC 2045-2047 and 2231 to read what
 * nodemailer (and most mail libraries) write: folded headers, encoded words (B and Q), multipart
 * bodies, base64 / quoted-printable / 7bit / 8bit, UTF-8 and other charsets Node's TextDecoder knows.
 */

export interface MimePart {
  headers: Record<string, string>;
  /** Lower-case media type, e.g. text/plain. */
  type: string;
  params: Record<string, string>;
  /** Decoded body (transfer encoding undone). */
  body: Buffer;
  parts: MimePart[];
}

export interface ParsedMail {
  headers: Record<string, string>;
  subject: string;
  from: string;
  to: string;
  messageId: string;
  text?: string;
  html?: string;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
}

function decodeCharset(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function qpBytes(s: string, inHeader: boolean): Buffer {
  const text = inHeader ? s.replace(/_/g, ' ') : s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...Buffer.from(c, 'latin1'));
    }
  }
  return Buffer.from(out);
}

/** RFC 2047 encoded words (=?UTF-8?B?...?= / ?Q?) in a header value. */
export function decodeWords(v: string): string {
  return v
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (_, cs: string, enc: string, data: string) =>
      decodeCharset(enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : qpBytes(data, true), cs),
    );
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  }
  return out;
}

/** `multipart/mixed; boundary="x"; name*=utf-8''%E7%A5%A8.pdf` -> type and parameters. */
function parseParams(v: string | undefined): { value: string; params: Record<string, string> } {
  if (!v) return { value: '', params: {} };
  const [head, ...rest] = v.split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const params: Record<string, string> = {};
  const continued: Record<string, string[]> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    let k = p.slice(0, i).trim().toLowerCase();
    let val = p.slice(i + 1).trim();
    if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    const m = /^(.+?)\*(\d+)?(\*)?$/.exec(k);
    if (m) {
      k = m[1];
      if (m[3] || (!m[2] && k)) {
        const enc = /^([^']*)'[^']*'(.*)$/.exec(val);
        try {
          val = decodeURIComponent(enc ? enc[2] : val); // percent-encoded UTF-8 (what nodemailer writes)
        } catch {
          /* keep it as it is */
        }
      }
      (continued[k] ??= []).push(val);
      continue;
    }
    params[k] = decodeWords(val);
  }
  for (const [k, vs] of Object.entries(continued)) params[k] = vs.join('');
  return { value: head.trim().toLowerCase(), params };
}

function decodeBody(raw: Buffer, cte: string | undefined): Buffer {
  const enc = (cte ?? '7bit').toLowerCase().trim();
  if (enc === 'base64') return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (enc === 'quoted-printable') return qpBytes(raw.toString('latin1'), false);
  return raw;
}

export function parsePart(buf: Buffer): MimePart {
  let sep = buf.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    sep = buf.indexOf('\n\n');
    sepLen = 2;
  }
  const headText = sep < 0 ? buf.toString('latin1') : buf.subarray(0, sep).toString('latin1');
  const raw = sep < 0 ? Buffer.alloc(0) : buf.subarray(sep + sepLen);
  const headers = parseHeaders(Buffer.from(headText, 'latin1').toString('utf8'));
  const ct = parseParams(headers['content-type'] ?? 'text/plain; charset=us-ascii');
  const part: MimePart = { headers, type: ct.value, params: ct.params, body: Buffer.alloc(0), parts: [] };
  if (ct.value.startsWith('multipart/') && ct.params.boundary) {
    const delim = Buffer.from(`--${ct.params.boundary}`, 'latin1');
    let at = raw.indexOf(delim);
    while (at >= 0) {
      let start = at + delim.length;
      if (raw.subarray(start, start + 2).toString() === '--') break; // closing delimiter
      start = raw.indexOf('\n', start) + 1;
      const next = raw.indexOf(delim, start);
      if (next < 0) break;
      let end = next;
      if (raw[end - 1] === 0x0a) end--;
      if (raw[end - 1] === 0x0d) end--;
      part.parts.push(parsePart(raw.subarray(start, end)));
      at = next;
    }
    return part;
  }
  part.body = decodeBody(raw, headers['content-transfer-encoding']);
  return part;
}

/** The fields of a received message that a test or an operator wants to see. */
export function parseMail(raw: Buffer): ParsedMail {
  const root = parsePart(raw);
  const out: ParsedMail = {
    headers: root.headers,
    subject: decodeWords(root.headers.subject ?? ''),
    from: decodeWords(root.headers.from ?? ''),
    to: decodeWords(root.headers.to ?? ''),
    messageId: (root.headers['message-id'] ?? '').trim(),
    attachments: [],
  };
  const walk = (p: MimePart) => {
    if (p.parts.length) return p.parts.forEach(walk);
    const disp = parseParams(p.headers['content-disposition']);
    const filename = disp.params.filename ?? p.params.name;
    if (disp.value === 'attachment' || (filename && !p.type.startsWith('text/'))) {
      out.attachments.push({ filename: filename ?? 'attachment', contentType: p.type, content: p.body });
    } else if (p.type === 'text/plain' && out.text === undefined) out.text = decodeCharset(p.body, p.params.charset);
    else if (p.type === 'text/html' && out.html === undefined) out.html = decodeCharset(p.body, p.params.charset);
  };
  walk(root);
  return out;
}
