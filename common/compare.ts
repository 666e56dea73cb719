/**
 * Constant-time comparison of secrets (signatures, MACs, tokens, check codes): the time taken does
 * not tell how many leading characters matched. Node only (not for workflows or the console).
 */
import { timingSafeEqual } from 'node:crypto';

/** Whether two strings are equal, in time independent of where they differ; different lengths are simply unequal. */
export function safeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}
