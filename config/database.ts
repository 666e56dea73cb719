/** The database (`cfg.database`) and the master key that encrypts the secrets stored in it. */
import * as path from 'node:path';
import { optional } from './parse';

/** The embedded default database: an SQLite file in the data folder. */
export const DEFAULT_SQLITE_FILE = 'medbill.sqlite';

export interface DatabaseConfig {
  /** MEDBILL_DB_URL: `sqlite:<file>` (default: sqlite:{MEDBILL_DATA_DIR}/medbill.sqlite) or `mysql://user:pass@host:port/db`. */
  url: string;
  /** MEDBILL_MASTER_KEY: 32 hex chars, the SM4 key that encrypts stored secrets; default: data/master.key, made on first run. */
  masterKey?: string;
}

export function loadDatabaseConfig(env: NodeJS.ProcessEnv, server: { dataDir: string }): DatabaseConfig {
  return {
    url: env.MEDBILL_DB_URL || `sqlite:${path.join(server.dataDir, DEFAULT_SQLITE_FILE)}`,
    masterKey: optional(env.MEDBILL_MASTER_KEY),
  };
}
