/**
 * HTTP hardening for every answer of the API, the console and the H5 page (issue 13 point 8):
 * - security headers: a Content-Security-Policy that allows only this origin (inline styles for
 *   Element Plus, data: images for QR codes, same-origin frames for the bill's PDF preview),
 *   `frame-ancestors 'self'` and X-Frame-Options SAMEORIGIN against clickjacking, nosniff,
 *   Referrer-Policy no-referrer, and HSTS when the request came over HTTPS;
 * - state-changing console requests (POST, PUT, PATCH, DELETE under /api/) carry JSON bodies only
 *   (415 otherwise) and, when the browser names an Origin, it must be this API's own (403):
 *   a page on another site cannot drive a signed-in console. The one upload (the 在线开具 Excel
 *   import) takes its .xlsx type instead, which a browser sends cross-site only after a CORS
 *   preflight this API never grants, so it is as safe as JSON. The HIS interface and the payment
 *   notices are machine endpoints outside /api/ with their own signatures.
 */
import type { Context, Next } from 'koa';
import { HttpError, sendError } from './http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'SAMEORIGIN');
  ctx.set('Referrer-Policy', 'no-referrer');
  if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  await next();
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** Console routes whose body is a file, with the one type each takes. */
const UPLOADS: Record<string, string> = { '/api/online-issue/import': XLSX_TYPE };

/** Origins a console write may come from: the request's own, and the configured public URL's. */
export function consoleWriteGuard(publicUrl: string) {
  const publicOrigin = (() => {
    try {
      return new URL(publicUrl).origin;
    } catch {
      return undefined;
    }
  })();
  return async (ctx: Context, next: Next): Promise<void> => {
    if (WRITES.has(ctx.method) && ctx.path.startsWith('/api/')) {
      const origin = ctx.get('origin');
      if (origin && origin !== ctx.origin && origin !== publicOrigin) {
        return sendError(ctx, new HttpError(403, 'E0005', `Origin: 不接受来自 ${origin.slice(0, 100)} 的请求`, 'Origin'));
      }
      const hasBody = Number(ctx.get('content-length') || 0) > 0 || !!ctx.get('transfer-encoding');
      const upload = UPLOADS[ctx.path];
      if (hasBody && upload && !ctx.is(upload)) {
        return sendError(ctx, new HttpError(415, 'E0010', 'Content-Type: 请上传 .xlsx 文件（Excel 工作簿）', 'Content-Type'));
      }
      if (hasBody && !upload && !ctx.is('application/json')) {
        return sendError(ctx, new HttpError(415, 'E0010', 'Content-Type: 请求体须为 JSON（application/json）', 'Content-Type'));
      }
    }
    await next();
  };
}
