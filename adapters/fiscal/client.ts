/**
 * FiscalPlatform over HTTP (the simulator's wire format, sim/fiscal/server.ts): every request is
 * signed with the hospital's appId + secret (HMAC-SM3 over method, path, timestamp, nonce and body).
 * A timeout, a network error or a 5xx is FiscalUnavailableError (nothing was decided: retry later);
 * a 4xx is FiscalRejectedError with the platform's code and message.
 */
import { randomBytes } from 'node:crypto';
import type {
  AccountStatus, BasicData, FiscalPlatform, RequisitionReview, RequisitionSubmission, UploadBill, UploadResult,
} from './platform';
import { FiscalRejectedError, FiscalUnavailableError } from './platform';
import { FISCAL_HEADERS, fiscalSignature } from '../../protocol/fiscal-wire';
import { NO_EXCHANGE_LOG, type ExchangeSink, type ExchangeEntry } from '../../common/exchange';
import { failureCode } from '../exchange-code';

export interface FiscalClientOptions {
  /** base URL, e.g. http://127.0.0.1:8093 */
  url: string;
  appId: string;
  secret: string;
  /** per request (default 15 s) */
  timeoutMs?: number;
  /** clock for the request timestamp (tests) */
  now?: () => number;
  /** The exchange log: one entry per request (the secret and the signature headers are not recorded). */
  exchangeLog?: ExchangeSink;
}

export class HttpFiscalPlatform implements FiscalPlatform {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: FiscalClientOptions) {
    this.base = opts.url.replace(/\/$/, '');
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  basicData(): Promise<BasicData> {
    return this.call<BasicData>('GET', '/fiscal/basic-data');
  }

  submitRequisition(r: RequisitionSubmission): Promise<{ fiscalRequisitionNo: string }> {
    return this.call('POST', '/fiscal/requisitions', r);
  }

  requisitionStatus(hospitalCode: string, requisitionNo: string, revision: number): Promise<RequisitionReview> {
    return this.call('POST', '/fiscal/requisitions/status', { hospitalCode, requisitionNo, revision });
  }

  async uploadBills(hospitalCode: string, batchNo: string, bills: UploadBill[]): Promise<UploadResult[]> {
    const r = await this.call<{ results: UploadResult[] }>('POST', '/fiscal/bills/upload', { hospitalCode, batchNo, bills });
    return r.results;
  }

  async accountStatus(hospitalCode: string, bills: Array<{ billBatchCode: string; billNo: string }>): Promise<AccountStatus[]> {
    if (bills.length === 0) return [];
    const r = await this.call<{ results: AccountStatus[] }>('POST', '/fiscal/bills/account-status', { hospitalCode, bills });
    return r.results;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const sink = this.opts.exchangeLog ?? NO_EXCHANGE_LOG;
    if (sink === NO_EXCHANGE_LOG) return this.send<T>(method, path, body);
    const at = new Date();
    const started = performance.now();
    const keys = fiscalKeys(body);
    const base = { at, system: 'fiscal' as const, method: `${method} ${path}`, direction: 'out' as const, ...keys };
    try {
      const data = await this.send<T>(method, path, body);
      sink.record({ ...base, resultCode: '0000', durationMs: Math.round(performance.now() - started), request: body ?? null, response: data });
      return data;
    } catch (e) {
      const resultCode = e instanceof FiscalRejectedError ? e.code : failureCode(e);
      sink.record({ ...base, resultCode, durationMs: Math.round(performance.now() - started), request: body ?? null, response: { error: (e as Error).message.slice(0, 2000) } });
      throw e;
    }
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = String((this.opts.now ?? Date.now)());
    const nonce = randomBytes(12).toString('hex');
    const headers: Record<string, string> = {
      [FISCAL_HEADERS.appId]: this.opts.appId,
      [FISCAL_HEADERS.timestamp]: timestamp,
      [FISCAL_HEADERS.nonce]: nonce,
      [FISCAL_HEADERS.signature]: fiscalSignature(this.opts.secret, method, path, timestamp, nonce, text),
    };
    if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    let res: Response;
    let answer: string;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : text, signal: AbortSignal.timeout(this.timeoutMs) });
      answer = await res.text();
    } catch (e) {
      const err = e as Error;
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : (err.cause as Error | undefined)?.message ?? err.message;
      throw new FiscalUnavailableError(`fiscal platform ${method} ${path}: ${why}`);
    }
    let parsed: { code?: string; message?: string; data?: unknown } | undefined;
    try {
      parsed = JSON.parse(answer) as typeof parsed;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new FiscalUnavailableError(`fiscal platform ${method} ${path}: HTTP ${res.status} ${parsed?.message ?? answer.slice(0, 200)}`);
    }
    if (res.status >= 400 || !parsed || parsed.code !== '0000') {
      if (!parsed) throw new FiscalUnavailableError(`fiscal platform ${method} ${path}: HTTP ${res.status}, not JSON: ${answer.slice(0, 200)}`);
      throw new FiscalRejectedError(parsed.code ?? `HTTP${res.status}`, parsed.message ?? `HTTP ${res.status}`);
    }
    return parsed.data as T;
  }
}

/** The business keys of a fiscal request a search can use: the batch (as busNo) or the one bill's number. */
function fiscalKeys(body: unknown): Pick<ExchangeEntry, 'busNo' | 'billNo'> {
  const b = body as { batchNo?: unknown; requisitionNo?: unknown; bills?: Array<{ billNo?: unknown }> } | undefined;
  const out: Pick<ExchangeEntry, 'busNo' | 'billNo'> = {};
  if (typeof b?.batchNo === 'string') out.busNo = b.batchNo;
  else if (typeof b?.requisitionNo === 'string') out.busNo = b.requisitionNo;
  if (Array.isArray(b?.bills) && b.bills.length === 1 && typeof b.bills[0]?.billNo === 'string') out.billNo = b.bills[0].billNo;
  return out;
}
