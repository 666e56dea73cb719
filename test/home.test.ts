/**
 * 首页 (issue 15 point 7): today's figures of a person's billing points agree with the bills
 * themselves (count, amount, red bills, amounts by pay channel); a cashier sees their point only;
 * the work waiting is counted; administrators without 票据查询 get 403. Own platform: the figures
 * cover every bill of the day.
 */
import { chinaDayStart, chinaToday } from '../common/china-time';
import { apiCall, signIn, startPlatform, type Platform } from './harness';
import { busDateTime } from '../sim/his/client';

let p: Platform;
beforeAll(async () => {
  p = await startPlatform({}, { own: true });
});
afterAll(async () => {
  await p?.stop();
});

const sum = async (where: string, params: unknown[] = []) => {
  const from = p.orm.em.getConnection().getPlatform().processDateProperty(chinaDayStart(chinaToday()));
  const [r] = (await p.orm.em.getConnection().execute(`select count(*) as n, coalesce(sum(b.total_amt), 0) as amt from bill b join billing_point pt on pt.id = b.place_id where b.issued_at >= ?${where}`, [from, ...params])) as Array<{ n: number | string; amt: number | string }>;
  return { n: Number(r.n), amt: Number(r.amt) };
};
const yuan = (fen: number) => (fen / 100).toFixed(2);

test('today\'s figures agree with the bills, per scope; the work waiting is counted', async () => {
  const a = await p.his.issueOutpatient();
  await p.his.issueOutpatient({ placeCode: 'ZY01', busType: '01' });
  const w = await p.hisClient.callWithRetry('writeOffEBill', { billBatchCode: a.billBatchCode, billNo: a.billNo, reason: '首页测试', operator: '李敏', busDateTime: busDateTime(), placeCode: 'MZ01' });
  expect(w.result).toBe('S0000');

  const fin = await signIn(p.baseUrl, 'finance', 'finance123');
  const all = await apiCall(p.baseUrl, fin, 'GET', '/api/home/today');
  expect(all.status).toBe(200);
  const db = await sum('');
  const red = await sum(' and b.is_scarlet = 1');
  expect(all.body).toMatchObject({ day: chinaToday(), scope: null, bills: db.n, amount: yuan(db.amt), red: red.n, redAmount: yuan(red.amt) });
  expect(red.n).toBeGreaterThanOrEqual(1);
  const channelSum = (all.body.byChannel as Array<{ amount: string }>).reduce((s, c) => s + Math.round(Number(c.amount) * 100), 0);
  expect(channelSum).toBe(db.amt); // every bill's pay channels add up to its total
  expect(all.body.byChannel).toEqual(expect.arrayContaining([expect.objectContaining({ code: '02', name: '现金' })]));
  expect(typeof all.body.todos).toBe('number');
  expect(typeof all.body.uploadRejected).toBe('number');

  const cashier = await signIn(p.baseUrl, 'cashier', 'cashier123');
  const mine = await apiCall(p.baseUrl, cashier, 'GET', '/api/home/today');
  const mz = await sum(' and pt.code = ?', ['MZ01']);
  expect(mine.body).toMatchObject({ scope: ['MZ01'], bills: mz.n, amount: yuan(mz.amt) });
  expect(mz.n).toBeLessThan(db.n);

  const sys = await signIn(p.baseUrl, 'sysadmin', 'Sysadmin#2026');
  expect((await apiCall(p.baseUrl, sys, 'GET', '/api/home/today')).status).toBe(403);
});
