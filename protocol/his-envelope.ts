/**
 * The de-facto HIS -> e-bill platform envelope (INTERFACES.md §1).
 * Request  { appid, data, noise, version, sign }, data = Base64(UTF-8 JSON).
 * Response { data, noise, sign }, data = Base64(JSON { result, message }), message = Base64(JSON or text).
 * sign = upper-case hex MD5 of `appid=..&data=..&noise=..&key=..&version=..` (key before version).
 */
import { createHash, randomUUID } from 'node:crypto';
import { DomainError } from '../common/errors';
import { safeEqual } from '../common/compare';
import { JsonLimitError, parseJsonBounded } from '../common/json';

export const ENVELOPE_VERSION = '1.0';

export interface RequestEnvelope {
  appid: string;
  data: string;
  noise: string;
  version: string;
  sign: string;
}

export interface ResponseEnvelope {
  data: string;
  noise: string;
  sign: string;
}

export function envelopeSign(appid: string, data: string, noise: string, key: string, version = ENVELOPE_VERSION): string {
  return createHash('md5')
    .update(`appid=${appid}&data=${data}&noise=${noise}&key=${key}&version=${version}`, 'utf8')
    .digest('hex')
    .toUpperCase();
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks the envelope's form (not the signature: that needs the app's key). */
export function parseEnvelope(body: unknown): RequestEnvelope {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainError('E0001', 'body: 请求体须为 JSON 对象 {appid, data, noise, version, sign}');
  }
  const b = body as Record<string, unknown>;
  for (const f of ['appid', 'data', 'noise', 'version', 'sign'] as const) {
    if (typeof b[f] !== 'string' || (b[f] as string).length === 0) {
      throw new DomainError('E0001', `${f}: 报文必填，须为非空文本`, f);
    }
  }
  if (b.version !== ENVELOPE_VERSION) throw new DomainError('E0001', `version: 须为 ${ENVELOPE_VERSION}`, 'version');
  if (!BASE64.test(b.data as string)) throw new DomainError('E0001', 'data: 须为 Base64 编码', 'data');
  return b as unknown as RequestEnvelope;
}

export function verifyEnvelopeSign(env: RequestEnvelope, key: string): void {
  const want = envelopeSign(env.appid, env.data, env.noise, key, env.version);
  if (!safeEqual(want, env.sign.toUpperCase())) throw new DomainError('E0002', 'sign: 签名不符（appid、data、noise、key、version 的 MD5）', 'sign');
}

/** Decodes `data` into the business request object. */
export function decodeData(env: RequestEnvelope, maxDepth = 32): Record<string, unknown> {
  const text = Buffer.from(env.data, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = parseJsonBounded(text, maxDepth);
  } catch (e) {
    if (e instanceof JsonLimitError && e.reason === 'depth') throw new DomainError('E0001', `data: ${e.message}`, 'data');
    throw new DomainError('E0001', `data: Base64 解码后不是有效的 JSON（${(e as Error).message}）`, 'data');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DomainError('E0001', 'data: 解码后须为 JSON 对象', 'data');
  }
  return parsed as Record<string, unknown>;
}

/** Builds a signed response. Without a key (unknown appid) the sign is empty: nothing to sign with. */
export function buildResponse(result: string, message: unknown, appid: string, key: string | undefined): ResponseEnvelope {
  const msg = typeof message === 'string' ? b64(message) : b64(JSON.stringify(message));
  const data = b64(JSON.stringify({ result, message: msg }));
  const noise = randomUUID();
  return { data, noise, sign: key ? envelopeSign(appid, data, noise, key) : '' };
}

/** Client side (used by tests, the bench and the HIS simulator): wraps a business request. */
export function buildRequest(appid: string, key: string, business: unknown, noise: string = randomUUID()): RequestEnvelope {
  const data = b64(JSON.stringify(business));
  return { appid, data, noise, version: ENVELOPE_VERSION, sign: envelopeSign(appid, data, noise, key) };
}

/** Client side: checks a response's sign and decodes it. */
export function openResponse(res: ResponseEnvelope, appid: string, key: string): { result: string; message: any; signOk: boolean } {
  const signOk = safeEqual(envelopeSign(appid, res.data, res.noise, key), String(res.sign ?? ''));
  const outer = JSON.parse(Buffer.from(res.data, 'base64').toString('utf8')) as { result: string; message: string };
  const text = Buffer.from(outer.message, 'base64').toString('utf8');
  let message: unknown = text;
  try {
    message = JSON.parse(text);
  } catch {
    /* plain text */
  }
  return { result: outer.result, message, signOk };
}
