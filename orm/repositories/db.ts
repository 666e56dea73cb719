/**
 * What a repository reads through outside a transaction: an EntityManager (the ORM's or a fork);
 * its connection runs the statement, as `em.getConnection().execute(...)` did in the callers.
 */
import type { EntityManager } from '@mikro-orm/core';

export type Db = Pick<EntityManager, 'getConnection'>;

/** Runs a statement on the manager's connection (not inside any transaction of it). */
export function onConnection<T>(db: Db, q: string, params: unknown[] = [], method?: 'all' | 'get' | 'run'): Promise<T> {
  return db.getConnection().execute(q, params, method) as unknown as Promise<T>;
}

export const connectionNow = (db: Db, d = new Date()) => db.getConnection().getPlatform().processDateProperty(d);
