/**
 * The master key (SM4, 16 bytes as 32 hex) and what it protects:
 * - stored secrets (HIS app keys, the hospital's SM2 private key, the check-code secret), sealed
 *   with `seal`/`unseal` below;
 * - the data keys and the blind-index key of sealed patient data (common/sealed.ts), derived from
 *   it by MasterKeyProvider.
 *
 * Where it comes from, first match wins:
 * 1. MEDBILL_MASTER_KEY (32 hex) — production: from the deployment's secret store;
 * 2. MEDBILL_MASTER_KEY_FILE (a file holding the 32 hex) — production: a mounted secret, outside
 *    the data folder (a production start refuses it inside: masterKeyLocationProblem);
 * 3. `<dataDir>/master.key` if it exists: a demo database made by an older version keeps its key
 *    (demo only: a production start refuses it);
 * 4. the embedded default (`npm start`): a demo key made once into
 *    `<cacheDir>/keys/master-<hash of the data folder>.key` (mode 0600), outside the data folder so
 *    that a copy of data/ does not carry the key that opens it. Demo only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { hmacSm3Hex, randomKeyHex, sm4Decrypt, sm4Encrypt } from './gm';
import type { KeyProvider } from './sealed';

/** The settings it reads (config/database.ts MEDBILL_MASTER_KEY, config/server.ts MEDBILL_DATA_DIR, config/temporal.ts MEDBILL_CACHE_DIR, config/keys.ts). */
export type KeySettings = { database: { masterKey?: string }; server: { dataDir: string }; temporal?: { cacheDir?: string }; keys?: { masterKeyFile?: string } };

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Where the master key of these settings comes from. */
export type MasterKeySource = 'env' | 'file' | 'legacy-data-dir' | 'demo-cache';

export function masterKeySource(cfg: KeySettings): { source: MasterKeySource; file?: string } {
  if (cfg.database.masterKey) return { source: 'env' };
  if (cfg.keys?.masterKeyFile) return { source: 'file', file: path.resolve(cfg.keys.masterKeyFile) };
  const legacy = path.join(cfg.server.dataDir, 'master.key');
  if (fs.existsSync(legacy)) return { source: 'legacy-data-dir', file: legacy };
  return { source: 'demo-cache', file: demoMasterKeyFile(cfg) };
}

/** The embedded default's key file: in the cache folder, one per data folder. */
export function demoMasterKeyFile(cfg: Pick<KeySettings, 'server' | 'temporal'>): string {
  const cache = cfg.temporal?.cacheDir ?? path.join(require('node:os').homedir(), '.cache', 'medbill');
  const tag = createHash('sha256').update(path.resolve(cfg.server.dataDir)).digest('hex').slice(0, 16);
  return path.join(cache, 'keys', `master-${tag}.key`);
}

export function masterKey(cfg: KeySettings): string {
  if (cfg.database.masterKey && cfg.keys?.masterKeyFile) throw new Error('set MEDBILL_MASTER_KEY or MEDBILL_MASTER_KEY_FILE, not both');
  if (cfg.database.masterKey) {
    if (!HEX32.test(cfg.database.masterKey)) throw new Error('MEDBILL_MASTER_KEY must be 32 hex characters (an SM4 key)');
    return cfg.database.masterKey.toLowerCase();
  }
  const { source, file } = masterKeySource(cfg);
  if (fs.existsSync(file!)) {
    const k = fs.readFileSync(file!, 'utf8').trim();
    if (!HEX32.test(k)) throw new Error(`${file} must hold 32 hex characters (the master key)`);
    return k.toLowerCase();
  }
  if (source === 'file') throw new Error(`MEDBILL_MASTER_KEY_FILE: ${file} does not exist`);
  fs.mkdirSync(path.dirname(file!), { recursive: true, mode: 0o700 });
  const k = randomKeyHex(16);
  try {
    fs.writeFileSync(file!, k + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return masterKey(cfg); // another process of the same platform made it first
  }
  return k;
}

/** True when `file` is `dir` or lies inside it (after resolving symbolic links where they exist). */
function isInside(file: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const f = real(file);
  const d = real(dir);
  const rel = path.relative(d, f);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Why these settings' master key may not run a production platform, or undefined when it may:
 * the key must come from MEDBILL_MASTER_KEY or MEDBILL_MASTER_KEY_FILE, and the file must not lie
 * inside the data folder (whose copy or backup would then carry the key that opens it).
 * For the production-start check (it collects every problem before refusing).
 */
export function masterKeyLocationProblem(cfg: KeySettings): string | undefined {
  if (cfg.database.masterKey && cfg.keys?.masterKeyFile) return 'set MEDBILL_MASTER_KEY or MEDBILL_MASTER_KEY_FILE, not both';
  const { source, file } = masterKeySource(cfg);
  if (source === 'env') return undefined;
  if (source !== 'file') return `the master key is the demo key (${file}): set MEDBILL_MASTER_KEY or MEDBILL_MASTER_KEY_FILE`;
  if (isInside(file!, cfg.server.dataDir)) return `MEDBILL_MASTER_KEY_FILE (${file}) lies inside the data folder ${path.resolve(cfg.server.dataDir)}: keep the key outside it`;
  if (!fs.existsSync(file!)) return `MEDBILL_MASTER_KEY_FILE: ${file} does not exist`;
  return undefined;
}

/** Throws masterKeyLocationProblem's reason, if any. */
export function assertProductionMasterKey(cfg: KeySettings): void {
  const problem = masterKeyLocationProblem(cfg);
  if (problem) throw new Error(problem);
}

/**
 * The KeyProvider of the master key: data key `id` = the first 16 bytes of
 * HMAC-SM3(master key, "medbill sealed data key v1|" + id); the blind-index key =
 * HMAC-SM3(master key, "medbill blind index v1"). Every key id is derivable, so every process
 * reads values of any key id it meets, whichever it writes under.
 *
 * A KMS plugs in here: implement KeyProvider with getKey(id) answering the data key the KMS holds
 * (or unwraps) for id — fetched once per id at start and kept in memory, since sealing runs inside
 * transactions — and pass it to new Sealer(provider, cfg.keys.dataKeyId) instead of this one.
 */
export class MasterKeyProvider implements KeyProvider {
  private readonly master: Uint8Array;

  constructor(masterHex: string) {
    if (!HEX32.test(masterHex)) throw new Error('the master key must be 32 hex characters');
    this.master = Uint8Array.from(Buffer.from(masterHex, 'hex'));
  }

  getKey(id: string): Uint8Array {
    return Uint8Array.from(Buffer.from(hmacSm3Hex(this.master, `medbill sealed data key v1|${id}`), 'hex').subarray(0, 16));
  }

  indexKey(): Uint8Array {
    return Uint8Array.from(Buffer.from(hmacSm3Hex(this.master, 'medbill blind index v1'), 'hex'));
  }
}

export const seal = (plain: string, key: string) => sm4Encrypt(plain, key);
export const unseal = (cipher: string, key: string) => sm4Decrypt(cipher, key);
