/** The printer simulator and the HTTP printer adapter against it: PDFs kept, job ids deduplicated, faults. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPrinterSim, type PrinterSim } from './server';
import { HttpPrinter } from '../../adapters/printer/http-printer';
import { PrinterPermanentError } from '../../adapters/printer/printer';

let sim: PrinterSim;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'printer-sim-'));
  sim = await startPrinterSim({ port: 0, dataDir: dir });
});
afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n', 'latin1');
const job = (jobId: string) => ({ jobId, printer: 'MZ01-paper', media: 'paper-form' as const, title: 't', pdf });
const fault = (mode: string, delayMs?: number) =>
  fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode, delayMs }) });

test('a job is kept as a PDF file and printed once per job id', async () => {
  const printer = new HttpPrinter(sim.url);
  expect(await printer.print(job('paper-1'))).toEqual({ jobId: 'paper-1', state: 'completed', duplicate: false });
  expect(await printer.print(job('paper-1'))).toEqual({ jobId: 'paper-1', state: 'completed', duplicate: true });
  const jobs = (await (await fetch(`${sim.url}/_sim/print-jobs`)).json()) as Array<{ jobId: string; file: string; printer: string }>;
  expect(jobs.filter((j) => j.jobId === 'paper-1')).toHaveLength(1);
  expect(fs.readFileSync(jobs[0].file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const body = Buffer.from(await (await fetch(`${sim.url}/_sim/print-jobs/paper-1/pdf`)).arrayBuffer());
  expect(body.equals(pdf)).toBe(true);
});

test('a refused job is a permanent error; an outage is a retryable one', async () => {
  const printer = new HttpPrinter(sim.url);
  await expect(printer.print({ ...job('bad-1'), pdf: Buffer.from('not a pdf') })).rejects.toBeInstanceOf(PrinterPermanentError);
  await fault('down');
  try {
    const e = await printer.print(job('paper-2')).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(PrinterPermanentError);
    expect(String((e as Error).message)).toMatch(/HTTP 503/);
  } finally {
    await fault('ok');
  }
  expect((await printer.print(job('paper-2'))).duplicate).toBe(false);
});

test('slow: a client that gives up waiting and sends the job again still gets one print', async () => {
  await fault('slow', 1500);
  try {
    const impatient = new HttpPrinter(sim.url, 200);
    await expect(impatient.print(job('paper-3'))).rejects.toThrow(/timeout/);
  } finally {
    await fault('ok');
  }
  const again = await new HttpPrinter(sim.url).print(job('paper-3'));
  expect(again.state).toBe('completed');
  expect(sim.jobs().filter((j) => j.jobId === 'paper-3')).toHaveLength(1);
});
