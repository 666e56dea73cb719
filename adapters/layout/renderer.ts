/**
 * Layout work behind one interface: on a pool of worker threads when running compiled code
 * (MEDBILL_LAYOUT_THREADS, default 1), or in the calling thread (0 threads, or sources under jest).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ThreadPool } from '../../common/thread-pool';
import { renderBillPdf, type LayoutBill, type RenderOptions } from './render-bill-pdf';
import { qrPngBase64 } from './qr';
import { renderNoticeSlip, type NoticeSlip } from './render-notice-slip';

export interface LayoutRenderer {
  pdf(bill: LayoutBill, opts: RenderOptions): Promise<Buffer>;
  /** The notice slip (告知单) PDF. */
  slipPdf(slip: NoticeSlip, opts: RenderOptions): Promise<Buffer>;
  /** QR code of the text as a Base64 PNG (no data: prefix). */
  qrBase64(text: string): Promise<string>;
  close(): Promise<void>;
}

export function createLayoutRenderer(threads: number): LayoutRenderer {
  const workerFile = path.join(__dirname, 'layout-worker.js');
  if (threads < 1 || !fs.existsSync(workerFile)) {
    return { pdf: renderBillPdf, slipPdf: renderNoticeSlip, qrBase64: (t) => qrPngBase64(t), close: async () => undefined };
  }
  const pool = new ThreadPool(workerFile, threads);
  return {
    pdf: async (bill, opts) => {
      const bytes = await pool.run<Uint8Array>('pdf', [bill, opts]);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    slipPdf: async (slip, opts) => {
      const bytes = await pool.run<Uint8Array>('slip', [slip, opts]);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    qrBase64: (text) => pool.run<string>('qr', [text]),
    close: () => pool.close(),
  };
}
