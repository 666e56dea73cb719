/** 首页: today's figures of the billing points in a person's scope. */
import { connectionNow, onConnection, type Db } from './db';

const inPlaces = (places: string[] | undefined) => (places ? ` and p.code in (${places.map(() => '?').join(',')})` : '');

export interface DayTotals {
  bills: number;
  amount: number;
  red: number;
  redAmount: number;
}

/** Bills issued in [from, to) at the points (all when undefined): count and sum, red bills apart. */
export async function dayTotals(db: Db, from: Date, to: Date, places?: string[]): Promise<DayTotals> {
  const [r] = await onConnection<Array<Record<string, number | string | null>>>(
    db,
    `select count(*) as n, sum(b.total_amt) as amt, sum(case when b.is_scarlet = 1 then 1 else 0 end) as red, sum(case when b.is_scarlet = 1 then b.total_amt else 0 end) as red_amt
       from bill b join billing_point p on p.id = b.place_id where b.issued_at >= ? and b.issued_at < ?${inPlaces(places)}`,
    [connectionNow(db, from), connectionNow(db, to), ...(places ?? [])],
  );
  return { bills: Number(r.n ?? 0), amount: Number(r.amt ?? 0), red: Number(r.red ?? 0), redAmount: Number(r.red_amt ?? 0) };
}

/** The same bills' payments by pay channel (red bills negative). */
export async function dayByChannel(db: Db, from: Date, to: Date, places?: string[]): Promise<Array<{ code: string; amount: number }>> {
  const rows = await onConnection<Array<{ channel_code: string; amt: number | string }>>(
    db,
    `select pay.channel_code, sum(pay.amount) as amt from bill_payment pay join bill b on b.id = pay.bill_id join billing_point p on p.id = b.place_id
      where b.issued_at >= ? and b.issued_at < ?${inPlaces(places)} group by pay.channel_code order by pay.channel_code`,
    [connectionNow(db, from), connectionNow(db, to), ...(places ?? [])],
  );
  return rows.map((r) => ({ code: r.channel_code, amount: Number(r.amt) }));
}

/** Open to-dos and bills the fiscal platform refused, at the points. */
export async function pendingCounts(db: Db, places?: string[]): Promise<{ todos: number; uploadRejected: number }> {
  const [t] = await onConnection<Array<{ n: number | string }>>(
    db,
    `select count(*) as n from todo t where t.state = 'open'${places ? ` and t.place_code in (${places.map(() => '?').join(',')})` : ''}`,
    places ?? [],
  );
  const [u] = await onConnection<Array<{ n: number | string }>>(
    db,
    `select count(*) as n from bill b join billing_point p on p.id = b.place_id where b.upload_state = 'rejected'${inPlaces(places)}`,
    places ?? [],
  );
  return { todos: Number(t.n), uploadRejected: Number(u.n) };
}
