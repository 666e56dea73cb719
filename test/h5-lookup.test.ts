/**
 * 单位通码取票 on the real stack (issue 15 point 7): the hospital's page finds a patient's bills by
 * ID number and name, by clinic card and name, or by phone after an SMS code (sent through the SMS simulator); a wrong name,
 * a wrong code, a reused code, a second code within a minute are refused in Chinese; failed tries
 * per address are limited (429). Own platform: a small per-address limit.
 */
import { apiCall, signIn, startPlatform, type Platform } from './harness';

let p: Platform;
const LIMIT = 9;
beforeAll(async () => {
  p = await startPlatform({ MEDBILL_H5_CODE_LIMIT_PER_ADDRESS: String(LIMIT) }, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

/** A valid resident ID number (GB 11643 check digit) that no other test uses. */
function residentId(): string {
  const body = `440101${1980 + (Date.now() % 20)}0101${String(Math.floor(Math.random() * 900) + 100)}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}

const page = (path: string) => fetch(`${p.baseUrl}${path}`).then(async (r) => ({ status: r.status, text: await r.text() }));
const post = (path: string, form: Record<string, string>) =>
  fetch(`${p.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() }).then(async (r) => ({ status: r.status, text: await r.text() }));
const base = '/h5/hospital/H44000001';

test('by ID number and name, and by phone with an SMS code; refusals in Chinese; failed tries limited per address', async () => {
  const id = residentId();
  const tel = `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const card = `JZ${Date.now().toString(36).toUpperCase()}`;
  const bill = await p.his.issueOutpatient({ payer: '钱十一', idCardNo: id, tel, email: '', noticeList: [], cardType: '1', cardNo: card });
  const otherCard = await p.his.issueOutpatient({ payer: '钱十一', email: '', noticeList: [], cardType: '1', cardNo: `${card}9` });

  const form = await page(base);
  expect(form.status).toBe(200);
  expect(form.text).toContain('证件号码');
  expect(form.text).toContain('就诊卡号');
  expect((await page('/h5/hospital/NOPE')).status).toBe(404);

  // ID number and name.
  const found = await post(`${base}/bills`, { way: 'id', payer: '钱十一', idCardNo: id });
  expect(found.status).toBe(200);
  expect(found.text).toContain('我的电子票据（1 张）');
  expect(found.text).toContain(`href="/h5/bill/${bill.billBatchCode}/${bill.billNo}?random=${bill.random}"`);
  const wrongName = await post(`${base}/bills`, { way: 'id', payer: '钱十二', idCardNo: id }); // failure 1
  expect(wrongName.text).toContain('近一年没有查到您的电子票据');
  expect(wrongName.text).not.toContain(bill.billNo);
  const badId = await post(`${base}/bills`, { way: 'id', payer: '钱十一', idCardNo: '123' }); // failure 2
  expect(badId.status).toBe(400);
  expect(badId.text).toContain('须为 18 位居民身份证号');

  // Clinic card and name: the card's bills only (another bill of the same name on another card is not shown).
  const cardForm = await page(`${base}?way=card`);
  expect(cardForm.text).toContain('name="cardNo"');
  const byCard = await post(`${base}/bills`, { way: 'card', payer: '钱十一', cardNo: ` ${card.toLowerCase()} ` });
  expect(byCard.status).toBe(200);
  expect(byCard.text).toContain('我的电子票据（1 张）');
  expect(byCard.text).toContain(`${bill.billBatchCode}-${bill.billNo}`);
  expect(byCard.text).not.toContain(otherCard.billNo);
  const cardWrongName = await post(`${base}/bills`, { way: 'card', payer: '钱十二', cardNo: card }); // failure 2b
  expect(cardWrongName.text).toContain('近一年没有查到您的电子票据');
  const badCard = await post(`${base}/bills`, { way: 'card', payer: '钱十一', cardNo: '卡<1>' }); // failure 2c
  expect(badCard.status).toBe(400);
  expect(badCard.text).toContain('就诊卡号为 1-32 位字母、数字或“-”');

  // Phone and code.
  const sent = await post(`${base}/code`, { tel }); // counts 3
  expect(sent.status).toBe(200);
  expect(sent.text).toContain(`验证码已发送至 ${tel.slice(0, 3)}****${tel.slice(7)}`);
  const messages = (await (await fetch(`${p.simUrl}/_sim/messages?to=${tel}`)).json()) as Array<{ text: string }>;
  const sms = messages.find((m) => m.text.includes('验证码'));
  expect(sms?.text).toMatch(/您的验证码为\d{6}，5分钟内有效/);
  const code = /验证码为(\d{6})/.exec(sms!.text)![1];
  const again = await post(`${base}/code`, { tel }); // failure 4 (too soon)
  expect(again.status).toBe(400);
  expect(again.text).toMatch(/验证码已发送，请 \d+ 秒后再获取/);
  const wrong = await post(`${base}/bills`, { way: 'tel', tel, smsCode: code === '000000' ? '111111' : '000000' }); // failure 5
  expect(wrong.status).toBe(400);
  expect(wrong.text).toContain('验证码错误');
  const byPhone = await post(`${base}/bills`, { way: 'tel', tel, smsCode: code });
  expect(byPhone.status).toBe(200);
  expect(byPhone.text).toContain(`${bill.billBatchCode}-${bill.billNo}`);
  const reused = await post(`${base}/bills`, { way: 'tel', tel, smsCode: code }); // failure 6: a code opens once
  expect(reused.status).toBe(400);
  expect(reused.text).toContain('验证码已过期，请重新获取');
  // No phone number or ID number in the pages' text beyond what the patient typed.
  expect(byPhone.text).not.toContain(id);

  // Past the per-address limit: 429 whatever is asked.
  let last = 0;
  for (let i = 0; i < LIMIT; i++) last = (await post(`${base}/bills`, { way: 'id', payer: '无此人', idCardNo: id })).status;
  expect(last).toBe(429);
  expect((await post(`${base}/bills`, { way: 'id', payer: '钱十一', idCardNo: id })).status).toBe(429);
  const sec = await signIn(p.baseUrl, 'finance', 'finance123');
  expect((await apiCall(p.baseUrl, sec, 'GET', '/api/auth/me')).status).toBe(200); // the console is not affected
});
