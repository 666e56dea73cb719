/** Runs in a worker thread of the layout pool: renders PDFs and QR codes off the main event loop. */
import { parentPort } from 'node:worker_threads';
import { renderBillPdf, type LayoutBill, type RenderOptions } from './render-bill-pdf';
import { qrPngBase64 } from './qr';
import { renderNoticeSlip, type NoticeSlip } from './render-notice-slip';

parentPort!.on('message', async (m: { id: number; fn: string; args: unknown[] }) => {
  try {
    let result: unknown;
    if (m.fn === 'pdf') result = await renderBillPdf(m.args[0] as LayoutBill, m.args[1] as RenderOptions);
    else if (m.fn === 'slip') result = await renderNoticeSlip(m.args[0] as NoticeSlip, m.args[1] as RenderOptions);
    else if (m.fn === 'qr') result = await qrPngBase64(m.args[0] as string);
    else throw new Error(`unknown layout function ${m.fn}`);
    parentPort!.postMessage({ id: m.id, ok: true, result });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, error: (e as Error).message ?? String(e) });
  }
});
