/** The archive store the configuration names (cfg.archive.store): the local disk by default. */
import * as path from 'node:path';
import type { Config } from '../../config';
import { LocalArchiveStore } from './local-store';
import { createS3ArchiveStore } from './s3-store';
import type { ArchiveStore } from './store';

export type { ArchivePart, ArchiveStore } from './store';
export { LocalArchiveStore } from './local-store';

/** The folder under the data folder the local store uses when MEDBILL_ARCHIVE_STORE is empty. */
export const ARCHIVE_STORE_DIR = 'archive';

export function createArchiveStore(cfg: Pick<Config, 'archive' | 'server'>): ArchiveStore {
  const s = cfg.archive.store;
  if (s.kind === 's3') return createS3ArchiveStore(s);
  return new LocalArchiveStore(s.dir ?? path.join(cfg.server.dataDir, ARCHIVE_STORE_DIR));
}
