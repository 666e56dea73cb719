/**
 * Delivery of bills to the patient on the real stack (compiled platform, Temporal dev server,
 * simulators incl. the SMTP server): e-mail with the PDF over SMTP, retries while a channel is
 * down without blocking the bill, permanent refusals, noticeList, the HIS sendEBillNotice method,
 * console resend, the WeChat card pack, the notice slip and the H5 address computed in advance.
 * Runs on SQLite, or on MySQL/MariaDB with MEDBILL_TEST_DB_URL.
 */
import { randomUUID } from 'node:crypto';
import { Bill, BillEvent, Notification } from '../orm/entities';
import { DEMO } from '../orm/seed';
import { eventually, startPlatform, type Platform, signIn } from './harness';
import { advanceH5Token } from '../protocol/his-h5';
import { advanceH5Url } from '../sim/his/client';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform();
});
afterAll(async () => {
  await p?.stop();
});

interface SimMessage {
  system: string;
  id: string;
  to: string;
  text: string;
  subject?: string;
  html?: string;
  attachments?: Array<{ filename: string; contentType: string; size: number; sha256: string; head: string }>;
  deliveries?: number;
}

const uniq = () => randomUUID().slice(0, 8);
const phone = () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const messagesTo = async (to: string): Promise<SimMessage[]> => (await (await fetch(`${p.simUrl}/_sim/messages?to=${encodeURIComponent(to)}`)).json()) as SimMessage[];
const cards = async (): Promise<Array<{ billing_no: string; billing_code: string; openid: string; fee: number }>> => (await (await fetch(`${p.simUrl}/_sim/wechat/cards`)).json()) as never;
async function fault(system: 'sms' | 'mail' | 'wechat', mode: 'ok' | 'down'): Promise<void> {
  const r = await fetch(`${p.simUrl}/_sim/faults`, { method: 'POST', body: JSON.stringify({ system, mode }) });
  expect(r.status).toBe(200);
}
const billOf = (code: string, no: string) => p.orm.em.fork().findOneOrFail(Bill, { billBatchCode: code, billNo: no });
const notices = (billId: number) => p.orm.em.fork().find(Notification, { bill: billId }, { orderBy: { id: 'asc' } });
const notice = async (billId: number, channel: string, purpose = 'issue') => p.orm.em.fork().findOne(Notification, { bill: billId, channel, purpose });
const events = (billId: number, type?: string) => p.orm.em.fork().find(BillEvent, type ? { bill: billId, type } : { bill: billId }, { orderBy: { id: 'asc' } });
const billWorkflow = (busNo: string) => p.client.workflow.getHandle(`bill-${DEMO.appid}-${busNo}`);

async function login(username: string, password: string): Promise<string> {
  return signIn(p.baseUrl, username, password);
}
const resend = (token: string, id: number, body: unknown) =>
  fetch(`${p.baseUrl}/api/bills/${id}/notices/resend`, { method: 'POST', headers: { cookie: token, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('e-mail over SMTP', () => {
  test('the issuance e-mail reaches the SMTP server with the layout PDF attached and the H5 link', async () => {
    const email = `mail-${uniq()}@example.com`;
    const r = await p.his.issueOutpatient({ email, tel: phone() });
    const bill = await billOf(r.billBatchCode, r.billNo);
    const [m] = await eventually(async () => {
      const list = await messagesTo(email);
      return list.length ? list : undefined;
    }, 'the e-mail');
    const sent = await eventually(async () => ((await notice(bill.id, 'email'))?.status === 'sent' ? notice(bill.id, 'email') : undefined), 'the e-mail notice recorded');
    const stored = await billOf(r.billBatchCode, r.billNo);
    expect(m.system).toBe('mail');
    expect(m.id).toBe(`<bill-${bill.id}-email@medbill>`);
    expect(sent!.providerId).toBe(m.id);
    expect(m.subject).toMatch(new RegExp(`^【.+】医疗电子票据已开具（票据号码${r.billNo}）$`));
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments![0]).toMatchObject({ filename: `${r.billBatchCode}-${r.billNo}.pdf`, contentType: 'application/pdf', head: expect.stringMatching(/^%PDF-/) });
    expect(m.attachments![0].sha256).toBe(stored.layoutSha256);
    expect(m.html).toContain(r.pictureUrl.replace(/&/g, '&amp;'));
    expect(m.text).toContain(r.random);
    expect((await events(bill.id, 'notified')).map((e) => e.detail)).toContain(`邮件 ${email.slice(0, 1)}***@example.com`);
  });

  test('while the SMTP server is down the bill is answered at once; the e-mail is retried and delivered later', async () => {
    await fault('mail', 'down');
    const email = `down-${uniq()}@example.com`;
    const tel = phone();
    let r: Awaited<ReturnType<Platform['his']['issueOutpatient']>>;
    try {
      r = await p.his.issueOutpatient({ email, tel }); // S0000 while mail is down: delivery never blocks the bill
      const bill = await billOf(r.billBatchCode, r.billNo);
      const failedOnce = await eventually(async () => {
        const n = await notice(bill.id, 'email');
        return n && n.attempts >= 1 ? n : undefined;
      }, 'a failed e-mail attempt');
      expect(failedOnce.status).toBe('pending');
      expect(failedOnce.lastError).toMatch(/421/);
      expect(await messagesTo(email)).toHaveLength(0);
      // the other channel is not held back by the one that is down
      await eventually(async () => (await notice(bill.id, 'sms'))?.status === 'sent', 'the SMS');
      expect(await messagesTo(tel)).toHaveLength(1);
      const status = await billWorkflow(r.busNo).query<{ state: string; notices: Record<string, string> }>('status');
      expect(status.state).toBe('issued');
      expect(status.notices.email).toBe('pending');
    } finally {
      await fault('mail', 'ok');
    }
    const bill = await billOf(r.billBatchCode, r.billNo);
    const sent = await eventually(async () => {
      const n = await notice(bill.id, 'email');
      return n?.status === 'sent' ? n : undefined;
    }, 'the e-mail after the outage');
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(await messagesTo(email)).toHaveLength(1);
    expect((await billWorkflow(r.busNo).result()).notices).toMatchObject({ email: 'done', sms: 'done' });
  });

  test('a mailbox the server rejects (550) is recorded as failed once, not retried, and the process ends', async () => {
    const email = `nosuch-${uniq()}@example.com`;
    const r = await p.his.issueOutpatient({ email, tel: phone() });
    const result = await billWorkflow(r.busNo).result();
    expect(result.notices).toMatchObject({ email: 'failed', sms: 'done' });
    const bill = await billOf(r.billBatchCode, r.billNo);
    const n = (await notice(bill.id, 'email'))!;
    expect(n.status).toBe('failed');
    expect(n.attempts).toBe(1);
    expect(n.lastError).toMatch(/550/);
    const failed = await events(bill.id, 'notice_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].detail).toMatch(/^邮件 n\*\*\*@example\.com：/);
  });
});

test('noticeList (1201 SMS, 1202 e-mail) is used instead of tel / email', async () => {
  const tel = phone();
  const listTel = phone();
  const email = `tel-${uniq()}@example.com`;
  const listEmail = `list-${uniq()}@example.com`;
  const r = await p.his.issueOutpatient({ tel, email, noticeList: [{ noticeType: '1201', noticeValue: listTel }, { noticeType: '1202', noticeValue: listEmail }] });
  await billWorkflow(r.busNo).result();
  const bill = await billOf(r.billBatchCode, r.billNo);
  expect((await notices(bill.id)).map((n) => [n.channel, n.target, n.status])).toEqual(
    expect.arrayContaining([
      ['sms', listTel, 'sent'],
      ['email', listEmail, 'sent'],
    ]),
  );
  expect(await messagesTo(listTel)).toHaveLength(1);
  expect(await messagesTo(listEmail)).toHaveLength(1);
  expect(await messagesTo(tel)).toHaveLength(0);
  expect(await messagesTo(email)).toHaveLength(0);
});

describe('HIS sendEBillNotice', () => {
  test('sends the noticeList of an issued bill once per requestNo; the timeline says who asked', async () => {
    const r = await p.his.issueOutpatient({ tel: phone(), email: `h-${uniq()}@example.com` });
    await billWorkflow(r.busNo).result();
    const tel = phone();
    const email = `again-${uniq()}@example.com`;
    const requestNo = `REQ${uniq()}`;
    const body = { billBatchCode: r.billBatchCode, billNo: r.billNo, random: r.random, requestNo, noticeList: [{ noticeType: '1201', noticeValue: tel }, { noticeType: '1202', noticeValue: email }] };
    const a = await p.hisClient.call('sendEBillNotice', body);
    expect(a.result).toBe('S0000');
    expect(a.message).toEqual({ billBatchCode: r.billBatchCode, billNo: r.billNo, requestNo, state: 'accepted', noticeList: body.noticeList });
    const wf = p.client.workflow.getHandle(`notice-${r.billBatchCode}-${r.billNo}-his-${requestNo}`);
    expect((await wf.result()).notices).toEqual({ sms: 'done', email: 'done' });
    // the same request again (a HIS retry): accepted, nothing sent twice
    expect((await p.hisClient.call('sendEBillNotice', body)).result).toBe('S0000');
    await p.client.workflow.getHandle(`notice-${r.billBatchCode}-${r.billNo}-his-${requestNo}`).result();
    expect(await messagesTo(tel)).toHaveLength(1);
    const [mail] = await messagesTo(email);
    expect(mail.attachments?.[0]?.head).toMatch(/^%PDF-/);
    const bill = await billOf(r.billBatchCode, r.billNo);
    const resent = await events(bill.id, 'notice_resent');
    expect(resent.map((e) => e.actor)).toEqual([`HIS:${DEMO.appid}`, `HIS:${DEMO.appid}`]);
    expect((await notices(bill.id)).filter((n) => n.purpose === `resend:his-${requestNo}`)).toHaveLength(2);
  });

  test('bad input gets a clear answer naming the field', async () => {
    const r = await p.his.issueOutpatient({});
    const ok = { billBatchCode: r.billBatchCode, billNo: r.billNo, random: r.random, noticeList: [{ noticeType: '1201', noticeValue: '13900001111' }] };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...ok, random: r.random === 'aaaaaa' ? 'bbbbbb' : 'aaaaaa' }, 'E0033', /^random: 校验码与票据 .* 不符/],
      [{ ...ok, random: undefined }, 'E0010', /^random: 必填/],
      [{ ...ok, noticeList: [] }, 'E0010', /^noticeList: 必填/],
      [{ ...ok, noticeList: [{ noticeType: '1209', noticeValue: 'x' }] }, 'E0010', /^noticeList\[0\]\.noticeType: 须为 1201/],
      [{ ...ok, noticeList: [{ noticeType: '1201', noticeValue: '12345' }] }, 'E0010', /^noticeList\[0\]\.noticeValue: 12345 不是手机号码/],
      [{ ...ok, noticeList: [{ noticeType: '1202', noticeValue: 'no-at' }] }, 'E0010', /^noticeList\[0\]\.noticeValue: no-at 不是邮箱地址/],
      [{ ...ok, requestNo: 'x' }, 'E0010', /^requestNo:/],
      [{ ...ok, billNo: '9999999999' }, 'E0030', /^billNo: 本医院没有票据/],
      [{ ...ok, billBatchCode: '123' }, 'E0010', /^billBatchCode: 须为 8 位数字/],
    ];
    for (const [business, code, message] of cases) {
      const a = await p.hisClient.call('sendEBillNotice', business);
      expect([a.result, String(a.message)]).toEqual([code, expect.stringMatching(message)]);
    }
  });
});

describe('console resend', () => {
  test('roles, field-named errors, one send per request, and red-bill wording', async () => {
    const [admin, finance, cashier, doctor] = await Promise.all([login('admin', 'admin123'), login('finance', 'finance123'), login('cashier', 'cashier123'), login('doctor', 'doctor123')]);
    const tel = phone();
    const r = await p.his.issueOutpatient({ tel, email: `c-${uniq()}@example.com` });
    await billWorkflow(r.busNo).result();
    const bill = await billOf(r.billBatchCode, r.billNo);

    expect((await resend(doctor, bill.id, { channel: 'sms' })).status).toBe(403);
    const bad: Array<[unknown, string]> = [
      [{}, 'channel'],
      [{ channel: 'fax' }, 'channel'],
      [{ channel: 'sms', target: '123' }, 'target'],
      [{ channel: 'email', target: 'nobody' }, 'target'],
      [{ channel: 'wechat' }, 'target'], // the bill has no openID
      [{ channel: 'sms', requestId: 'bad id!' }, 'requestId'],
    ];
    for (const [body, field] of bad) {
      const res = await resend(finance, bill.id, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }

    // one request (its requestId) sent once although the console calls twice
    const requestId = randomUUID();
    const a = await resend(cashier, bill.id, { channel: 'sms', requestId });
    expect(a.status).toBe(202);
    const aj = (await a.json()) as { workflowId: string; target: string };
    expect(aj.target).toBe(tel); // the bill's own number when none is given
    const b = await resend(cashier, bill.id, { channel: 'sms', requestId });
    expect(((await b.json()) as { workflowId: string }).workflowId).toBe(aj.workflowId);
    expect((await p.client.workflow.getHandle(aj.workflowId).result()).notices).toEqual({ sms: 'done' });
    expect(await messagesTo(tel)).toHaveLength(2); // issuance + this one resend
    // a new target with a new request
    const other = phone();
    const c = (await (await resend(admin, bill.id, { channel: 'sms', target: other })).json()) as { workflowId: string };
    await p.client.workflow.getHandle(c.workflowId).result();
    expect(await messagesTo(other)).toHaveLength(1);
    expect((await events(bill.id, 'notice_resent')).map((e) => e.actor)).toEqual(['cashier', 'admin']);

    // a bill at another billing point is not the cashier's
    const zy = await p.his.issueOutpatient({ placeCode: 'ZY01' });
    const zyBill = await billOf(zy.billBatchCode, zy.billNo);
    expect((await resend(cashier, zyBill.id, { channel: 'sms' })).status).toBe(404);
    expect((await resend(finance, zyBill.id, { channel: 'sms' })).status).toBe(202);

    // the red bill of a reversal: resent with the red-bill wording
    const wo = await fetch(`${p.baseUrl}/api/bills/${bill.id}/write-off`, { method: 'POST', headers: { cookie: finance, 'content-type': 'application/json' }, body: JSON.stringify({ reason: '退费' }) });
    expect(wo.status).toBe(200);
    const red = (await wo.json()) as { eScarletBillBatchCode: string; eScarletBillNo: string };
    const redBill = await billOf(red.eScarletBillBatchCode, red.eScarletBillNo);
    const redTel = phone();
    const d = (await (await resend(finance, redBill.id, { channel: 'sms', target: redTel })).json()) as { workflowId: string };
    await p.client.workflow.getHandle(d.workflowId).result();
    const [redSms] = await messagesTo(redTel);
    expect(redSms.text).toContain('已冲红');
    expect(redSms.text).toContain(`红字票据号码${red.eScarletBillNo}`);
    const card = await resend(finance, redBill.id, { channel: 'card', target: 'oPatient0001' });
    expect(card.status).toBe(400);
    expect(((await card.json()) as { error: { field: string } }).error.field).toBe('channel');
  });
});

test('WeChat: template message and one card-pack insert, even while another channel keeps the delivery retrying', async () => {
  const openID = `oP${uniq()}${uniq()}`;
  await fault('sms', 'down');
  let r: Awaited<ReturnType<Platform['his']['issueOutpatient']>>;
  let billId: number;
  try {
    r = await p.his.issueOutpatient({ openID, tel: phone(), email: `w-${uniq()}@example.com` });
    billId = (await billOf(r.billBatchCode, r.billNo)).id;
    await eventually(async () => (await notice(billId, 'card'))?.status === 'sent', 'the card-pack insert');
    // let the delivery activity be retried at least twice more after the card went in
    await eventually(async () => ((await notice(billId, 'sms'))?.attempts ?? 0) >= 3, 'three SMS attempts', 90_000);
    expect((await cards()).filter((c) => c.billing_no === r.billBatchCode && c.billing_code === r.billNo)).toHaveLength(1);
  } finally {
    await fault('sms', 'ok');
  }
  await billWorkflow(r.busNo).result();
  const mine = (await cards()).filter((c) => c.billing_no === r.billBatchCode && c.billing_code === r.billNo);
  expect(mine).toEqual([expect.objectContaining({ openid: openID, fee: 12650 })]);
  expect(await events(billId, 'card_inserted')).toHaveLength(1);
  expect((await messagesTo(openID)).map((m) => m.system)).toEqual(['wechat']);

  // the H5 page shows it, and its button does not insert a second card
  const page = await (await fetch(r.pictureUrl)).text();
  expect(page).toContain('已插入微信卡包');
  const post = await fetch(`${p.baseUrl}/h5/bill/${r.billBatchCode}/${r.billNo}/card?random=${r.random}`, { method: 'POST', redirect: 'manual' });
  expect(post.status).toBe(303);
  await p.client.workflow.getHandle(`notice-${r.billBatchCode}-${r.billNo}-h5-card`).result();
  expect((await cards()).filter((c) => c.billing_no === r.billBatchCode && c.billing_code === r.billNo)).toHaveLength(1);
  expect(await events(billId, 'card_inserted')).toHaveLength(1);
});

test('the notice slip (告知单) is a PDF and its printing is on the timeline', async () => {
  const cashier = await login('cashier', 'cashier123');
  const r = await p.his.issueOutpatient({});
  const bill = await billOf(r.billBatchCode, r.billNo);
  expect((await fetch(`${p.baseUrl}/api/bills/${bill.id}/notice-slip`)).status).toBe(401);
  const res = await fetch(`${p.baseUrl}/api/bills/${bill.id}/notice-slip`, { headers: { cookie: cashier } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  const pdf = Buffer.from(await res.arrayBuffer());
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.toString('latin1')).toContain(`notice-slip billBatchCode=${r.billBatchCode} billNo=${r.billNo}`);
  const printed = await events(bill.id, 'slip_printed');
  expect(printed.map((e) => e.actor)).toEqual(['cashier']);
});

test('the H5 address computed in advance from appid + busNo: waits before issuance, shows the bill after, 404 with a bad token', async () => {
  const busNo = `MZADV${Date.now()}${uniq()}`;
  const url = advanceH5Url(p.cfg.server.publicUrl, DEMO.appid, DEMO.appKey, busNo);
  expect(url).toBe(`${p.cfg.server.publicUrl}/h5/b/${DEMO.appid}/${busNo}?t=${advanceH5Token(DEMO.appKey, DEMO.appid, busNo)}`);

  const before = await fetch(url, { redirect: 'manual' });
  expect(before.status).toBe(200);
  const wait = await before.text();
  expect(wait).toContain('票据开具中');
  expect(wait).toContain('http-equiv="refresh"');

  const notFound = await (await fetch(`${p.baseUrl}/h5/bill/00000000/0000000000?random=aaaaaa`)).text();
  const token = new URL(url).searchParams.get('t')!;
  const badToken = url.replace(`t=${token}`, `t=${token.slice(0, 15)}${token[15] === '0' ? '1' : '0'}`);
  const bad = await fetch(badToken, { redirect: 'manual' });
  expect(bad.status).toBe(404);
  expect(await bad.text()).toBe(notFound);
  const otherBus = await fetch(url.replace(busNo, `${busNo}X`), { redirect: 'manual' });
  expect(otherBus.status).toBe(404);

  const r = await p.his.issueOutpatient({ busNo: busNo });
  const after = await fetch(url, { redirect: 'manual' });
  expect(after.status).toBe(302);
  expect(after.headers.get('location')).toBe(`/h5/bill/${r.billBatchCode}/${r.billNo}?random=${r.random}`);
  const page = await (await fetch(url)).text();
  expect(page).toContain(r.billNo);
  expect(page).toContain(r.random);
});
