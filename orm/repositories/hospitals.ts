/** Hospitals as the pages name them. */
import { onConnection, type Db } from './db';

/** A hospital's name (undefined when there is no such hospital). */
export async function hospitalNameOf(db: Db, hospitalId: number): Promise<string | undefined> {
  const [h] = await onConnection<Array<{ name: string }>>(db, 'select name from hospital where id = ?', [hospitalId]);
  return h?.name;
}

/** Every hospital's code and public key (the signing keys' check at start). */
export async function hospitalPublicKeys(db: Db): Promise<Array<{ id: number; code: string; publicKey: string }>> {
  const rows = await onConnection<Array<{ id: number; code: string; public_key: string }>>(db, 'select id, code, public_key from hospital order by id');
  return rows.map((r) => ({ id: Number(r.id), code: r.code, publicKey: r.public_key }));
}

/** Sets a hospital's public key (the key an external signing server holds for it). */
export async function setHospitalPublicKey(db: Db, id: number, publicKey: string): Promise<void> {
  await onConnection(db, 'update hospital set public_key = ? where id = ?', [publicKey, id], 'run');
}
