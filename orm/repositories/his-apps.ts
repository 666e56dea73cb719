/** HIS applications (his_app): the console's own application for 在线开具. */
import { isUniqueViolation } from '../errors';
import { onConnection, type Db } from './db';

/** Adds an application unless its appid exists; true when this call added it. */
export async function addHisAppOnce(db: Db, a: { appid: string; name: string; keyEnc: string; hospitalId: number; active: boolean }): Promise<boolean> {
  const [had] = await onConnection<Array<{ appid: string }>>(db, 'select appid from his_app where appid = ?', [a.appid]);
  if (had) return false;
  try {
    await onConnection(db, 'insert into his_app (appid, name, key_enc, hospital_id, active) values (?, ?, ?, ?, ?)', [a.appid, a.name, a.keyEnc, a.hospitalId, a.active], 'run');
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false; // another process added it at the same moment
    throw e;
  }
}
