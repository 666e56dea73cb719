/** The exchange log's result code of a failed outside call: the platform's code when it answered, else 'timeout' or 'error'. */
export function failureCode(err: unknown): string {
  const e = err as { channelCode?: unknown; providerCode?: unknown; code?: unknown; message?: unknown; name?: unknown };
  for (const c of [e?.channelCode, e?.providerCode]) if (typeof c === 'string' && c) return c.slice(0, 32);
  const msg = typeof e?.message === 'string' ? e.message : '';
  if (e?.name === 'TimeoutError' || /timeout|no answer within/i.test(msg)) return 'timeout';
  const http = /HTTP[ _](\d{3})/.exec(msg);
  if (http) return http[1]!;
  if (typeof e?.code === 'string' && e.code && !/^E\d{4}$/.test(e.code)) return e.code.slice(0, 32);
  return 'error';
}
