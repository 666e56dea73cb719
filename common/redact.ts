/**
 * Log lines without SQL values, keys or personal data. Used by every logger the platform
 * configures: the worker's (app/worker.ts, Temporal's Runtime logger), the ORM's (orm/config.ts),
 * the API's error log (orm/errors.ts redactDbError), and the activity failures the worker reports
 * to Temporal (temporal/domain-errors.ts).
 *
 * A failed statement's message from better-sqlite3 / mysql2 (through MikroORM) is
 * `<statement with its values inlined> - <reason>`, and mysql2's reason (`sqlMessage`) may quote a
 * value too ("Duplicate entry '139…' for key …"): every quoted literal and number of SQL text
 * becomes `?`. Anywhere in a line, e-mail addresses, digit runs of 6 or more (phones, ID numbers,
 * card numbers; an ID number's final X included; a phone in groups), long hex runs (keys, signatures) and sealed
 * envelopes are masked.
 */

const SQL_START = /\b(insert\s+into|update\s+[`"\w.]+\s+set|select\s[\s\S]*?\bfrom|delete\s+from|replace\s+into)\b/i;
const QUOTED = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g;
const NUMBER = /(?<![\w.$`])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w`])/gi;

/** SQL text with every literal replaced by `?` (identifiers and keywords kept). */
export function redactSql(sql: string): string {
  return sql.replace(QUOTED, '?').replace(NUMBER, '?');
}

/** One line of log text with SQL values and personal data masked. */
export function redactLogText(text: string): string {
  let s = String(text);
  const m = SQL_START.exec(s);
  if (m) s = s.slice(0, m.index) + redactSql(s.slice(m.index));
  return s
    .replace(/\b(entry|value:?)\s+'(?:[^'\\]|\\.|'')*'/gi, '$1 ?') // mysql2's reasons quoting a value ("Duplicate entry '…' for key", "Incorrect … value: '…'")
    .replace(/v1:[a-z0-9]{1,16}:[0-9a-f]+:[0-9a-f]*:[0-9a-f]+/g, '<sealed>')
    .replace(/[^\s@'"<>()[\]{},;:]+@[^\s@'"<>()[\]{},;:]+\.[A-Za-z]{2,}/g, '<email>')
    .replace(/\b[0-9a-fA-F]{32,}\b/g, '<hex>')
    .replace(/(?:\+?86[\s-]?)?1\d{2}[\s-]\d{4}[\s-]\d{4}/g, '<digits>') // a phone written 138-0013-8000
    .replace(/\d{6,}[Xx]?/g, '<digits>');
}

/** An error as a log may show it: name, code and a redacted message and stack; no other property (mysql2's `sql` holds the values). */
export function redactError(e: unknown): { name: string; code?: string; message: string; stack?: string } {
  if (!(e instanceof Error) && (typeof e !== 'object' || e === null)) return { name: 'Error', message: redactLogText(String(e)) };
  const err = e as Error & { code?: unknown; sqlMessage?: unknown };
  const out: { name: string; code?: string; message: string; stack?: string } = { name: String(err.name ?? 'Error'), message: redactLogText(String(err.message ?? '')) };
  if (typeof err.code === 'string') out.code = err.code;
  if (typeof err.stack === 'string') out.stack = redactLogText(err.stack);
  return out;
}

/** True for an error that a database driver raised (its message may carry the statement and its values). */
export function isDbDriverError(e: unknown): boolean {
  const err = e as { code?: unknown; sql?: unknown; sqlMessage?: unknown; name?: unknown; message?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  if (typeof err.sql === 'string' || typeof err.sqlMessage === 'string') return true;
  if (typeof err.code === 'string' && /^(SQLITE_|ER_)/.test(err.code)) return true;
  if (typeof err.name === 'string' && /SqliteError|Exception$/.test(err.name) && SQL_START.test(String(err.message ?? ''))) return true;
  return false;
}

/** Redacts a log entry's metadata: errors as redactError, strings as redactLogText, objects one level deep. */
export function redactLogMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return meta;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) out[k] = redactValue(v, 2);
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (v instanceof Error) return redactError(v);
  if (typeof v === 'string') return redactLogText(v);
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 100_000) return '<digits>';
  if (Array.isArray(v)) return depth > 0 ? v.map((x) => redactValue(x, depth - 1)) : '[array]';
  if (v && typeof v === 'object') {
    if (depth <= 0) return '[object]';
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'sql') o[k] = redactValue(x, depth - 1);
    return o;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Secrets in stored values (the operation log's before / after, the exchange log's bodies)

const SECRET_WORDS = new Set(['password', 'passwd', 'pwd', 'pass', 'hash', 'secret', 'token', 'totp', 'otp', 'salt', 'cookie', 'credential', 'credentials', 'signature']);
const SECRET_NAMES = new Set(['privatekey', 'apikey', 'appkey', 'apiv3key', 'sessionid', 'mfasecret', 'masterkey']);
const REDACTED = '***';

/** Whether a property of this name holds a secret (password, hash, TOTP secret, token, key ...). */
export function isSecretKey(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_NAMES.has(words.join(''));
}

/** A copy of `v` with every secret-named property's value replaced by `***` (booleans and nulls kept: they tell nothing). */
export function redactSecrets(v: unknown, depth = 0): unknown {
  if (depth > 12) return '[…]';
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, depth + 1));
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = isSecretKey(k) && x !== null && x !== undefined && typeof x !== 'boolean' ? REDACTED : redactSecrets(x, depth + 1);
    return out;
  }
  return v;
}

