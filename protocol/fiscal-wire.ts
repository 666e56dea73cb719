/**
 * The fiscal platform's request authentication, shared by the client (client.ts) and the simulator
 * (sim/fiscal/server.ts): headers appId, timestamp (epoch ms), nonce and the signature
 * lower-case hex HMAC-SM3(secret, METHOD + path-with-query + timestamp + nonce + body).
 */
import { hmacSm3Hex } from '../common/gm';

export const FISCAL_HEADERS = {
  appId: 'x-fiscal-appid',
  timestamp: 'x-fiscal-timestamp',
  nonce: 'x-fiscal-nonce',
  signature: 'x-fiscal-signature',
} as const;

export function fiscalSignature(secret: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string): string {
  return hmacSm3Hex(secret, method.toUpperCase() + pathWithQuery + timestamp + nonce + body);
}
