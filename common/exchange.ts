/**
 * The exchange log's sink (seed 002: every data exchange with an outside system leaves a record):
 * adapters and the inbound HIS routes hand each exchange here; services/exchange-log.ts stores it
 * (searchable keys in clear, bodies SM4-sealed, rows chained with HMAC-SM3). A sink never throws
 * and never makes the caller wait for the database.
 */

export type ExchangeSystem = 'his' | 'fiscal' | 'wechatpay' | 'alipay' | 'sms' | 'email' | 'wechat' | 'card-pack' | 'printer' | 'signer' | 'insurance';

export interface ExchangeEntry {
  at: Date;
  system: ExchangeSystem;
  /** The interface method or path (`invoiceEBill`, `POST /v3/refund/domestic/refunds`...). */
  method: string;
  /** `in`: the outside system called us; `out`: we called it. */
  direction: 'in' | 'out';
  busNo?: string;
  billNo?: string;
  refundNo?: string;
  orderNo?: string;
  /** The answer's result code (`S0000`, `E0011`, an HTTP status, `timeout`, `error`). */
  resultCode: string;
  durationMs: number;
  request: unknown;
  response: unknown;
}

export interface ExchangeSink {
  record(e: ExchangeEntry): void;
}

/** A sink that keeps nothing (unit tests of adapters, tools). */
export const NO_EXCHANGE_LOG: ExchangeSink = { record() {} };

/** Times `call` and records it on `sink` as one exchange, whether it answers or throws. */
export async function exchanged<T>(
  sink: ExchangeSink,
  e: Omit<ExchangeEntry, 'at' | 'durationMs' | 'resultCode' | 'response'>,
  call: () => Promise<T>,
  resultOf: (answer: T) => { resultCode: string; response?: unknown } = () => ({ resultCode: 'ok' }),
): Promise<T> {
  const at = new Date();
  const started = performance.now();
  try {
    const answer = await call();
    const r = resultOf(answer);
    sink.record({ ...e, at, durationMs: Math.round(performance.now() - started), resultCode: r.resultCode, response: r.response ?? answer });
    return answer;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    sink.record({ ...e, at, durationMs: Math.round(performance.now() - started), resultCode: typeof code === 'string' ? code.slice(0, 32) : 'error', response: { error: String((err as Error).message ?? err).slice(0, 2000) } });
    throw err;
  }
}
