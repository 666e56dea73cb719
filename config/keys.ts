/**
 * Settings of the keys that seal patient data at rest (common/sealed.ts, orm/sealed.ts). The
 * master key itself stays `MEDBILL_MASTER_KEY` (config/database.ts `masterKey`).
 */
export interface KeysConfig {
  /** MEDBILL_MASTER_KEY_FILE: path of a file holding the master key (32 hex); outside the data folder (a production start refuses it inside). */
  masterKeyFile?: string;
  /** MEDBILL_DATA_KEY_ID: the data key id new sealed values are written under (1-16 of a-z 0-9); a new id plus `npm run rotate-keys` rotates. */
  dataKeyId: string;
  /** MEDBILL_SEAL_BATCH: rows per batch when sealing plaintext rows at start or re-sealing in rotate-keys. */
  sealBatch: number;
}

import { int } from './parse';

export const DEFAULT_DATA_KEY_ID = 'k1';
export const DEFAULT_SEAL_BATCH = 500;

export function loadKeysConfig(env: NodeJS.ProcessEnv = process.env): KeysConfig {
  const dataKeyId = env.MEDBILL_DATA_KEY_ID || DEFAULT_DATA_KEY_ID;
  if (!/^[a-z0-9]{1,16}$/.test(dataKeyId)) throw new Error(`MEDBILL_DATA_KEY_ID must be 1-16 of a-z 0-9, got "${dataKeyId}"`);
  const sealBatch = int('MEDBILL_SEAL_BATCH', env.MEDBILL_SEAL_BATCH, DEFAULT_SEAL_BATCH);
  if (sealBatch < 1 || sealBatch > 10_000) throw new Error(`MEDBILL_SEAL_BATCH must be an integer 1-10000, got "${env.MEDBILL_SEAL_BATCH}"`);
  return { masterKeyFile: env.MEDBILL_MASTER_KEY_FILE || undefined, dataKeyId, sealBatch };
}
