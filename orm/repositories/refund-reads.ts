/**
 * Reads of refunds outside a transaction (console lists and pages, the HIS follow-up, start-up
 * resume, payment notices): on the ORM's connection, through `onConnection`.
 */
import { onConnection, type Db } from './db';
import { billChargeLines, REFUND_SEALED, type RefundTableRow } from './refunds';
import { blindIndex, openFields } from '../sealed';

/** A refund row with its bill's number and point, and the names of its assignee and doctor. */
export interface RefundRow extends RefundTableRow {
  bill_batch_code: string;
  bill_no: string;
  bill_total: number | string;
  place_code: string;
  assignee_name: string | null;
  doctor_name: string | null;
}

const REFUND_SELECT = `select r.*, b.bill_batch_code, b.bill_no, b.total_amt as bill_total, p.code as place_code,
    ua.display_name as assignee_name, ud.display_name as doctor_name
  from refund r join bill b on b.id = r.bill_id join billing_point p on p.id = b.place_id
  left join user ua on ua.username = r.step_assignee left join user ud on ud.username = r.doctor`;

export async function refundRow(db: Db, where: { id?: number; refundNo?: string }): Promise<RefundRow | undefined> {
  const [r] = await onConnection<RefundRow[]>(db, `${REFUND_SELECT} where ${where.id !== undefined ? 'r.id = ?' : 'r.refund_no = ?'}`, [where.id ?? where.refundNo]);
  return openFields(db, r, REFUND_SEALED);
}

/** The filters of the console's refund lists (退费审批), newest first, at most 2000. */
export interface RefundListFilter {
  state?: string;
  /** refund number, patient number, bill number, part of the patient's name, or the phone (exactly, by its blind index) */
  q?: string;
  /** only these states */
  states?: readonly string[];
  applicant?: string;
  /** copied (抄送) to this user */
  ccTo?: string;
  /** decided by this user with one of these actions */
  decidedBy?: { username: string; actions: readonly string[] };
}

export async function listRefunds(db: Db, f: RefundListFilter): Promise<RefundRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.state) where.push('r.state = ?'), params.push(f.state);
  if (f.q) where.push('(r.refund_no = ? or r.patient_no = ? or r.patient_name like ? or b.bill_no = ? or r.tel_bidx = ?)'), params.push(f.q, f.q, `%${f.q}%`, f.q, blindIndex(db, 'phone', f.q));
  if (f.states) where.push(`r.state in (${f.states.map(() => '?').join(', ')})`), params.push(...f.states);
  if (f.applicant) where.push('r.applicant = ?'), params.push(f.applicant);
  if (f.ccTo) where.push('r.id in (select refund_id from refund_cc where username = ?)'), params.push(f.ccTo);
  if (f.decidedBy) {
    where.push(`r.id in (select refund_id from refund_action where actor = ? and action in (${f.decidedBy.actions.map(() => '?').join(', ')}))`);
    params.push(f.decidedBy.username, ...f.decidedBy.actions);
  }
  const rows = await onConnection<RefundRow[]>(db, `${REFUND_SELECT}${where.length ? ` where ${where.join(' and ')}` : ''} order by r.id desc limit 2000`, params);
  for (const r of rows) openFields(db, r, REFUND_SEALED);
  return rows;
}

/** Requests stored but never acted on (version 0, approving): their process may never have started. */
export const unstartedRefundIds = (db: Db) => onConnection<Array<{ id: number }>>(db, `select id from refund where state = 'approving' and version = 0`);

export async function refundStateByNo(db: Db, refundNo: string): Promise<string | undefined> {
  const [row] = await onConnection<Array<{ state: string }>>(db, 'select state from refund where refund_no = ?', [refundNo]);
  return row?.state;
}

/** The refund whose channel refund number (out_refund_no) a payment notice names. */
export async function refundNoByOutRefundNo(db: Db, outRefundNo: string): Promise<string | undefined> {
  const [r] = await onConnection<Array<{ refund_no: string }>>(db, 'select refund_no from refund where out_refund_no = ?', [outRefundNo]);
  return r?.refund_no;
}

export interface RefundTrailLine {
  id: number;
  step_index: number | null;
  step_name: string | null;
  action: string;
  actor: string;
  actor_name: string;
  comment: string | null;
  detail: string | null;
  created_at: unknown;
}

export const refundTrail = (db: Db, refundId: number) =>
  onConnection<RefundTrailLine[]>(db, 'select id, step_index, step_name, action, actor, actor_name, comment, detail, created_at from refund_action where refund_id = ? order by id', [refundId]);

/** The bill's charge lines (number, name, amount), as a refund request is checked against them. */
export const chargeLinesOfBill = (db: Db, billId: number) => billChargeLines(db.getConnection(), billId);

type BillRefRow = { id: number; bill_batch_code: string; bill_no: string; total_amt: number | string; bus_no: string; hospital_id: number; place_code: string };

export async function billRef(db: Db, id: number): Promise<BillRefRow | undefined> {
  const [b] = await onConnection<BillRefRow[]>(
    db,
    'select b.id, b.bill_batch_code, b.bill_no, b.total_amt, b.bus_no, b.hospital_id, p.code as place_code from bill b join billing_point p on p.id = b.place_id where b.id = ?',
    [id],
  );
  return b;
}

/** The bill a HIS names by code and number (any hospital: the caller checks it is its own). */
export async function billByNumber(db: Db, billBatchCode: string, billNo: string): Promise<{ id: number; hospital_id: number } | undefined> {
  const [b] = await onConnection<Array<{ id: number; hospital_id: number }>>(db, 'select id, hospital_id from bill where bill_batch_code = ? and bill_no = ?', [billBatchCode, billNo]);
  return b;
}

/** The bill in force (not a red bill) of one HIS business serial. */
export async function billOfBusNo(db: Db, appid: string, busNo: string): Promise<{ id: number } | undefined> {
  const [b] = await onConnection<Array<{ id: number }>>(db, 'select id from bill where appid = ? and bus_no = ? and is_scarlet = ?', [appid, busNo, 0]);
  return b;
}

export interface ConsoleUserRow {
  username: string;
  display_name: string;
  roles: string;
  active: number | boolean;
}

export const consoleUsers = (db: Db) => onConnection<ConsoleUserRow[]>(db, 'select username, display_name, roles, active from user');

export async function consoleUser(db: Db, username: string): Promise<ConsoleUserRow | undefined> {
  const [u] = await onConnection<ConsoleUserRow[]>(db, 'select username, display_name, roles, active from user where username = ?', [username]);
  return u;
}

/**
 * The refunds `username` is a party to by name (applicant, the patient's doctor, the user the step
 * was transferred to, an actor on it, copied to it), with their bills: a party-scoped viewer's
 * reach (services/access.ts adds the refunds on their to-do list by role).
 */
export const partyRefunds = (db: Db, username: string) =>
  onConnection<Array<{ id: number; bill_id: number }>>(
    db,
    `select r.id, r.bill_id from refund r where r.applicant = ? or r.doctor = ? or r.step_assignee = ?
       or r.id in (select refund_id from refund_action where actor = ?) or r.id in (select refund_id from refund_cc where username = ?)`,
    [username, username, username, username, username],
  );

/** Whether `username` has acted on the refund or it was copied to them. */
/** Whether `username` has acted on the refund or it was copied to them, and the furthest step any action was taken at. */
export async function refundTies(db: Db, refundId: number, username: string): Promise<{ actedOn: boolean; copied: boolean; maxActedStep: number | null }> {
  const [acted] = await onConnection<unknown[]>(db, 'select 1 as x from refund_action where refund_id = ? and actor = ? limit 1', [refundId, username]);
  const [copied] = await onConnection<unknown[]>(db, 'select 1 as x from refund_cc where refund_id = ? and username = ? limit 1', [refundId, username]);
  const [max] = await onConnection<Array<{ m: number | string | null }>>(db, 'select max(step_index) as m from refund_action where refund_id = ?', [refundId]);
  return { actedOn: !!acted, copied: !!copied, maxActedStep: max?.m === null || max?.m === undefined ? null : Number(max.m) };
}
