/**
 * The nonces of the refund action proofs the worker accepted (`refund_proof_nonce`): a nonce is
 * used once. The update it was accepted for is kept with it, so a verification retried for that
 * same update (a local activity whose first attempt's result was lost) is not taken for a replay.
 */
import { dbNow, type Sql } from '../sql';
import { isUniqueViolation } from '../errors';

/** Records the nonce for `updateKey`: true if it is new or was recorded for this same update, false if another update used it. */
export async function useProofNonce(sql: Sql, n: { nonce: string; refundNo: string; updateKey: string; at: Date }): Promise<boolean> {
  try {
    await sql.execute('insert into refund_proof_nonce (nonce, refund_no, update_key, used_at) values (?, ?, ?, ?)', [n.nonce, n.refundNo, n.updateKey, dbNow(sql, n.at)], 'run');
    return true;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const [row] = await sql.execute<Array<{ update_key: string }>>('select update_key from refund_proof_nonce where nonce = ?', [n.nonce]);
    return row?.update_key === n.updateKey;
  }
}

/** Forgets nonces used before `before`: their proofs are past their lifetime and refused by age anyway. */
export async function pruneProofNonces(sql: Sql, before: Date): Promise<void> {
  await sql.execute('delete from refund_proof_nonce where used_at < ?', [dbNow(sql, before)], 'run');
}
