import { buildRequest, buildResponse, decodeData, envelopeSign, openResponse, parseEnvelope, verifyEnvelopeSign } from './his-envelope';
import { DomainError } from '../common/errors';

describe('HIS envelope', () => {
  test('round trip: request built by a HIS is verified and decoded', () => {
    const env = buildRequest('APP', 'KEY', { busNo: '甲1' });
    const parsed = parseEnvelope(JSON.parse(JSON.stringify(env)));
    expect(() => verifyEnvelopeSign(parsed, 'KEY')).not.toThrow();
    expect(decodeData(parsed)).toEqual({ busNo: '甲1' });
  });

  test('a tampered data or a wrong key fails the sign check', () => {
    const env = buildRequest('APP', 'KEY', { busNo: '1' });
    expect(() => verifyEnvelopeSign({ ...env, data: Buffer.from('{"busNo":"2"}').toString('base64') }, 'KEY')).toThrow(/sign/);
    expect(() => verifyEnvelopeSign(env, 'OTHER')).toThrow(DomainError);
  });

  test('the sign check accepts the good sign (either case) and refuses one off by a character or of another length', () => {
    const env = buildRequest('APP', 'KEY', { busNo: '1' });
    expect(() => verifyEnvelopeSign({ ...env, sign: env.sign.toLowerCase() }, 'KEY')).not.toThrow();
    const last = env.sign.slice(-1) === '0' ? '1' : '0';
    for (const sign of [env.sign.slice(0, -1) + last, env.sign.slice(0, -1), `${env.sign}0`, 'x']) {
      let err: unknown;
      try {
        verifyEnvelopeSign({ ...env, sign }, 'KEY');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('E0002');
    }
  });

  test('the response is signed the same way and decodes to {result, message}', () => {
    const res = buildResponse('S0000', { billNo: '0000000001' }, 'APP', 'KEY');
    const opened = openResponse(res, 'APP', 'KEY');
    expect(opened).toEqual({ result: 'S0000', message: { billNo: '0000000001' }, signOk: true });
    expect(openResponse(res, 'APP', 'WRONG').signOk).toBe(false);
    const err = openResponse(buildResponse('E0010', 'busNo: 必填', 'APP', 'KEY'), 'APP', 'KEY');
    expect(err.message).toBe('busNo: 必填');
  });

  test.each([
    [null, undefined],
    [[], undefined],
    [{ appid: 'A', data: 'e30=', noise: 'n', version: '2.0', sign: 'x' }, 'version'],
    [{ appid: 'A', data: '%%%', noise: 'n', version: '1.0', sign: 'x' }, 'data'],
    [{ appid: '', data: 'e30=', noise: 'n', version: '1.0', sign: 'x' }, 'appid'],
  ])('malformed envelope %p names %p', (body, field) => {
    try {
      parseEnvelope(body);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('E0001');
      expect((e as DomainError).field).toBe(field);
    }
  });
});

/**
 * Known-answer vectors of the envelope (INTERFACES.md §1), computed outside this code base
 * (Python: hashlib.md5(b'appid=..&data=..&noise=..&key=..&version=1.0').hexdigest().upper(), and
 * base64 of the UTF-8 JSON): HIS integrations depend on these bytes.
 */
describe('HIS envelope known answers', () => {
  it('signs appid, data, noise, key and version in that order (key before version)', () => {
    expect(envelopeSign('MEDBILL_DEMO_HIS', 'eyJidXNObyI6IjEifQ==', 'noise-1', 'medbill-demo-key-2026')).toBe('623A53FB5686203AB4C629977B34D777');
  });
  it('builds a request: data is Base64 of the UTF-8 JSON, sign over it', () => {
    expect(buildRequest('MEDBILL_DEMO_HIS', 'medbill-demo-key-2026', { busNo: '1', payer: '张三' }, 'noise-2')).toEqual({
      appid: 'MEDBILL_DEMO_HIS',
      data: 'eyJidXNObyI6IjEiLCJwYXllciI6IuW8oOS4iSJ9',
      noise: 'noise-2',
      version: '1.0',
      sign: '880B6A45DDECB7B61D4EBFBF3263FD42',
    });
  });
});
