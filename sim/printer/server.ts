/**
 * Simulator of the hospital's print service (the window printers: fiscal paper forms and A4), one
 * real Koa HTTP server. Each job is kept as a PDF file under `{dataDir}/printer-sim/`.
 *
 *   POST /printer/jobs { jobId, printer, media: 'paper-form'|'a4', title, copies?, document (Base64 PDF) }
 *        -> 200 { jobId, state: 'completed', pages, duplicate? }
 *        400 { error } for a malformed job (no jobId / printer, not a PDF); the same jobId again
 *        prints nothing and answers the first result with duplicate: true.
 *   GET  /printer/jobs/:jobId -> the job's record (404 if unknown)
 * Test / operations controls
 *   GET    /_sim/print-jobs?printer=     printed jobs (oldest first), without the document
 *   GET    /_sim/print-jobs/:jobId/pdf   the printed PDF
 *   DELETE /_sim/print-jobs              forget jobs (files stay)
 *   POST   /_sim/faults { mode: 'ok'|'down'|'slow', delayMs? }   down = HTTP 503 (out of paper / offline);
 *          slow = answer after delayMs (default 3000), the job still prints
 *   GET    /_sim/faults
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { heldDelays, listenWithFallback, readJsonObject } from '../http-server';

export interface SimPrintJob {
  jobId: string;
  printer: string;
  media: string;
  title: string;
  copies: number;
  pages: number;
  bytes: number;
  file: string;
  receivedAt: string;
}

export interface PrinterSim {
  url: string;
  port: number;
  jobs(): SimPrintJob[];
  close(): Promise<void>;
}

export type PrinterFaultMode = 'ok' | 'down' | 'slow';

const error = (reason: string) => ({ error: reason });


export async function startPrinterSim(opts: { port: number; host?: string; dataDir: string; fallbackToFreePort?: boolean }): Promise<PrinterSim> {
  const dir = path.join(opts.dataDir, 'printer-sim');
  fs.mkdirSync(dir, { recursive: true });
  let jobs: SimPrintJob[] = [];
  let seen = new Map<string, SimPrintJob>();
  let fault: { mode: PrinterFaultMode; delayMs: number } = { mode: 'ok', delayMs: 0 };
  const { sleep, closeServer } = heldDelays();
  const router = new Router();

  router.post('/printer/jobs', async (ctx) => {
    const b = await readJsonObject(ctx, error);
    if (!b) return;
    const bad = (reason: string) => {
      ctx.status = 400;
      ctx.body = error(reason);
    };
    const jobId = typeof b.jobId === 'string' ? b.jobId.trim() : '';
    if (!/^[\w.-]{1,96}$/.test(jobId)) return bad('jobId: required, 1-96 characters [A-Za-z0-9_.-]');
    const done = seen.get(jobId);
    if (done) return (ctx.body = { jobId, state: 'completed', pages: done.pages, duplicate: true });
    const printer = typeof b.printer === 'string' ? b.printer.trim() : '';
    if (!printer) return bad('printer: required');
    const media = b.media === 'paper-form' || b.media === 'a4' ? b.media : '';
    if (!media) return bad('media: must be paper-form or a4');
    const doc = typeof b.document === 'string' ? Buffer.from(b.document, 'base64') : Buffer.alloc(0);
    if (doc.subarray(0, 5).toString('latin1') !== '%PDF-') return bad('document: must be a Base64 PDF');
    const copies = typeof b.copies === 'number' && Number.isInteger(b.copies) && b.copies >= 1 && b.copies <= 9 ? b.copies : 1;
    const pages = Math.max(1, (doc.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length);
    const file = path.join(dir, `${jobId}.pdf`);
    fs.writeFileSync(file, doc);
    const job: SimPrintJob = {
      jobId, printer, media, copies, pages, file, bytes: doc.length,
      title: typeof b.title === 'string' ? b.title.slice(0, 200) : '',
      receivedAt: new Date().toISOString(),
    };
    seen.set(jobId, job);
    jobs.push(job);
    ctx.body = { jobId, state: 'completed', pages };
  });
  router.get('/printer/jobs/:jobId', (ctx) => {
    const j = seen.get(ctx.params.jobId);
    if (!j) {
      ctx.status = 404;
      ctx.body = error(`no job ${ctx.params.jobId}`);
      return;
    }
    ctx.body = { ...j, state: 'completed' };
  });

  router.get('/_sim/print-jobs', (ctx) => {
    const printer = typeof ctx.query.printer === 'string' ? ctx.query.printer : undefined;
    ctx.body = jobs.filter((j) => printer === undefined || j.printer === printer);
  });
  router.get('/_sim/print-jobs/:jobId/pdf', (ctx) => {
    const j = seen.get(ctx.params.jobId);
    if (!j) {
      ctx.status = 404;
      ctx.body = error(`no job ${ctx.params.jobId}`);
      return;
    }
    ctx.type = 'application/pdf';
    ctx.body = fs.readFileSync(j.file);
  });
  router.delete('/_sim/print-jobs', (ctx) => {
    jobs = [];
    seen = new Map();
    ctx.status = 204;
  });
  router.get('/_sim/faults', (ctx) => {
    ctx.body = fault;
  });
  router.post('/_sim/faults', async (ctx) => {
    const b = await readJsonObject(ctx, error);
    if (!b) return;
    const mode = b.mode as PrinterFaultMode;
    if (!['ok', 'down', 'slow'].includes(mode)) {
      ctx.status = 400;
      ctx.body = error('mode must be ok|down|slow');
      return;
    }
    fault = { mode, delayMs: mode === 'slow' ? (typeof b.delayMs === 'number' && b.delayMs >= 0 ? b.delayMs : 3000) : 0 };
    ctx.body = fault;
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/printer/') || fault.mode === 'ok') return next();
    if (fault.mode === 'down') {
      ctx.status = 503;
      ctx.body = error('printer offline (simulated outage)');
      return;
    }
    await sleep(fault.delayMs);
    return next();
  });
  app.use(router.routes()).use(router.allowedMethods());

  const server = http.createServer(app.callback());
  const host = opts.host ?? '127.0.0.1';
  const port = await listenWithFallback(server, opts.port, host, !!opts.fallbackToFreePort);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    jobs: () => jobs.map((j) => ({ ...j })),
    close: () => (closing ??= closeServer(server)),
  };
}
