import { formatYuan, parseYuan, yuanInChinese } from './money';

describe('money in fen', () => {
  test.each([
    [126.5, 12650],
    ['26.50', 2650],
    [0.1, 10],
    [0.29, 29],
    [1.005, undefined],
    ['1.2.3', undefined],
    ['', undefined],
    [1e21, undefined],
    [Number.NaN, undefined],
    [null, undefined],
    ['-3.10', -310],
    [99999999.99, 9999999999],
  ])('parseYuan(%p) = %p', (v, fen) => expect(parseYuan(v)).toBe(fen));

  test('sums that float maths gets wrong come out exact', () => {
    expect([0.1, 0.2].map((v) => parseYuan(v)!).reduce((a, b) => a + b)).toBe(parseYuan(0.3));
  });

  test.each([
    [0, '0.00'],
    [5, '0.05'],
    [12650, '126.50'],
    [-310, '-3.10'],
  ])('formatYuan(%p) = %p', (fen, s) => expect(formatYuan(fen)).toBe(s));

  test.each([
    [12650, '壹佰贰拾陆元伍角'],
    [100000, '壹仟元整'],
    [100500, '壹仟零伍元整'],
    [1000000001, '壹仟万元零壹分'],
    [50, '伍角'],
    [123456789, '壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分'],
    [10000000, '壹拾万元整'],
  ])('yuanInChinese(%p) = %p', (fen, s) => expect(yuanInChinese(fen)).toBe(s));
});
