/**
 * Known-answer vectors of the fiscal platform's request signature. The expected values were
 * computed outside this code base (Python's hmac with OpenSSL's SM3:
 * `hmac.new(secret.encode(), msg.encode(), lambda: hashlib.new('sm3')).hexdigest()`), so a change
 * that makes the client and the simulator drift together from the platform's rule fails here.
 */
import { fiscalSignature } from './fiscal-wire';

describe('fiscalSignature: HMAC-SM3(secret, METHOD + path-with-query + timestamp + nonce + body)', () => {
  it('matches an independent HMAC-SM3 for a POST with query and body', () => {
    expect(fiscalSignature('medbill-demo-fiscal-secret-2026', 'post', '/api/v1/bills/upload?x=1', '1764720000000', 'n0nce-1', '{"a":1}')).toBe(
      '748cbdcfedbf31efa1104480613e08497488422e9d6dd0556bb6130e90b3c9f9',
    );
  });
  it('matches an independent HMAC-SM3 for a GET without body', () => {
    expect(fiscalSignature('s', 'GET', '/api/v1/basic-data', '0', '', '')).toBe('8a9c24d0bc539264954fcc05d39f5eb7eb6dfcfbb370878c4a6ca23da5d5d336');
  });
  it('reads the secret as UTF-8 text, also when it looks like hex', () => {
    expect(fiscalSignature('ab', 'GET', '/', '0', '', '')).toBe('03b7f001b7fca0ca1f97c7051b64077c9f61c919a3399532805ccadcc459ff50');
  });
});
