/**
 * JSON with a bounded nesting depth: the depth is counted on the text before JSON.parse runs, so a
 * body nested thousands deep is refused cheaply and never reaches recursive code (hashing,
 * canonical JSON, rendering) where it would overflow the stack.
 */

/** The nesting depth of a JSON text, counting only brackets outside strings; stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export class JsonLimitError extends Error {
  constructor(readonly reason: 'depth' | 'syntax', message: string) {
    super(message);
    this.name = 'JsonLimitError';
  }
}

/** JSON.parse that refuses a text nested deeper than `maxDepth` (JsonLimitError 'depth') or not JSON ('syntax'). */
export function parseJsonBounded(text: string, maxDepth: number): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) throw new JsonLimitError('depth', `JSON 嵌套超过 ${maxDepth} 层`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JsonLimitError('syntax', (e as Error).message);
  }
}
