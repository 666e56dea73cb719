/** Opens the database, creating it (MySQL) and migrating it to the latest schema. */
import { MikroORM } from '@mikro-orm/core';
import { dbKind, ormOptions } from './config';
import type { Sealer } from '../common/sealed';
import { bindParameters } from './bind-parameters';
import type { SqlOrm } from './sql';
import { indexBillCards, noteKeyInUse, registerSealer, sealPlaintextRows } from './sealed';

/**
 * `sealer` seals and opens the patient data at rest (orm/sealed.ts); without it a sealed column
 * cannot be read or written. With both a sealer and the migrations, the values an older version
 * left in plaintext are sealed before the ORM is handed out.
 */
export async function openOrm(url: string, opts: { migrate?: boolean; pool?: number; sealer?: Sealer; sealBatch?: number } = {}): Promise<SqlOrm> {
  if (dbKind(url) === 'mysql') await ensureMysqlDatabase(url);
  const orm = await MikroORM.init(ormOptions(url, { pool: opts.pool }));
  bindParameters(orm);
  try {
    if (opts.sealer) registerSealer(orm, opts.sealer);
    if (opts.migrate !== false) {
      await orm.getMigrator().up();
      if (opts.sealer) {
        await noteKeyInUse(orm.em, opts.sealer.currentKeyId);
        await sealPlaintextRows(orm.em, opts.sealBatch);
        await indexBillCards(orm.em, opts.sealBatch);
      }
    }
  } catch (e) {
    await orm.close(true);
    throw e;
  }
  return orm;
}

async function ensureMysqlDatabase(url: string): Promise<void> {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const db = u.pathname.replace(/^\//, '') || 'medbill';
  if (!/^[A-Za-z0-9_]+$/.test(db)) throw new Error(`database name "${db}" in MEDBILL_DB_URL must be letters, digits or _`);
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || 'root'),
    password: decodeURIComponent(u.password || ''),
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}
