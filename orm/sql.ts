/**
 * The data layer's SQL helpers: every repository (orm/repositories/*) runs its statements through
 * these, inside the caller's transaction (a MikroORM SqlEntityManager) or on the ORM's connection.
 */
import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import { isUniqueViolation } from './errors';
import { SEALED_COLUMNS, sealerOf } from './sealed';

/**
 * The ORM as the platform opens it (orm/db.ts): one of MikroORM's SQL drivers (better-sqlite3 or
 * MySQL/MariaDB), so its `em`, every `em.fork()` and every `transactional` callback are typed as
 * the SQL EntityManager the repositories take: no cast between them anywhere.
 */
export type SqlOrm = MikroORM<AbstractSqlDriver, SqlEntityManager>;
/** A SQL EntityManager: the ORM's, a fork, or a transaction's. */
export type SqlEm = SqlEntityManager;
/** What a repository function runs its statements through: a transaction's (or a fork's) SqlEm. */
export type Sql = SqlEm;
export const dbNow = (sql: Sql, d = new Date()) => sql.getPlatform().processDateProperty(d);

/**
 * ` for update` on MySQL/MariaDB: under REPEATABLE READ a plain SELECT re-reads the transaction's old
 * snapshot, so a retry after a lost compare-and-swap would never see the winner's change; a locking
 * read sees the latest committed row (and holds it). SQLite serialises writers and has no such clause.
 */
export const forUpdate = (sql: Pick<Sql, 'getPlatform'>) => (/sqlite/i.test(sql.getPlatform().constructor.name) ? '' : ' for update');

/** Runs a stock transaction, again when the database chose it as a deadlock victim or a concurrent insert won a unique key. */
export async function retryTransaction<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: string })?.code;
      const retryable = code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'SQLITE_BUSY' || /deadlock/i.test(String((e as Error)?.message)) || isUniqueViolation(e);
      if (!retryable || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20 * i));
    }
  }
}

/** Inserts one row; a sealed column of the table (orm/sealed.ts SEALED_COLUMNS) is sealed, with its blind index. */
export async function insertRow(sql: Sql, table: string, row: Record<string, unknown>): Promise<number> {
  row = { ...row };
  for (const c of SEALED_COLUMNS) {
    if (c.table !== table || typeof row[c.column] !== 'string') continue;
    const s = sealerOf(sql);
    if (c.bidx) row[c.bidx.column] = s.blindIndex(c.bidx.kind, row[c.column] as string);
    row[c.column] = s.seal(row[c.column] as string);
  }
  const cols = Object.keys(row);
  const res = await sql.execute<{ insertId: number }>(
    `insert into ${table} (${cols.join(', ')}) values (${cols.map(() => '?').join(', ')})`,
    cols.map((c) => row[c]),
    'run',
  );
  return Number(res.insertId);
}
