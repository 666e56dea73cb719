/**
 * The print service over HTTP (the protocol sim/printer/server.ts simulates): POST {base}/printer/jobs.
 * 2xx = printed; 4xx = the job is refused (permanent); anything else, or no answer, is thrown for a retry.
 */
import { fetchJson, snippet } from '../notify/http';
import { NO_EXCHANGE_LOG, type ExchangeSink } from '../../common/exchange';
import { failureCode } from '../exchange-code';
import { PrinterPermanentError, type PrintJob, type Printer, type PrintResult } from './printer';

export class HttpPrinter implements Printer {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 20_000,
    private readonly exchangeLog: ExchangeSink = NO_EXCHANGE_LOG,
  ) {}

  async print(job: PrintJob): Promise<PrintResult> {
    if (this.exchangeLog === NO_EXCHANGE_LOG) return this.send(job);
    const at = new Date();
    const started = performance.now();
    // the document itself is not recorded (its bill is kept elsewhere): its size says what was sent
    const request = { jobId: job.jobId, printer: job.printer, media: job.media, title: job.title, copies: job.copies ?? 1, documentBytes: job.pdf.length };
    const base = {
      at, system: 'printer' as const, method: 'POST /printer/jobs', direction: 'out' as const,
      ...(job.busNo ? { busNo: job.busNo } : {}), ...(job.billNo ? { billNo: job.billNo } : {}),
    };
    try {
      const r = await this.send(job);
      this.exchangeLog.record({ ...base, resultCode: r.state, durationMs: Math.round(performance.now() - started), request, response: { ...r } });
      return r;
    } catch (e) {
      this.exchangeLog.record({ ...base, resultCode: failureCode(e), durationMs: Math.round(performance.now() - started), request, response: { error: (e as Error).message.slice(0, 2000) } });
      throw e;
    }
  }

  private async send(job: PrintJob): Promise<PrintResult> {
    const r = await fetchJson('printer', `${this.baseUrl}/printer/jobs`, {
      method: 'POST',
      timeoutMs: this.timeoutMs,
      body: { jobId: job.jobId, printer: job.printer, media: job.media, title: job.title, copies: job.copies ?? 1, document: job.pdf.toString('base64') },
    });
    const body = (r.body ?? {}) as { state?: string; duplicate?: boolean; error?: string };
    if (r.status >= 200 && r.status < 300 && body.state === 'completed') return { jobId: job.jobId, state: 'completed', duplicate: !!body.duplicate };
    if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
      throw new PrinterPermanentError(`printer refused job ${job.jobId}: HTTP ${r.status} ${body.error ?? snippet(r.text)}`);
    }
    throw new Error(`printer ${this.baseUrl}: job ${job.jobId} not printed: HTTP ${r.status} ${body.error ?? snippet(r.text)}`);
  }
}

export function createPrinter(baseUrl: string, exchangeLog: ExchangeSink = NO_EXCHANGE_LOG): Printer {
  return new HttpPrinter(baseUrl.replace(/\/$/, ''), undefined, exchangeLog);
}
