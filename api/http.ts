/** Small HTTP helpers: a bounded body reader and the one place errors become HTTP answers. */
import type { Context } from 'koa';
import { DomainError } from '../common/errors';
import { JsonLimitError, parseJsonBounded } from '../common/json';

/** Body size and JSON depth bounds of every endpoint (cfg.his.maxBodyBytes / maxJsonDepth, set by createApp). */
export const bodyLimits = { maxBytes: 5 * 1024 * 1024, maxDepth: 32 };

/** Reads the body as bytes, refusing one larger than `limit` bytes (HTTP 413, E0001) before reading it all. */
export async function readRawBody(ctx: Context, limit = bodyLimits.maxBytes): Promise<Buffer> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, 'E0001', `body: 请求体超过 ${limit} 字节`, 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'E0001', `body: 请求体超过 ${limit} 字节`, 'body');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads the body as UTF-8 text, bounded as readRawBody. */
export async function readBody(ctx: Context, limit = bodyLimits.maxBytes): Promise<string> {
  return (await readRawBody(ctx, limit)).toString('utf8');
}

/** A JSON body, bounded in size and depth: too big 413, too deep or not JSON 400 (E0001, field `body`). */
export async function readJson(ctx: Context): Promise<unknown> {
  const text = await readBody(ctx);
  if (!text.trim()) return {};
  try {
    return parseJsonBounded(text, bodyLimits.maxDepth);
  } catch (e) {
    if (e instanceof JsonLimitError && e.reason === 'depth') throw new HttpError(400, 'E0001', `body: ${e.message}`, 'body');
    throw new DomainError('E0001', `body: 请求体不是有效的 JSON（${(e as Error).message}）`, 'body');
  }
}

const HTTP_STATUS: Partial<Record<DomainError['code'], number>> = {
  E0004: 401,
  E0005: 403,
  E0006: 423,
  E0007: 429,
  E0008: 403,
  E0009: 403,
  E0015: 401,
  E0016: 403,
  E0030: 404,
  E0013: 409,
  E0014: 404,
  E0031: 409,
  E0050: 503,
  E0065: 409,
  E0066: 409,
  E0067: 409,
  E0068: 409,
  E0070: 409,
  E0090: 404,
  E0091: 422,
  E0092: 409,
  E0093: 409,
  E0094: 409,
  E0095: 409,
};

/** Console / JSON API error answer: {error: {code, message, field}}. */
export function sendError(ctx: Context, e: unknown): void {
  if (e instanceof DomainError) {
    ctx.status = (e as DomainError & { status?: number }).status ?? HTTP_STATUS[e.code] ?? 400;
    ctx.body = { error: e.toJSON() };
    return;
  }
  ctx.status = 500;
  ctx.body = { error: { code: 'E9999', message: '内部错误' } };
  ctx.app.emit('error', e, ctx);
}

/**
 * A JSON route whose answer is never cached (system management, the logs): `fn`'s value is the
 * body with `status`; a thrown error is answered by sendError.
 */
export const noStoreRoute = (fn: (ctx: Context) => Promise<unknown>, status = 200) => async (ctx: Context): Promise<void> => {
  try {
    const body = await fn(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = status;
    ctx.body = body;
  } catch (e) {
    sendError(ctx, e);
  }
};

export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    code: DomainError['code'],
    message: string,
    field?: string,
  ) {
    super(code, message, field);
  }
}
