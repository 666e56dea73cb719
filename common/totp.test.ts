import {
  base32Decode, base32Encode, hashRecoveryCode, hotp, newRecoveryCodes, newTotpSecret, otpauthUri, totpAt, verifyTotp,
} from './totp';

// RFC 6238 Appendix B, SHA1 rows: seed "12345678901234567890", 8 digits.
const RFC_SEED = Buffer.from('12345678901234567890', 'ascii');
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

test('RFC 6238 Appendix B SHA1 vectors (8 digits) pass, through the base32 form of the seed too', () => {
  const secret = base32Encode(RFC_SEED);
  expect(secret).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  for (const [t, code] of RFC_VECTORS) {
    expect(hotp(RFC_SEED, Math.floor(t / 30), 8)).toBe(code);
    expect(totpAt(secret, t * 1000, 8)).toBe(code);
  }
});

test('RFC 4226 Appendix D HOTP values (6 digits)', () => {
  const want = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  want.forEach((code, i) => expect(hotp(RFC_SEED, i)).toBe(code));
});

test('base32 round-trips; malformed input is refused; a new secret is 20 bytes', () => {
  const s = newTotpSecret();
  expect(s).toMatch(/^[A-Z2-7]{32}$/);
  expect(base32Decode(s)!.length).toBe(20);
  expect(base32Decode(s.toLowerCase())!.equals(base32Decode(s)!)).toBe(true);
  expect(base32Decode('ABC1')).toBeNull();
});

test('the ±1 step window: the previous, current and next codes pass; two steps away do not', () => {
  const secret = base32Encode(RFC_SEED);
  const now = 1_800_000_015_000;
  const at = (d: number) => totpAt(secret, now + d * 30_000);
  const step = Math.floor(now / 30_000);
  expect(verifyTotp(secret, at(0), now)).toBe(step);
  expect(verifyTotp(secret, at(-1), now)).toBe(step - 1);
  expect(verifyTotp(secret, at(1), now)).toBe(step + 1);
  // Fixed secret and time, so these codes are fixed and differ from the three window codes.
  expect(new Set([at(-2), at(-1), at(0), at(1), at(2)]).size).toBe(5);
  expect(verifyTotp(secret, at(2), now)).toBeNull();
  expect(verifyTotp(secret, at(-2), now)).toBeNull();
  expect(verifyTotp(secret, '12345', now)).toBeNull();
  expect(verifyTotp(secret, 'abcdef', now)).toBeNull();
});

test('replay: a code whose step was used is refused; a later step still passes', () => {
  const secret = newTotpSecret();
  const now = 1_800_000_015_000;
  const code = totpAt(secret, now);
  const used = verifyTotp(secret, code, now, null)!;
  expect(used).not.toBeNull();
  expect(verifyTotp(secret, code, now, used)).toBeNull();
  expect(verifyTotp(secret, code, now + 20_000, used)).toBeNull();
  expect(verifyTotp(secret, totpAt(secret, now + 30_000), now + 30_000, used)).toBe(used + 1);
  // An earlier code inside the window is refused once a later step was used.
  expect(verifyTotp(secret, totpAt(secret, now - 30_000), now, used)).toBeNull();
});

test('otpauth URI and recovery codes', () => {
  const uri = otpauthUri('medbill', 'finance', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  expect(uri).toBe('otpauth://totp/medbill%3Afinance?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=medbill&algorithm=SHA1&digits=6&period=30');
  const codes = newRecoveryCodes();
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);
  for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  expect(hashRecoveryCode(codes[0].toUpperCase().replace('-', ' '))).toBe(hashRecoveryCode(codes[0]));
  expect(hashRecoveryCode(codes[0])).not.toBe(hashRecoveryCode(codes[1]));
});
