/** 单位通码取票: a patient's bills by ID number, clinic card or phone (blind indexes), and the phone's verification code. */
import { blindIndex } from '../sealed';
import { dbDate } from '../sql-values';
import { connectionNow, onConnection, type Db } from './db';

export interface LookupBillRow {
  bill_batch_code: string;
  bill_no: string;
  random: string;
  issued_at: unknown;
  total_amt: number | string;
  state: string;
  is_scarlet: number | boolean;
  payer: string;
  kind_name: string;
}

export type LookupIdentity = { idCardNo: string; payer: string } | { cardNo: string; payer: string } | { tel: string };

/** The hospital's bills of an ID number or a clinic card (each with the payer's name) or of a phone, newest first, at most `limit`, since `since`. */
export async function billsOfIdentity(db: Db, hospitalId: number, who: LookupIdentity, since: Date, limit: number): Promise<LookupBillRow[]> {
  const [col, bidx, extra, params] =
    'tel' in who
      ? ['tel_bidx', blindIndex(db, 'phone', who.tel), '', [] as unknown[]]
      : 'cardNo' in who
        ? ['card_no_bidx', blindIndex(db, 'card', who.cardNo), ' and b.payer = ?', [who.payer]]
        : ['id_card_bidx', blindIndex(db, 'idcard', who.idCardNo), ' and b.payer = ?', [who.payer]];
  if (!bidx) return [];
  return onConnection<LookupBillRow[]>(
    db,
    `select b.bill_batch_code, b.bill_no, b.random, b.issued_at, b.total_amt, b.state, b.is_scarlet, b.payer, k.name as kind_name
       from bill b join bill_kind k on k.id = b.bill_kind_id
      where b.hospital_id = ? and b.${col} = ? and b.issued_at >= ?${extra}
      order by b.issued_at desc, b.id desc limit ${Math.trunc(limit)}`,
    [hospitalId, bidx, connectionNow(db, since), ...params],
  );
}

export interface SmsCodeRow {
  codeHash: string;
  sentAt: Date;
  expiresAt: Date;
  attempts: number;
}

export const phoneIndex = (db: Db, tel: string) => blindIndex(db, 'phone', tel);

export async function smsCodeOf(db: Db, telBidx: string): Promise<SmsCodeRow | undefined> {
  const [r] = await onConnection<Array<{ code_hash: string; sent_at: unknown; expires_at: unknown; attempts: number | string }>>(db, 'select code_hash, sent_at, expires_at, attempts from h5_sms_code where tel_bidx = ?', [telBidx]);
  return r ? { codeHash: r.code_hash, sentAt: dbDate(r.sent_at as string), expiresAt: dbDate(r.expires_at as string), attempts: Number(r.attempts) } : undefined;
}

/** Stores a new code for the phone (replacing any earlier one). */
export async function putSmsCode(db: Db, telBidx: string, codeHash: string, sentAt: Date, expiresAt: Date): Promise<void> {
  await onConnection(db, 'delete from h5_sms_code where tel_bidx = ?', [telBidx], 'run');
  await onConnection(db, 'insert into h5_sms_code (tel_bidx, code_hash, sent_at, expires_at, attempts) values (?, ?, ?, ?, 0)', [telBidx, codeHash, connectionNow(db, sentAt), connectionNow(db, expiresAt)], 'run');
}

export async function countSmsCodeTry(db: Db, telBidx: string): Promise<void> {
  await onConnection(db, 'update h5_sms_code set attempts = attempts + 1 where tel_bidx = ?', [telBidx], 'run');
}

export async function dropSmsCode(db: Db, telBidx: string): Promise<void> {
  await onConnection(db, 'delete from h5_sms_code where tel_bidx = ?', [telBidx], 'run');
}
