/**
 * MikroORM options from one URL: `sqlite:<file>` (embedded default, better-sqlite3) or
 * `mysql://user:pass@host:port/db` (MySQL / MariaDB through mysql2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Options } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import { entities } from './entities';
import { migrationsList } from './migrations';
import { Migrator } from '@mikro-orm/migrations';
import { REPO_ROOT } from '../common/paths';
import { redactLogText } from '../common/redact';

export type DbKind = 'sqlite' | 'mysql';

export function dbKind(url: string): DbKind {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mysql';
  throw new Error(`MEDBILL_DB_URL must start with sqlite: or mysql://, got "${url}"`);
}

/** Options for one of MikroORM's SQL drivers (both extend AbstractSqlDriver), so `MikroORM.init` gives a SqlOrm. */
export type SqlOptions = Options<AbstractSqlDriver, SqlEntityManager>;

export function ormOptions(url: string, opts: { debug?: boolean; pool?: number } = {}): SqlOptions {
  const kind = dbKind(url);
  const common = {
    // MySQL commits DDL implicitly, so migrations there are not wrapped in a transaction.

    entities,
    // Registered explicitly so the app runs from any working directory.
    extensions: [Migrator],
    baseDir: REPO_ROOT,
    debug: opts.debug ?? false,
    // Query logs (debug) and the ORM's own messages go out without SQL values (common/redact.ts).
    logger: (message: string) => console.log(redactLogText(message)),
    allowGlobalContext: false,
    forceUtcTimezone: true,
    migrations: { migrationsList, transactional: kind === 'sqlite', allOrNothing: kind === 'sqlite', silent: true, disableForeignKeys: false, snapshot: false },
    discovery: { warnWhenNoEntities: true },
  } satisfies Partial<Options>;
  if (kind === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const { BetterSqliteDriver } = require('@mikro-orm/better-sqlite');
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName: file,
      pool: {
        // WAL lets the console read while a bill is written; busy_timeout rides out a second writer.
        afterCreate: (conn: any, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('busy_timeout = 10000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    } as SqlOptions;
  }
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const { MySqlDriver } = require('@mikro-orm/mysql');
  return {
    ...common,
    driver: MySqlDriver,
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
    dbName: u.pathname.replace(/^\//, '') || 'medbill',
    pool: { min: 2, max: opts.pool ?? 20 },
    driverOptions: { connection: { timezone: 'Z', charset: 'utf8mb4' } },
  } as SqlOptions;
}
