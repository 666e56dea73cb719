/** The database as the health check sees it. */
import { onConnection, type Db } from './db';

/** Throws when the database does not answer. */
export async function ping(db: Db): Promise<void> {
  await onConnection(db, 'select 1');
}
