/** Hospitals as the pages name them. */
import { onConnection, type Db } from './db';

/** A hospital's name (undefined when there is no such hospital). */
export async function hospitalNameOf(db: Db, hospitalId: number): Promise<string | undefined> {
  const [h] = await onConnection<Array<{ name: string }>>(db, 'select name from hospital where id = ?', [hospitalId]);
  return h?.name;
}
