import { chinaDayStart, chinaTime, chinaToday, fromHisTime } from './china-time';

describe('China time (UTC+8)', () => {
  const d = new Date('2026-11-30T16:05:09.123Z'); // 2026-12-01 00:05:09.123 in China
  it('prints an instant in China wall-clock time, across a day and month boundary', () => {
    expect(chinaTime(d)).toEqual({ date: '2026-12-01', time: '00:05:09', text: '2026-12-01 00:05:09', month: '2026-12', compact: '20261201000509', his: '20261201000509123' });
  });
  it('finds the instant a China day starts, in both day formats', () => {
    expect(chinaDayStart('2026-12-01').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(chinaDayStart('20261201').toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(Number.isNaN(chinaDayStart('yesterday').getTime())).toBe(true);
  });
  it('reads HIS times back', () => {
    expect(fromHisTime('20261201000509123').toISOString()).toBe(d.toISOString());
    expect(fromHisTime(chinaTime(d).his).getTime()).toBe(d.getTime());
    expect(Number.isNaN(fromHisTime('2026-12-01').getTime())).toBe(true);
  });
  it('says which China day it is', () => {
    expect(chinaToday(d)).toBe('2026-12-01');
  });
});
