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

/** A hospital by its code (the 单位通码 page's address), if any. */
export async function hospitalByCode(db: Db, code: string): Promise<{ id: number; name: string; code: string } | undefined> {
  const [h] = await onConnection<Array<{ id: number; name: string; code: string }>>(db, 'select id, name, code from hospital where code = ?', [code]);
  return h ? { id: Number(h.id), name: h.name, code: h.code } : undefined;
}
