/**
 * The merchant and platform identities the payment adapter tests run against the simulators with
 * (demo key pairs made in `dataDir`, and the merchant numbers, serials and app id the simulators
 * are started with). Tests only.
 */
import { demoKeyPair } from './keys';

export function paymentTestIdentities(dataDir: string) {
  return {
    merchant: demoKeyPair(dataDir, 'wechatpay-merchant'),
    wxPlatform: demoKeyPair(dataDir, 'wechatpay-platform'),
    aliApp: demoKeyPair(dataDir, 'alipay-app'),
    aliPlatform: demoKeyPair(dataDir, 'alipay-platform'),
    API_V3_KEY: 'testApiV3Key0123456789abcdefABCD',
    MCH: { mchId: '1900000109', serial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1' },
    PLATFORM_SERIAL: 'PUB_KEY_ID_0119000001092026112200000000000001',
    APP_ID: '2021004100000001',
  };
}
