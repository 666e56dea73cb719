/**
 * Where archival packages lie (票据档案): one package is a set of named parts (files) under a key
 * (by bill: `<year>/<kind>/<batch>-<no>`). Implementations: the local disk (local-store.ts, the
 * default, under the data folder) and an S3-compatible store (s3-store.ts). A put is complete or
 * absent: parts written and synced before put resolves.
 */
export interface ArchivePart {
  name: string;
  data: Buffer;
}

export interface ArchiveStore {
  /** What a person reads about the store (its kind and place), in the console and the logs. */
  readonly description: string;
  /** Writes every part of a package (a package already there under the key is replaced). */
  put(key: string, parts: ArchivePart[]): Promise<void>;
  /** One part, or undefined when it is not there. */
  get(key: string, name: string): Promise<Buffer | undefined>;
  /** The names of the parts stored under the key (empty when there is no package). */
  list(key: string): Promise<string[]>;
  /** Removes a package (destruction): afterwards list(key) is empty. */
  remove(key: string): Promise<void>;
}

/** A key or part name the stores accept: no `..`, no absolute path, plain characters. */
export function safeSegment(s: string): boolean {
  return /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(s) && !s.split('/').some((x) => x === '.' || x === '..');
}
