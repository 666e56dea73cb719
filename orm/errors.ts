import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { redactLogText } from '../common/redact';

/**
 * A unique-key violation, whether it came through the ORM (converted) or from a raw
 * `connection.execute` (the driver's own error: mysql2 ER_DUP_ENTRY, better-sqlite3 SQLITE_CONSTRAINT_UNIQUE).
 */
export function isUniqueViolation(e: unknown): boolean {
  if (e instanceof UniqueConstraintViolationException) return true;
  const code = (e as { code?: unknown })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** An error for the log without the SQL text and its parameters (they carry patient data): common/redact.ts. */
export function redactDbError(e: unknown): string {
  const err = e as { code?: string; sqlMessage?: string; message?: string; name?: string };
  if (err?.sqlMessage) return `${err.code ?? 'DB'}: ${redactLogText(err.sqlMessage)}`;
  const msg = String(err?.message ?? e);
  const cut = msg.lastIndexOf(' - ');
  return redactLogText(/^(insert|update|select|delete)\b/i.test(msg) && cut > 0 ? `${err?.code ? `${err.code}: ` : ''}${msg.slice(cut + 3)}` : msg.slice(0, 500));
}
