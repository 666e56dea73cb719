/**
 * The master key (SM4) that encrypts every stored secret: HIS app keys, the hospital's SM2
 * private key, the check-code secret. From MEDBILL_MASTER_KEY, or made once into
 * <dataDir>/master.key (mode 0600) for the embedded default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomKeyHex, sm4Decrypt, sm4Encrypt } from './gm';
/** The settings it reads (config/database.ts: MEDBILL_MASTER_KEY; config/server.ts: MEDBILL_DATA_DIR). */
type Config = { database: { masterKey?: string }; server: { dataDir: string } };

const HEX32 = /^[0-9a-fA-F]{32}$/;

export function masterKey(cfg: Config): string {
  const configured = cfg.database.masterKey;
  const dataDir = cfg.server.dataDir;
  if (configured) {
    if (!HEX32.test(configured)) throw new Error('MEDBILL_MASTER_KEY must be 32 hex characters (an SM4 key)');
    return configured.toLowerCase();
  }
  const file = path.join(dataDir, 'master.key');
  if (fs.existsSync(file)) {
    const k = fs.readFileSync(file, 'utf8').trim();
    if (!HEX32.test(k)) throw new Error(`${file} must hold 32 hex characters`);
    return k;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const k = randomKeyHex(16);
  fs.writeFileSync(file, k + '\n', { mode: 0o600, flag: 'wx' });
  return k;
}

export const seal = (plain: string, key: string) => sm4Encrypt(plain, key);
export const unseal = (cipher: string, key: string) => sm4Decrypt(cipher, key);
