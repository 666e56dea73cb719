/**
 * Paper bills (纸质票据) on the real stack: the HIS paper methods, the paper stock's number
 * continuity, concurrency (one point, many bills; one bill, many calls), print jobs in the printer
 * simulator (PDFs; an outage is retried after the answer), and the console routes with role guards.
 */
import { busDateTime, HisClient } from '../sim/his/client';
import { freePort } from '../scripts/temporal-dev';
import { eventually, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
let printerUrl: string;
beforeAll(async () => {
  const port = await freePort();
  printerUrl = `http://127.0.0.1:${port}`;
  p = await startPlatform({ MEDBILL_PRINTER_SIM_PORT: String(port) });
});
afterAll(async () => {
  await p?.stop();
});

type Row = Record<string, any>;
const q = (sql: string, params: unknown[] = []) => p.orm.em.fork().getConnection().execute<Row[]>(sql, params);
const call = (method: string, business: Record<string, unknown>) => p.hisClient.callWithRetry(method, business);
const billRow = async (b: { billBatchCode: string; billNo: string }) => (await q('select * from bill where bill_batch_code = ? and bill_no = ?', [b.billBatchCode, b.billNo]))[0];
const events = async (billId: number) => (await q('select type, actor, detail from bill_event where bill_id = ? order by id', [billId])).map((e: Row) => e.type as string);
const simJobs = async (): Promise<Row[]> => (await (await fetch(`${printerUrl}/_sim/print-jobs`)).json()) as Row[];
const simPdf = async (jobId: string) => Buffer.from(await (await fetch(`${printerUrl}/_sim/print-jobs/${jobId}/pdf`)).arrayBuffer());
const printerFault = (mode: string) => fetch(`${printerUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }) });

const peek = async (placeCode = 'MZ01') => {
  const r = await call('getPaperBillNo', { placeCode });
  expect(r.result).toBe('S0000');
  return r.message as { pBillBatchCode: string; pBillNo: string; remainNum: number };
};
const turn = (b: { billBatchCode: string; billNo: string }, extra: Record<string, unknown> = {}) =>
  call('turnPaper', { billBatchCode: b.billBatchCode, billNo: b.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏', ...extra });

test('getPaperBillNo peeks at the next paper form without taking it; bad input names the field', async () => {
  const a = await peek();
  const b = await peek();
  expect(a).toEqual(b);
  expect(a.pBillBatchCode).toMatch(/^440101\d{2}$/);
  expect(a.pBillNo).toMatch(/^\d{10}$/);
  expect(a.remainNum).toBeGreaterThan(0);

  const zy = await call('getPaperBillNo', { placeCode: 'ZY01', pBillBatchCode: a.pBillBatchCode });
  expect(zy.result).toBe('S0000');
  expect(zy.message.pBillNo).toBe('0000001001'); // ZY01's outpatient paper segment starts at 1001

  const missing = await call('getPaperBillNo', {});
  expect(missing.result).toBe('E0010');
  expect(String(missing.message)).toMatch(/^placeCode: 必填/);
  const badCode = await call('getPaperBillNo', { placeCode: 'MZ01', pBillBatchCode: '12ab' });
  expect(String(badCode.message)).toMatch(/^pBillBatchCode: 须为 8 位数字/);
  const unknownPlace = await call('getPaperBillNo', { placeCode: 'NOPE' });
  expect(unknownPlace.result).toBe('E0020');
  expect(String(unknownPlace.message)).toMatch(/^placeCode: 开票点 NOPE 不存在/);
  const noStock = await call('getPaperBillNo', { placeCode: 'MZ01', pBillBatchCode: '44999926' });
  expect(noStock.result).toBe('E0023');
  expect(String(noStock.message)).toMatch(/^pBillBatchCode: /);
});

test('turnPaper exchanges an e-bill for the next paper form, prints it, shows it everywhere; a repeat answers the same', async () => {
  const bill = await p.his.issueOutpatient();
  const next = await peek();
  const r = await turn(bill, { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo });
  expect(r.result).toBe('S0000');
  expect(r.signOk).toBe(true);
  expect(r.message).toMatchObject({ billBatchCode: bill.billBatchCode, billNo: bill.billNo, pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, isPrtPaper: '1' });
  const jobId = r.message.printJobId as string;
  expect(jobId).toBe(`paper-${next.pBillBatchCode}-${next.pBillNo}`);

  const row = await billRow(bill);
  expect(row).toMatchObject({ paper_state: 'exchanged', paper_bill_batch_code: next.pBillBatchCode, paper_bill_no: next.pBillNo });
  const [num] = await q('select state, bill_id, operator from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [next.pBillBatchCode, next.pBillNo]);
  expect(num).toMatchObject({ state: 'printed', operator: '李敏' });
  expect(Number(num.bill_id)).toBe(Number(row.id));
  expect(await events(row.id)).toContain('exchanged');
  expect((await peek()).pBillNo).toBe(String(Number(next.pBillNo) + 1).padStart(10, '0'));

  const st = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: bill.billBatchCode, billNo: bill.billNo });
  expect(st.message).toMatchObject({ isPrtPaper: '1', pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo });
  expect(await (await fetch(bill.pictureUrl)).text()).toContain('已换开纸质票据');

  // The paper form went to the point's paper printer as a PDF carrying both numbers.
  const job = await eventually(async () => (await simJobs()).find((j) => j.jobId === jobId), 'paper form print job');
  expect(job).toMatchObject({ printer: 'MZ01-paper', media: 'paper-form' });
  const pdf = await simPdf(jobId);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.toString('latin1')).toContain(`pBillNo=${next.pBillNo} billBatchCode=${bill.billBatchCode} billNo=${bill.billNo}`);
  await eventually(async () => (await q('select state from print_job where job_id = ?', [jobId]))[0]?.state === 'printed', 'print job recorded as printed');

  // The same call again: the same form, no new number, no second print.
  const again = await turn(bill, { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo });
  expect(again.result).toBe('S0000');
  expect(again.message.pBillNo).toBe(next.pBillNo);
  const plain = await turn(bill);
  expect(plain.message.pBillNo).toBe(next.pBillNo);
  expect(Number((await q('select count(*) as n from paper_number where bill_id = ?', [row.id]))[0].n)).toBe(1);
  expect((await simJobs()).filter((j) => j.jobId === jobId)).toHaveLength(1);

  // Another form for an exchanged bill is refused: re-exchange is its own method.
  const other = await turn(bill, { pBillNo: String(Number(next.pBillNo) + 1) });
  expect(other.result).toBe('E0031');
  expect(String(other.message)).toMatch(/^billNo: .* 已换开纸质票据 .*reTurnPaper/);
});

test('turnPaper refuses a number that is not the next one, bad bills, bad points and missing fields, naming the field', async () => {
  const bill = await p.his.issueOutpatient();
  const next = await peek();
  const skip = await turn(bill, { pBillBatchCode: next.pBillBatchCode, pBillNo: String(Number(next.pBillNo) + 5) });
  expect(skip.result).toBe('E0034');
  expect(String(skip.message)).toContain(`pBillNo: `);
  expect(String(skip.message)).toContain(`下一张为 ${next.pBillBatchCode}-${next.pBillNo}`);
  expect((await billRow(bill)).paper_state).toBe('none');

  const unknown = await turn({ billBatchCode: bill.billBatchCode, billNo: '9999999999' });
  expect(unknown.result).toBe('E0030');
  expect(String(unknown.message)).toMatch(/^billNo: 本医院未开具票据/);
  const badPlace = await turn(bill, { placeCode: 'NOPE' });
  expect(badPlace.result).toBe('E0020');
  expect(String(badPlace.message)).toMatch(/^placeCode: /);
  for (const f of ['billBatchCode', 'billNo', 'busDateTime', 'placeCode', 'operator']) {
    const body: Record<string, unknown> = { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏' };
    delete body[f];
    const r = await p.hisClient.call('turnPaper', body);
    expect(r.result).toBe('E0010');
    expect(String(r.message)).toMatch(new RegExp(`^${f}: 必填`));
  }
  const badTime = await turn(bill, { busDateTime: '2026-01-01' });
  expect(String(badTime.message)).toMatch(/^busDateTime: /);

  // A red bill, and a reversed bill, cannot be exchanged.
  const red = await call('writeOffEBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, reason: '退费', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(red.result).toBe('S0000');
  const reversed = await turn(bill);
  expect(reversed.result).toBe('E0031');
  expect(String(reversed.message)).toMatch(/^billNo: .*已冲红/);
  const redBill = await turn({ billBatchCode: red.message.eScarletBillBatchCode, billNo: red.message.eScarletBillNo });
  expect(redBill.result).toBe('E0031');
  expect(String(redBill.message)).toMatch(/^billNo: .*红票/);

  // Another hospital's application does not see our bills.
  const { seedSecondHospital } = await import('./fixtures');
  const o = await seedSecondHospital(p);
  const foreign = await new HisClient(p.baseUrl, o.appid, o.key).call('turnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: 'x' });
  expect(foreign.result).not.toBe('S0000');
  expect((await peek()).pBillNo).toBe(next.pBillNo); // nothing was taken by any refusal
});

test('reTurnPaper voids the previous form and prints the next one; invalidPaper voids a form and the bill is an e-bill again', async () => {
  const bill = await p.his.issueOutpatient();
  const first = (await turn(bill)).message;
  const row = await billRow(bill);
  const missing = await call('reTurnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏', pBillBatchCode: first.pBillBatchCode });
  expect(missing.result).toBe('E0010');
  expect(String(missing.message)).toMatch(/^pBillNo: 必填/);

  const next = await peek();
  const re = await call('reTurnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏', pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, reason: '卡纸' });
  expect(re.result).toBe('S0000');
  expect(re.message).toMatchObject({ pBillNo: next.pBillNo, isPrtPaper: '1', invalidPBillBatchCode: first.pBillBatchCode, invalidPBillNo: first.pBillNo });
  const [old] = await q('select state, void_reason, voided_by, voided_at from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [first.pBillBatchCode, first.pBillNo]);
  expect(old).toMatchObject({ state: 'voided', void_reason: '卡纸', voided_by: '李敏' });
  expect(old.voided_at).toBeTruthy();
  expect((await billRow(bill)).paper_bill_no).toBe(next.pBillNo);
  expect(await events(row.id)).toEqual(expect.arrayContaining(['exchanged', 'paper_reprinted']));
  await eventually(async () => (await simJobs()).find((j) => j.jobId === re.message.printJobId), 're-exchange print job');
  // Repeated: same answer, no third number.
  const reAgain = await call('reTurnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, busDateTime: busDateTime(), placeCode: 'MZ01', operator: '李敏', pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, reason: '卡纸' });
  expect(reAgain.message.pBillNo).toBe(next.pBillNo);
  expect(Number((await q('select count(*) as n from paper_number where bill_id = ?', [row.id]))[0].n)).toBe(2);

  const voidBody = { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, placeCode: 'MZ01', author: '李敏', reason: '患者退费，收回纸质票据', busDateTime: busDateTime() };
  const wrongPlace = await call('invalidPaper', { ...voidBody, placeCode: 'ZY01' });
  expect(wrongPlace.result).toBe('E0020');
  expect(String(wrongPlace.message)).toMatch(/^placeCode: .*属于开票点 MZ01/);
  const noReason = await call('invalidPaper', { ...voidBody, reason: '' });
  expect(String(noReason.message)).toMatch(/^reason: 必填/);
  const neverUsed = await call('invalidPaper', { ...voidBody, pBillNo: '0000000999' });
  expect(neverUsed.result).toBe('E0034');
  expect(String(neverUsed.message)).toMatch(/^pBillNo: .*未在本医院打印过/);

  const v = await call('invalidPaper', voidBody);
  expect(v.result).toBe('S0000');
  expect(v.message).toMatchObject({ billBatchCode: bill.billBatchCode, billNo: bill.billNo, isPrtPaper: '0' });
  expect(await billRow(bill)).toMatchObject({ paper_state: 'none', paper_bill_no: null });
  expect((await q('select state from paper_number where p_bill_batch_code = ? and p_bill_no = ?', [next.pBillBatchCode, next.pBillNo]))[0].state).toBe('voided');
  expect(await events(row.id)).toContain('paper_voided');
  const st = await p.hisClient.call('getEBillStatesByBillInfo', { billBatchCode: bill.billBatchCode, billNo: bill.billNo });
  expect(st.message).toMatchObject({ isPrtPaper: '0', pBillNo: '' });
  const vAgain = await call('invalidPaper', voidBody);
  expect(vAgain.result).toBe('S0000');
  expect(vAgain.message.isPrtPaper).toBe('0');
  // Voided: it can be exchanged again, for a new form.
  const third = await turn(bill);
  expect(third.result).toBe('S0000');
  expect(third.message.pBillNo).not.toBe(next.pBillNo);
});

test('invalidBlankBillNo voids unused blank forms (all or nothing) and numbering skips them', async () => {
  const next = await peek();
  const n = Number(next.pBillNo);
  const no = (k: number) => String(k).padStart(10, '0');
  const body = { placeCode: 'MZ01', pBillBatchCode: next.pBillBatchCode, pBillNoStart: no(n + 1), pBillNoEnd: no(n + 3), author: '李敏', reason: '卡纸损坏', busDateTime: busDateTime() };
  const r = await call('invalidBlankBillNo', body);
  expect(r.result).toBe('S0000');
  expect(r.message).toMatchObject({ invalidNum: 3, pBillNoStart: no(n + 1), pBillNoEnd: no(n + 3), nextPBillNo: no(n) });
  const again = await call('invalidBlankBillNo', body);
  expect(again.result).toBe('S0000');
  expect(again.message.invalidNum).toBe(3);

  // Overlapping a used number (n - 1 is used) or a voided one: nothing is voided.
  const used = await call('invalidBlankBillNo', { ...body, pBillNoStart: no(n - 1), pBillNoEnd: no(n) });
  expect(used.result).toBe('E0034');
  expect(String(used.message)).toMatch(/^pBillNoStart: /);
  const overlap = await call('invalidBlankBillNo', { ...body, pBillNoStart: no(n), pBillNoEnd: no(n + 2) });
  expect(overlap.result).toBe('E0034');
  expect(Number((await q('select count(*) as c from paper_number where p_bill_batch_code = ? and p_no = ?', [next.pBillBatchCode, n]))[0].c)).toBe(0);
  const backwards = await call('invalidBlankBillNo', { ...body, pBillNoStart: no(n + 9), pBillNoEnd: no(n + 8) });
  expect(String(backwards.message)).toMatch(/^pBillNoEnd: 不能小于 pBillNoStart/);
  const outside = await call('invalidBlankBillNo', { ...body, pBillNoStart: no(999), pBillNoEnd: no(1005) });
  expect(String(outside.message)).toMatch(/^pBillNoEnd: .*超出号段/);
  const missing = await call('invalidBlankBillNo', { ...body, pBillNoEnd: undefined });
  expect(String(missing.message)).toMatch(/^pBillNoEnd: 必填/);

  // The next two exchanges take n, then n + 4.
  const a = (await turn(await p.his.issueOutpatient())).message;
  const b = (await turn(await p.his.issueOutpatient())).message;
  expect([a.pBillNo, b.pBillNo]).toEqual([no(n), no(n + 4)]);
});

test('printPaperBill prints the layout file on A4 at the point and records it on the timeline', async () => {
  const bill = await p.his.issueOutpatient();
  const row = await billRow(bill);
  const r = await call('printPaperBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, placeCode: 'MZ01', operator: '李敏', busDateTime: busDateTime() });
  expect(r.result).toBe('S0000');
  expect(r.message).toMatchObject({ billBatchCode: bill.billBatchCode, billNo: bill.billNo, printJobId: `layout-${row.id}-1`, printState: 'queued' });
  const job = await eventually(async () => (await simJobs()).find((j) => j.jobId === r.message.printJobId), 'A4 print job');
  expect(job).toMatchObject({ printer: 'MZ01-a4', media: 'a4' });
  const pdf = await simPdf(job.jobId);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.toString('latin1')).toContain(`billNo=${bill.billNo}`);
  expect(await events(row.id)).toContain('layout_printed');
  const second = await call('printPaperBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, placeCode: 'MZ01', operator: '李敏', busDateTime: busDateTime() });
  expect(second.message.printJobId).toBe(`layout-${row.id}-2`);
  const bad = await call('printPaperBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, placeCode: 'MZ01', busDateTime: busDateTime() });
  expect(String(bad.message)).toMatch(/^operator: 必填/);
});

test('getValidBillBatchCode lists the point\'s paper codes with remaining counts and its e-bill codes', async () => {
  const r = await call('getValidBillBatchCode', { placeCode: 'ZY01' });
  expect(r.result).toBe('S0000');
  const m = r.message as { placeCode: string; paperBillList: Row[]; eBillList: Row[] };
  expect(m.placeCode).toBe('ZY01');
  expect(m.paperBillList.map((s) => s.billKindCode).sort()).toEqual(['0401', '0402']);
  const inpatient = m.paperBillList.find((s) => s.billKindCode === '0402')!;
  expect(inpatient).toMatchObject({ startNo: '0000000001', endNo: '0000001000', nextNo: '0000000001', remainNum: 1000 });
  expect(inpatient.pBillBatchCode).toMatch(/^440102\d{2}$/);
  expect(m.eBillList.map((s) => s.billKindCode).sort()).toEqual(['0401', '0402']);
  const only = await call('getValidBillBatchCode', { placeCode: 'ZY01', billKindCode: '0402' });
  expect(only.message.paperBillList).toHaveLength(1);
  expect(only.message.eBillList).toHaveLength(1);
  const bad = await call('getValidBillBatchCode', { placeCode: 'ZY01', billKindCode: 'x' });
  expect(String(bad.message)).toMatch(/^billKindCode: /);
  // An outpatient e-bill cannot go onto ZY01's inpatient paper forms.
  const bill = await p.his.issueOutpatient({ placeCode: 'ZY01' });
  const wrongKind = await turn(bill, { placeCode: 'ZY01', pBillBatchCode: inpatient.pBillBatchCode });
  expect(wrongKind.result).toBe('E0034');
  expect(String(wrongKind.message)).toMatch(/^pBillBatchCode: .*票据种类不同/);
});

test('10 concurrent exchanges of 10 bills at one point take 10 distinct consecutive numbers; 10 racing for one named number: one wins', async () => {
  const bills = await Promise.all(Array.from({ length: 10 }, () => p.his.issueOutpatient()));
  const answers = await Promise.all(bills.map((b) => turn(b)));
  expect(answers.map((a) => a.result)).toEqual(Array(10).fill('S0000'));
  const nums = answers.map((a) => Number(a.message.pBillNo)).sort((x, y) => x - y);
  expect(new Set(nums).size).toBe(10);
  expect(nums[9] - nums[0]).toBe(9);

  const more = await Promise.all(Array.from({ length: 10 }, () => p.his.issueOutpatient()));
  const next = await peek();
  const race = await Promise.all(more.map((b) => turn(b, { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo })));
  expect(race.filter((a) => a.result === 'S0000')).toHaveLength(1);
  for (const lost of race.filter((a) => a.result !== 'S0000')) {
    expect(lost.result).toBe('E0034');
    expect(String(lost.message)).toMatch(/^pBillNo: .* 不是开票点 .* 的下一张未使用纸质票据/);
  }
});

test('the same turnPaper sent 5 times at once takes one paper number', async () => {
  const bill = await p.his.issueOutpatient();
  const answers = await Promise.all(Array.from({ length: 5 }, () => turn(bill)));
  expect(answers.map((a) => a.result)).toEqual(Array(5).fill('S0000'));
  expect(new Set(answers.map((a) => a.message.pBillNo)).size).toBe(1);
  const row = await billRow(bill);
  expect(Number((await q('select count(*) as n from paper_number where bill_id = ?', [row.id]))[0].n)).toBe(1);
  expect((await events(row.id)).filter((t: string) => t === 'exchanged')).toHaveLength(1);
  expect((await q(`select actor from bill_event where bill_id = ? and type = 'exchanged'`, [row.id]))[0].actor).toBe('HIS:MEDBILL_DEMO_HIS');
});

test('a printer outage does not hold the answer; the print is retried and printed once when the printer is back', async () => {
  const bill = await p.his.issueOutpatient();
  expect((await printerFault('down')).status).toBe(200);
  let r;
  try {
    r = await turn(bill);
    expect(r.result).toBe('S0000');
    const jobId = r.message.printJobId as string;
    await eventually(async () => Number((await q('select attempts from print_job where job_id = ?', [jobId]))[0]?.attempts) >= 1, 'a failed print attempt');
    const [job] = await q('select state, last_error from print_job where job_id = ?', [jobId]);
    expect(job.state).toBe('queued');
    expect(job.last_error).toMatch(/HTTP 503/);
    expect((await simJobs()).find((j) => j.jobId === jobId)).toBeUndefined();
  } finally {
    await printerFault('ok');
  }
  const jobId = r.message.printJobId as string;
  await eventually(async () => (await q('select state from print_job where job_id = ?', [jobId]))[0]?.state === 'printed', 'the print after the outage', 90_000);
  expect((await simJobs()).filter((j) => j.jobId === jobId)).toHaveLength(1);
});

test('number continuity: every number of the paper segment is printed, voided, blank-voided or unused, exactly once', async () => {
  // By now this file exchanged, re-exchanged, voided and blank-voided numbers at MZ01; add a void in the middle.
  const [seg] = await q(`select s.* from paper_segment s join billing_point p on p.id = s.place_id where p.code = 'MZ01'`);
  const rows = await q('select p_no, p_bill_no, state, bill_id from paper_number where segment_id = ? order by p_no', [seg.id]);
  const start = Number(seg.start_no);
  const end = Number(seg.end_no);
  const next = Number(seg.next_no);
  const states = new Map<number, string>();
  for (const r of rows) {
    const k = Number(r.p_no);
    expect(states.has(k)).toBe(false);
    expect(r.p_bill_no).toBe(String(k).padStart(10, '0'));
    states.set(k, r.state);
    if (r.state === 'blank_voided') expect(r.bill_id).toBeNull();
    else expect(r.bill_id).not.toBeNull();
  }
  const counts: Record<string, number> = { printed: 0, voided: 0, blank_voided: 0, unused: 0 };
  for (let k = start; k <= end; k++) {
    const s = states.get(k);
    if (k < next) {
      expect(s).toBeDefined(); // below next: used or voided, never a silent gap
      counts[s!]++;
    } else if (s) {
      expect(s).toBe('blank_voided'); // above next: only blank forms voided ahead
      counts[s]++;
    } else counts.unused++;
  }
  expect(counts.printed + counts.voided + counts.blank_voided + counts.unused).toBe(end - start + 1);
  expect(counts.printed).toBeGreaterThanOrEqual(15);
  expect(counts.voided).toBeGreaterThanOrEqual(2);
  expect(counts.blank_voided).toBe(3);
  // Each printed form belongs to exactly one bill that is exchanged for it.
  const printed = await q(`select n.p_bill_no, b.paper_state, b.paper_bill_no from paper_number n join bill b on b.id = n.bill_id where n.segment_id = ? and n.state = 'printed'`, [seg.id]);
  for (const r of printed) expect(r).toMatchObject({ paper_state: 'exchanged', paper_bill_no: r.p_bill_no });
  // The number the HIS is told is next is the segment's next.
  expect((await peek()).pBillNo).toBe(String(next).padStart(10, '0'));
});

test('console: cashier of the point, finance and admin run paper operations; a doctor gets 403; stock and blank void', async () => {
  const login = async (username: string, password: string) =>
    signIn(p.baseUrl, username, password);
  const req = (token: string, method: string, path: string, body?: unknown) =>
    fetch(`${p.baseUrl}${path}`, { method, headers: { cookie: token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const [doctor, cashier, finance] = await Promise.all([login('doctor', 'doctor123'), login('cashier', 'cashier123'), login('finance', 'finance123')]);
  const bill = await billRow(await p.his.issueOutpatient());
  const zyBill = await billRow(await p.his.issueOutpatient({ placeCode: 'ZY01' }));

  expect((await req(doctor, 'POST', `/api/bills/${bill.id}/paper/exchange`, {})).status).toBe(403);
  expect((await req(doctor, 'GET', '/api/paper/stock')).status).toBe(403);
  expect((await req(cashier, 'POST', `/api/bills/${zyBill.id}/paper/exchange`, {})).status).toBe(404); // not their point: out of scope, not disclosed

  const ex = await req(cashier, 'POST', `/api/bills/${bill.id}/paper/exchange`, {});
  expect(ex.status).toBe(200);
  const exchanged = (await ex.json()) as Row;
  expect(exchanged).toMatchObject({ paperState: 'exchanged' });
  const view = (await (await req(cashier, 'GET', `/api/bills/${bill.id}/paper`)).json()) as Row;
  expect(view).toMatchObject({ state: 'exchanged', pBillNo: exchanged.pBillNo });
  expect(view.forms[0]).toMatchObject({ state: 'printed', operator: '门诊收费员 李敏' });

  const noReason = await req(finance, 'POST', `/api/bills/${bill.id}/paper/re-exchange`, {});
  expect(noReason.status).toBe(400);
  expect(((await noReason.json()) as Row).error.field).toBe('reason');
  const re = await req(finance, 'POST', `/api/bills/${bill.id}/paper/re-exchange`, { reason: '打印错位' });
  expect(re.status).toBe(200);
  const reBody = (await re.json()) as Row;
  expect(reBody.voided).toEqual({ pBillBatchCode: exchanged.pBillBatchCode, pBillNo: exchanged.pBillNo });

  const pr = await req(cashier, 'POST', `/api/bills/${bill.id}/print-layout`);
  expect(pr.status).toBe(200);
  expect(((await pr.json()) as Row).printJobId).toBe(`layout-${bill.id}-1`);

  const v = await req(cashier, 'POST', `/api/bills/${bill.id}/paper/void`, { reason: '退费收回' });
  expect(v.status).toBe(200);
  expect(((await v.json()) as Row).paperState).toBe('none');
  expect((await req(cashier, 'POST', `/api/bills/${bill.id}/paper/void`, { reason: '再次' })).status).toBe(409);

  const stock = (await (await req(cashier, 'GET', '/api/paper/stock')).json()) as { segments: Row[] };
  expect(stock.segments.map((s) => s.placeCode)).toEqual(['MZ01']);
  const mz = stock.segments[0];
  expect(mz.printed + mz.voided + mz.blankVoided + mz.unused).toBe(1000);
  expect(mz.numbers.find((n: Row) => n.pBillNo === reBody.pBillNo)).toMatchObject({ state: 'voided', voidReason: '退费收回', voidedBy: '门诊收费员 李敏', billNo: bill.bill_no });
  expect((await req(cashier, 'GET', '/api/paper/stock?placeCode=ZY01')).status).toBe(403);
  const all = (await (await req(finance, 'GET', '/api/paper/stock')).json()) as { segments: Row[] };
  expect(new Set(all.segments.map((s) => s.placeCode))).toEqual(new Set(['MZ01', 'ZY01']));

  const zySeg = all.segments.find((s) => s.placeCode === 'ZY01' && s.billKindCode === '0402')!;
  const blank = { placeCode: 'ZY01', pBillBatchCode: zySeg.pBillBatchCode, pBillNoStart: '1', pBillNoEnd: '2', reason: '污损' };
  expect((await req(cashier, 'POST', '/api/paper/blank-void', blank)).status).toBe(403);
  const bv = await req(finance, 'POST', '/api/paper/blank-void', blank);
  expect(bv.status).toBe(200);
  expect((await bv.json()) as Row).toMatchObject({ count: 2, nextPBillNo: '0000000003' });
  const bad = await req(finance, 'POST', '/api/paper/blank-void', { ...blank, pBillNoStart: 'x' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as Row).error.field).toBe('pBillNoStart');
});
