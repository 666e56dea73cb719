/**
 * A small fetch wrapper for the medbill API.
 *
 * - sends the session cookie (same origin), speaks JSON;
 * - turns `{ error: { code, message, field } }` answers into an {@link ApiError} whose message is
 *   the one a person reads (the field's Chinese name instead of its key: utils/error-text.ts);
 * - shows the API's message in an ElMessage unless the caller asks for silence;
 * - on 401 hands over to the handler registered by main.ts (clears the session and opens the login page).
 */
import { ElMessage } from 'element-plus';
import { displayMessage } from '@/utils/error-text';

export const API_BASE = '/api';
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  /** The API's own message (`field: reason`), for logs and the integrator. */
  readonly apiMessage: string;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(displayMessage(message, field));
    this.apiMessage = message;
    this.name = 'ApiError';
  }
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Do not show the error in an ElMessage (the caller shows it itself). */
  silent?: boolean;
  /** On 401 do not go to the login page (login itself, the session probe). */
  skipAuthRedirect?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** A file sent as the body with its own type (the one upload: the 在线开具 Excel import), instead of `body`. */
  upload?: { data: Blob; type: string };
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler | undefined;
let onPasswordChange: UnauthorizedHandler | undefined;

/** Registered once by main.ts: a 403 E0008 (the password expired or was reset meanwhile) opens the change-password page. */
export function setPasswordChangeHandler(handler: UnauthorizedHandler): void {
  onPasswordChange = handler;
}

let onMfaEnrolment: UnauthorizedHandler | undefined;

/** Registered once by main.ts: a 403 E0009 (a second factor must be enrolled first) opens the 双因素认证 page. */
export function setMfaEnrolmentHandler(handler: UnauthorizedHandler): void {
  onMfaEnrolment = handler;
}

/** Registered once by main.ts; keeps this module free of router and store imports. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

export function buildQuery(query?: Record<string, QueryValue>): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function statusMessage(status: number): string {
  switch (status) {
    case 400:
      return '请求参数有误';
    case 401:
      return '登录已过期，请重新登录';
    case 403:
      return '没有权限执行该操作';
    case 404:
      return '请求的资源不存在';
    case 502:
    case 503:
    case 504:
      return '服务暂时不可用，请稍后重试';
    default:
      return status >= 500 ? `服务器内部错误（HTTP ${status}）` : `请求失败（HTTP ${status}）`;
  }
}

function isErrorBody(v: unknown): v is { error: ApiErrorBody } {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as ApiErrorBody).message === 'string';
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

let lastToast = { text: '', at: 0 };
function toast(text: string): void {
  // The same failure from parallel requests is shown once.
  const now = Date.now();
  if (text === lastToast.text && now - lastToast.at < 1500) return;
  lastToast = { text, at: now };
  ElMessage({ type: 'error', message: text, grouping: true, showClose: true });
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', query, body, silent = false, skipAuthRedirect = false } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.upload) headers['Content-Type'] = options.upload.type;
  else if (body !== undefined) headers['Content-Type'] = 'application/json';

  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}${buildQuery(query)}`, {
      method,
      headers,
      body: options.upload ? options.upload.data : body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: controller.signal,
    });
  } catch (cause) {
    if (options.signal?.aborted) throw cause; // cancelled by the caller: not an error to show
    const timedOut = controller.signal.reason instanceof DOMException && controller.signal.reason.name === 'TimeoutError';
    const err = new ApiError(0, timedOut ? 'TIMEOUT' : 'NETWORK', timedOut ? '请求超时，请稍后重试' : '网络异常，无法连接到服务器');
    if (!silent) toast(err.message);
    throw err;
  } finally {
    clearTimeout(timeout);
    options.signal?.removeEventListener('abort', onAbort);
  }

  const data = await readJson(res);
  if (res.ok) return data as T;

  const info = isErrorBody(data) ? data.error : undefined;
  const err = new ApiError(res.status, info?.code ?? `HTTP${res.status}`, info?.message || statusMessage(res.status), info?.field);
  if (res.status === 401 && !skipAuthRedirect) {
    if (!silent) toast(statusMessage(401));
    onUnauthorized?.();
    throw err;
  }
  if (res.status === 403 && err.code === 'E0008') onPasswordChange?.();
  if (res.status === 403 && err.code === 'E0009') onMfaEnrolment?.();
  if (!silent) toast(err.message);
  throw err;
}

export const http = {
  get: <T>(path: string, query?: Record<string, QueryValue>, options?: Omit<RequestOptions, 'method' | 'query'>) =>
    request<T>(path, { ...options, method: 'GET', query }),
  post: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'POST', body }),
  put: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    request<T>(path, { ...options, method: 'PUT', body }),
};
