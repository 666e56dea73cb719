/**
 * China Standard Time (UTC+8, no daylight saving), whatever the server's time zone: the one helper
 * every module uses to print, read or cut a day in China time. Pure (workflows and the console use it).
 */
const OFFSET_MS = 8 * 3_600_000;

/** `2026-12-03T17:05:09.123` : the instant's China wall-clock time as ISO text without zone. */
const wall = (d: Date | number | string) => new Date(new Date(d).getTime() + OFFSET_MS).toISOString().slice(0, 23);

export interface ChinaTime {
  /** 2026-12-03 */
  date: string;
  /** 17:05:09 */
  time: string;
  /** 2026-12-03 17:05:09 */
  text: string;
  /** 2026-12 */
  month: string;
  /** 20261203170509 (yyyyMMddHHmmss) */
  compact: string;
  /** 20261203170509123 (yyyyMMddHHmmssSSS, as the HIS interface writes times) */
  his: string;
}

export function chinaTime(d: Date | number | string): ChinaTime {
  const t = wall(d);
  const compact = t.slice(0, 19).replace(/[-T:]/g, '');
  return { date: t.slice(0, 10), time: t.slice(11, 19), text: `${t.slice(0, 10)} ${t.slice(11, 19)}`, month: t.slice(0, 7), compact, his: compact + t.slice(20, 23) };
}

/** The instant a China calendar day (yyyy-MM-dd or yyyyMMdd) starts. */
export function chinaDayStart(day: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(day);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00+08:00`) : new Date(NaN);
}

/** Today's date in China, yyyy-MM-dd. */
export const chinaToday = (now: Date | number = Date.now()) => chinaTime(now).date;

/** A HIS time yyyyMMddHHmmss[SSS] in China time as the instant (Invalid Date if malformed). */
export function fromHisTime(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(s);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +m[6], Number(m[7] ?? 0)));
}
