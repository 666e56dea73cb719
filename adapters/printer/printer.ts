/**
 * The printer adapter: one interface for the window printers (fiscal paper forms, plain A4). A job
 * carries an idempotent `jobId` chosen by the caller and stored before the first attempt, so a
 * retried activity sends the same id and the print service prints it once.
 */
export interface PrintJob {
  /** Unique per print: `paper-{pBillBatchCode}-{pBillNo}` for a paper form, `layout-{billId}-{n}` for A4. */
  jobId: string;
  /** The printer queue, e.g. `MZ01-paper` (paper forms loaded) or `MZ01-a4`. */
  printer: string;
  media: 'paper-form' | 'a4';
  title: string;
  copies?: number;
  pdf: Buffer;
  /** The bill printed (the exchange log's keys). */
  busNo?: string;
  billNo?: string;
}

export interface PrintResult {
  jobId: string;
  state: 'completed';
  /** True when the print service had already printed this job id. */
  duplicate: boolean;
}

export interface Printer {
  print(job: PrintJob): Promise<PrintResult>;
}

/** The print service refused the job itself (bad document, unknown printer): retrying will not help. */
export class PrinterPermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrinterPermanentError';
  }
}
