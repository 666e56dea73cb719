/** Extra master data for tests that need more than the demo hospital. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HisApp, Hospital } from '../orm/entities';
import { randomKeyHex, sm2KeyPair } from '../common/gm';
import { masterKey } from '../common/keys';
import type { Platform } from './harness';

/** A second hospital with its own HIS application (appid/key), sharing the platform. */
export async function seedSecondHospital(p: Platform): Promise<{ appid: string; key: string }> {
  const key = masterKey(p.cfg);
  const { seal } = await import('../common/keys');
  const em = p.orm.em.fork();
  const keys = sm2KeyPair();
  const suffix = randomBytes(3).toString('hex');
  const hospital = em.create(Hospital, {
    code: `H2-${suffix}`,
    name: '另一家医院',
    regionCode: '44',
    publicKey: keys.publicKey,
    privateKeyEnc: seal(keys.privateKey, key),
    checkSecretEnc: seal(randomKeyHex(32), key),
    createdAt: new Date(),
  });
  const appid = `OTHER_${suffix}`;
  const appKey = `other-key-${suffix}`;
  em.create(HisApp, { appid, name: 'other HIS', keyEnc: seal(appKey, key), hospital, active: true });
  await em.flush();
  return { appid, key: appKey };
}

/** The text of a PDF (pdftotext, poppler-utils: scripts/test.sh installs it). */
export function pdfText(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bill-'));
  try {
    fs.writeFileSync(path.join(dir, 'b.pdf'), pdf);
    return execFileSync('pdftotext', ['-layout', path.join(dir, 'b.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
