/** JSON over global fetch with a timeout, and errors that name the gateway but never a secret. */

export interface JsonAnswer {
  status: number;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
  text: string;
}

/** The URL without query string (WeChat puts the secret and access token there). */
export function redact(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? url : `${url.slice(0, i)}?…`;
}

export async function fetchJson(what: string, url: string, init: { method: 'GET' | 'POST'; body?: unknown; timeoutMs: number }): Promise<JsonAnswer> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json; charset=utf-8' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    text = await res.text();
  } catch (e) {
    throw new Error(`${what} ${redact(url)}: ${describeFetchError(e, init.timeoutMs)}`);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

export function describeFetchError(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string; name?: string } };
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms (timeout)`;
  if (err?.name === 'AbortError') return 'request aborted';
  const cause = err?.cause;
  if (cause?.code) return `unreachable (${cause.code})`;
  return `request failed (${cause?.message ?? err?.message ?? String(e)})`;
}

export function snippet(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t || '(empty body)';
}
