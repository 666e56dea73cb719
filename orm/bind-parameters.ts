/**
 * Every statement binds its parameters. MikroORM 6 formats parameter values into the SQL text
 * before it hands a statement to knex (`platform.formatQuery`), which on SQLite means the data is
 * part of the statement text: a NUL byte cut the statement short (issue 13), and the failed
 * statement's text (with the patient's data) went into error messages. On SQLite this hands the
 * values to better-sqlite3 as bound parameters instead (`?` placeholders, as the repositories and
 * the query builder write them). MySQL / MariaDB keep MikroORM's path, where mysql2's escaping
 * (which encodes NUL and every quote) applies to every value.
 */
import type { MikroORM } from '@mikro-orm/core';
import { JsonProperty, Utils } from '@mikro-orm/core';

type Execute = (query: unknown, params?: unknown[], method?: 'all' | 'get' | 'run', ctx?: unknown, loggerContext?: unknown) => Promise<unknown>;

interface SqlConnection {
  execute: Execute;
  ensureConnection(): Promise<void>;
  getKnex(): { raw(sql: string, bindings: unknown[]): { transacting(ctx: unknown): void } & PromiseLike<unknown> };
  getPlatform(): { formatQuery(sql: string, params: unknown[]): string };
  config: { get(k: 'onQuery'): (sql: string, params: unknown[]) => string };
  getSql(query: string, formatted: string, loggerContext?: unknown): string;
  executeQuery<T>(sql: string, cb: () => Promise<T>, ctx?: unknown): Promise<T>;
  transformRawResult(res: unknown, method?: string): unknown;
  medbillBinds?: boolean;
}

/** A value as better-sqlite3 binds it (what the platform's quoteValue would have written into the text). */
function bindable(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.valueOf();
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(bindable); // knex expands an array into `?, ?, ...`
  if (Utils.isPlainObject(v) || (v as Record<symbol, unknown>)[JsonProperty as unknown as symbol]) return JSON.stringify(v);
  return undefined; // raw fragments and anything else: MikroORM's own path
}

export function bindParameters(orm: MikroORM): void {
  if (!/sqlite/i.test(orm.em.getPlatform().constructor.name)) return;
  const driver = orm.em.getDriver() as unknown as { getConnection(type?: 'read' | 'write'): SqlConnection };
  for (const conn of new Set([driver.getConnection('write'), driver.getConnection('read')])) {
    if (conn.medbillBinds) continue;
    conn.medbillBinds = true;
    const original = conn.execute.bind(conn);
    conn.execute = async function (query, params = [], method = 'all', ctx, loggerContext) {
      let sql: string;
      let values: unknown[];
      if (typeof query === 'string') {
        sql = query;
        values = params;
      } else if (query && typeof query === 'object' && typeof (query as { toSQL?: unknown }).toSQL === 'function') {
        const k = query as { toSQL(): { sql: string; bindings?: unknown[] }; client: { transacting?: boolean } };
        ctx ??= k.client.transacting ? query : null;
        const q = k.toSQL();
        sql = q.sql;
        values = q.bindings ?? [];
      } else {
        return original(query, params, method, ctx, loggerContext);
      }
      const bindings = values.map(bindable);
      if (bindings.some((b) => b === undefined) || sql.includes('??')) return original(query, params, method, ctx, loggerContext);
      await conn.ensureConnection();
      sql = conn.config.get('onQuery')(sql, values);
      // The log line (debug only) shows placeholders, never the values.
      const logged = conn.getSql(sql, sql, loggerContext);
      return conn.executeQuery(
        logged,
        async () => {
          const raw = conn.getKnex().raw(sql, bindings);
          if (ctx) raw.transacting(ctx);
          return conn.transformRawResult(await raw, method);
        },
        { query: sql, params: [], ...(loggerContext as object) },
      );
    };
  }
}
