/**
 * Values of raw SQL rows. A datetime column comes back as a Date (mysql2), epoch milliseconds
 * (better-sqlite3, as a number or digits) or UTC text `yyyy-MM-dd HH:mm:ss.SSS`: one reader for all.
 */
export function dbDate(v: number | string | Date): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number' || /^\d+$/.test(v)) return new Date(Number(v));
  return new Date(`${v.replace(' ', 'T')}Z`);
}

/** A nullable datetime column as ISO text (null stays null; text that is no date is passed through). */
export function dbIso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = dbDate(v as number | string | Date);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}
