/**
 * The print service over HTTP (the protocol sim/printer/server.ts simulates): POST {base}/printer/jobs.
 * 2xx = printed; 4xx = the job is refused (permanent); anything else, or no answer, is thrown for a retry.
 */
import { fetchJson, snippet } from '../notify/http';
import { PrinterPermanentError, type PrintJob, type Printer, type PrintResult } from './printer';

export class HttpPrinter implements Printer {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 20_000,
  ) {}

  async print(job: PrintJob): Promise<PrintResult> {
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

export function createPrinter(baseUrl: string): Printer {
  return new HttpPrinter(baseUrl.replace(/\/$/, ''));
}
