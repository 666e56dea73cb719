import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sm4 } from 'sm-crypto-v2';
import { Sealer, SealedValueError, blindIndexOf, isSealed, normalizeForIndex, openValue, sealValue, sealedKeyId } from './sealed';
import { MasterKeyProvider, demoMasterKeyFile, masterKey, masterKeyLocationProblem } from './keys';

/** The grouped settings common/keys.ts reads, from the few fields these tests vary. */
const ks = (o: { dataDir: string; cacheDir?: string; masterKey?: string; keys?: { masterKeyFile?: string } }) => ({
  server: { dataDir: o.dataDir },
  database: { masterKey: o.masterKey },
  temporal: { cacheDir: o.cacheDir },
  keys: o.keys,
});


const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const MASTER = '00112233445566778899aabbccddeeff';

describe('SM4-GCM as the envelope uses it', () => {
  test('RFC 8998 A.1 known answer (key, IV, AAD, plaintext -> ciphertext and tag)', () => {
    const r = sm4.encrypt(
      hexBytes('AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA'),
      hexBytes('0123456789ABCDEFFEDCBA9876543210'),
      { mode: 'gcm', iv: hexBytes('00001234567800000000ABCD'), associatedData: hexBytes('FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2'), outputTag: true },
    );
    expect(r.output).toBe('17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d');
    expect(r.tag).toBe('83de3541e4c2b58177e065a9bf7b62ec');
  });

  test('GB/T 32907 block known answer (SM4 itself)', () => {
    const k = '0123456789abcdeffedcba9876543210';
    expect(sm4.encrypt(hexBytes(k), k, { padding: 'none' })).toBe('681edf34d206965e86b3e94f536e4246');
  });
});

describe('the sealed envelope', () => {
  const key = hexBytes('0123456789abcdeffedcba9876543210');
  const iv = hexBytes('00001234567800000000abcd');
  const keyOf = (id: string) => {
    if (id !== 'k1') throw new Error('unknown');
    return key;
  };

  test('a fixed key and IV give a fixed envelope (known answer), and it opens again', () => {
    const v = sealValue('13800138000', 'k1', key, iv);
    // SM4-GCM of "13800138000" under that key and IV with AAD "v1:k1" (computed once, pinned here)
    expect(v).toBe('v1:k1:00001234567800000000abcd:8c6a0b6a16fc4c7c925b57:6765201e5438d538dd914fcd20091382');
    expect(openValue(v, keyOf)).toBe('13800138000');
    expect(sealedKeyId(v)).toBe('k1');
  });

  test('a random IV per value: the same value seals differently each time', () => {
    const a = sealValue('张三 zhangsan@example.com', 'k1', key);
    const b = sealValue('张三 zhangsan@example.com', 'k1', key);
    expect(a).not.toBe(b);
    expect(openValue(a, keyOf)).toBe('张三 zhangsan@example.com');
    expect(openValue(b, keyOf)).toBe('张三 zhangsan@example.com');
    expect(a).not.toContain('zhangsan');
  });

  test('tampering is detected: ciphertext, tag, IV, key id, truncation', () => {
    const v = sealValue('110101199003077777', 'k1', key);
    const [ver, id, ivh, ct, tag] = v.split(':');
    const flip = (h: string, i = 0) => h.slice(0, i) + (h[i] === '0' ? '1' : '0') + h.slice(i + 1);
    const bad = [
      [ver, id, ivh, flip(ct), tag],
      [ver, id, ivh, flip(ct, ct.length - 1), tag],
      [ver, id, ivh, ct, flip(tag)],
      [ver, id, flip(ivh), ct, tag],
      [ver, id, ivh, ct.slice(0, -2), tag],
      [ver, id, ivh, ct, tag.slice(0, -2)],
    ].map((parts) => parts.join(':'));
    for (const b of bad) expect(() => openValue(b, keyOf)).toThrow(SealedValueError);
    // the same bytes presented under another key id: refused (the id is authenticated data)
    const other = (kid: string) => (kid === 'k2' ? key : keyOf(kid));
    expect(() => openValue([ver, 'k2', ivh, ct, tag].join(':'), other)).toThrow(SealedValueError);
    expect(openValue(v, other)).toBe('110101199003077777');
  });

  test('the error of a failed value never holds the value or the key', () => {
    const v = sealValue('13912345678', 'k1', key);
    try {
      openValue(v.replace(/:([0-9a-f])([0-9a-f]*)$/, (_, c, r) => `:${c === 'a' ? 'b' : 'a'}${r}`), keyOf);
      throw new Error('did not throw');
    } catch (e) {
      expect(e).toBeInstanceOf(SealedValueError);
      expect(String((e as Error).message)).not.toMatch(/1391|0123456789abcdef/);
    }
  });
});

describe('Sealer and the master key provider', () => {
  const sealer = new Sealer(new MasterKeyProvider(MASTER), 'k1');

  test('seals, opens, passes null and plaintext of an older version through', () => {
    const v = sealer.seal('13800138000');
    expect(isSealed(v)).toBe(true);
    expect(sealer.open(v)).toBe('13800138000');
    expect(sealer.seal(null)).toBeNull();
    expect(sealer.open(undefined)).toBeUndefined();
    expect(sealer.open('13800138000')).toBe('13800138000');
    expect(sealer.seal(v)).toBe(v); // sealing twice changes nothing
  });

  test('values of an older key id stay readable after the current id moves on', () => {
    const old = sealer.seal('a@b.cn');
    const next = new Sealer(new MasterKeyProvider(MASTER), 'k2');
    expect(sealedKeyId(next.seal('x'))).toBe('k2');
    expect(next.open(old)).toBe('a@b.cn');
  });

  test('another master key opens nothing', () => {
    const v = sealer.seal('13800138000');
    expect(() => new Sealer(new MasterKeyProvider('ffeeddccbbaa99887766554433221100'), 'k1').open(v)).toThrow(SealedValueError);
  });

  test('data keys differ per id and from the index key', () => {
    const p = new MasterKeyProvider(MASTER);
    expect(Buffer.from(p.getKey('k1')).toString('hex')).not.toBe(Buffer.from(p.getKey('k2')).toString('hex'));
    expect(p.getKey('k1')).toHaveLength(16);
    expect(p.indexKey()).toHaveLength(32);
  });

  test('blind index: normalized, keyed, the same across data key ids', () => {
    const k2 = new Sealer(new MasterKeyProvider(MASTER), 'k2');
    expect(sealer.blindIndex('phone', '+86 138-0013-8000')).toBe(sealer.blindIndex('phone', '13800138000'));
    expect(sealer.blindIndex('idcard', '11010119900307777x')).toBe(sealer.blindIndex('idcard', '11010119900307777X'));
    expect(sealer.blindIndex('email', ' Zhang@Example.COM ')).toBe(sealer.blindIndex('email', 'zhang@example.com'));
    expect(k2.blindIndex('phone', '13800138000')).toBe(sealer.blindIndex('phone', '13800138000'));
    expect(sealer.blindIndex('phone', '13800138000')).not.toBe(sealer.blindIndex('phone', '13800138001'));
    expect(sealer.blindIndex('phone', '13800138000')).not.toBe(new Sealer(new MasterKeyProvider('ffeeddccbbaa99887766554433221100'), 'k1').blindIndex('phone', '13800138000'));
    expect(sealer.blindIndex('phone', '13800138000')).toMatch(/^[0-9a-f]{64}$/);
    expect(sealer.blindIndex('phone', null)).toBeNull();
    expect(normalizeForIndex('phone', '0086 13800138000')).toBe('13800138000');
    // HMAC-SM3 over "<kind>:<value>": the kinds never collide
    const ik = new MasterKeyProvider(MASTER).indexKey();
    expect(blindIndexOf('phone', 'x@y.cn', ik)).not.toBe(blindIndexOf('email', 'x@y.cn', ik));
  });

  test('a bad key id is refused', () => {
    expect(() => new Sealer(new MasterKeyProvider(MASTER), 'K:1')).toThrow(/MEDBILL_DATA_KEY_ID/);
  });
});

describe('where the master key comes from', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-keys-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the embedded default makes a demo key in the cache folder, outside the data folder, once', () => {
    const cfg = ks({ dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') });
    const k = masterKey(cfg);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    const file = demoMasterKeyFile(cfg);
    expect(file.startsWith(path.join(dir, 'cache', 'keys'))).toBe(true);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(k);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(fs.existsSync(path.join(dir, 'data', 'master.key'))).toBe(false);
    expect(masterKey(cfg)).toBe(k);
    expect(masterKeyLocationProblem(cfg)).toMatch(/demo key/);
  });

  test('an older demo key in data/master.key is still used, and refused for production', () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'master.key'), 'ABCDEF0123456789abcdef0123456789\n');
    const cfg = ks({ dataDir: data, cacheDir: path.join(dir, 'cache') });
    expect(masterKey(cfg)).toBe('abcdef0123456789abcdef0123456789');
    expect(masterKeyLocationProblem(cfg)).toMatch(/demo key/);
  });

  test('MEDBILL_MASTER_KEY_FILE: read; refused inside the data folder (also through a symbolic link), accepted outside', () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(path.join(data, 'secrets'), { recursive: true });
    const inside = path.join(data, 'secrets', 'master.key');
    fs.writeFileSync(inside, `${MASTER}\n`);
    expect(masterKey(ks({ dataDir: data, keys: { masterKeyFile: inside } }))).toBe(MASTER);
    expect(masterKeyLocationProblem(ks({ dataDir: data, keys: { masterKeyFile: inside } }))).toMatch(/inside the data folder/);
    const link = path.join(dir, 'link.key');
    fs.symlinkSync(inside, link);
    expect(masterKeyLocationProblem(ks({ dataDir: data, keys: { masterKeyFile: link } }))).toMatch(/inside the data folder/);
    const outside = path.join(dir, 'vault', 'master.key');
    fs.mkdirSync(path.dirname(outside));
    fs.writeFileSync(outside, `${MASTER}\n`, { mode: 0o600 });
    expect(masterKeyLocationProblem(ks({ dataDir: data, keys: { masterKeyFile: outside } }))).toBeUndefined();
    expect(masterKeyLocationProblem(ks({ dataDir: data, keys: { masterKeyFile: path.join(dir, 'missing.key') } }))).toMatch(/does not exist/);
    expect(() => masterKey(ks({ dataDir: data, keys: { masterKeyFile: path.join(dir, 'missing.key') } }))).toThrow(/does not exist/);
  });

  test('MEDBILL_MASTER_KEY: used as it is; both settings at once refused', () => {
    expect(masterKey(ks({ dataDir: dir, masterKey: MASTER.toUpperCase() }))).toBe(MASTER);
    expect(masterKeyLocationProblem(ks({ dataDir: dir, masterKey: MASTER }))).toBeUndefined();
    expect(() => masterKey(ks({ dataDir: dir, masterKey: 'short' }))).toThrow(/32 hex/);
    expect(masterKeyLocationProblem(ks({ dataDir: dir, masterKey: MASTER, keys: { masterKeyFile: '/x' } }))).toMatch(/not both/);
  });
});
