/**
 * RSA keys of the payment channels (WeChat Pay v3 and Alipay, both RSA-2048 with SHA-256).
 *
 * Production: MEDBILL_WECHATPAY_PRIVATE_KEY / MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY and
 * MEDBILL_ALIPAY_PRIVATE_KEY / MEDBILL_ALIPAY_PUBLIC_KEY name PEM files issued by the platforms.
 * Demo: each unset key comes from a pair made once at first start into
 * `{dataDir}/payment-keys/{name}.pem` (PKCS#8, mode 0600), the same files the simulators read
 * their side of: the merchant's and the app's key pairs (their public halves are what the
 * simulated platforms verify requests with) and the simulated platforms' own signing keys.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../config';

export type DemoKeyName = 'wechatpay-merchant' | 'wechatpay-platform' | 'alipay-app' | 'alipay-platform';

export interface RsaKeyPair {
  privateKey: string;
  publicKey: string;
}

/** The demo key pair `name`, made on first use (concurrent first uses keep the first file). */
export function demoKeyPair(dataDir: string, name: DemoKeyName): RsaKeyPair {
  const dir = path.join(dataDir, 'payment-keys');
  const file = path.join(dir, `${name}.pem`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    try {
      fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const privateKey = fs.readFileSync(file, 'utf8');
  const publicKey = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
  return { privateKey, publicKey };
}

function readPem(setting: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${setting}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The keys the hospital's side uses: its own private keys and the platforms' public keys. */
export function paymentKeys(cfg: Config): { wechatpay: { privateKey: string; platformPublicKey: string }; alipay: { privateKey: string; alipayPublicKey: string } } {
  return {
    wechatpay: {
      privateKey: cfg.payment.wechatpay.privateKey ? readPem('MEDBILL_WECHATPAY_PRIVATE_KEY', cfg.payment.wechatpay.privateKey) : demoKeyPair(cfg.server.dataDir, 'wechatpay-merchant').privateKey,
      platformPublicKey: cfg.payment.wechatpay.platformPublicKey
        ? readPem('MEDBILL_WECHATPAY_PLATFORM_PUBLIC_KEY', cfg.payment.wechatpay.platformPublicKey)
        : demoKeyPair(cfg.server.dataDir, 'wechatpay-platform').publicKey,
    },
    alipay: {
      privateKey: cfg.payment.alipay.privateKey ? readPem('MEDBILL_ALIPAY_PRIVATE_KEY', cfg.payment.alipay.privateKey) : demoKeyPair(cfg.server.dataDir, 'alipay-app').privateKey,
      alipayPublicKey: cfg.payment.alipay.publicKey ? readPem('MEDBILL_ALIPAY_PUBLIC_KEY', cfg.payment.alipay.publicKey) : demoKeyPair(cfg.server.dataDir, 'alipay-platform').publicKey,
    },
  };
}
