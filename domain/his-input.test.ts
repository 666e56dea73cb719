import { checkHisText, checkIdCardNo, checkNoise, forbiddenCharIn, validResidentId } from './his-input';
import { parseIssueDraft } from './bill/issue-request';
import { canonicalBillText, type SignedFacts } from './bill/facts';
import { sampleOutpatient } from '../sim/his/client';
import { DomainError } from '../common/errors';
import { jsonDepth, parseJsonBounded } from '../common/json';

const err = (f: () => unknown): DomainError => {
  try {
    f();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
};
const draft = (o: Record<string, unknown>) => parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient(o));

describe('control characters', () => {
  test.each([
    ['NUL', 'ZY01\u0000'], ['BEL', 'a\u0007'], ['ESC', '\u001b[31m'], ['DEL', 'a\u007f'], ['C1 NEL', 'a\u0085'], ['C1 CSI', '\u009b'],
    ['RLO', 'abc\u202e'], ['LRE', '\u202a'], ['PDF', '\u202c'], ['LRI', '\u2066'], ['PDI', '\u2069'],
    ['ZWSP', 'a\u200bb'], ['ZWNJ', '\u200c'], ['ZWJ', '\u200d'], ['BOM', '\ufeffa'], ['LF', 'a\nb'], ['CR', 'a\rb'], ['TAB', 'a\tb'],
    ['lone surrogate', 'a\ud800b'], ['line separator', 'a\u2028'],
  ])('%s in placeCode is refused with E0010 naming the field', (_n, value) => {
    const e = err(() => draft({ placeCode: value }));
    expect(e.code).toBe('E0010');
    expect(e.field).toBe('placeCode');
    expect(e.message).toMatch(/^placeCode: 含有不允许的控制字符（U\+[0-9A-F]{4}）$/);
  });

  test('nested fields are named by their path; remark may hold line breaks', () => {
    const lines = sampleOutpatient().chargeDetail as Array<Record<string, unknown>>;
    const e = err(() => checkHisText({ chargeDetail: [lines[0], { ...lines[1], chargeName: '化验\u0000费' }] }));
    expect(e.field).toBe('chargeDetail[1].chargeName');
    expect(() => checkHisText({ remark: '第一行\n第二行\r\n\t缩进' })).not.toThrow();
    expect(err(() => checkHisText({ remark: 'x\u0000' })).field).toBe('remark');
    expect(err(() => checkHisText({ ['bad\u0000key']: 1 })).message).toMatch(/字段名含有不允许的控制字符/);
    expect(forbiddenCharIn('普通中文 ABC 123 😀')).toBeUndefined();
  });

  test('nesting is bounded', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    expect(err(() => checkHisText(deep)).message).toMatch(/嵌套超过 32 层/);
    const text = '['.repeat(3000) + ']'.repeat(3000);
    expect(jsonDepth(text, 32)).toBe(33);
    expect(() => parseJsonBounded(text, 32)).toThrow(/嵌套超过 32 层/);
    expect(jsonDepth('{"a":"[[[[[[\\"]]]"}')).toBe(1);
  });
});

describe('money, lines and channels', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['a negative charge line', { totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: 20 }, { sortNo: 2, chargeCode: 'HY', chargeName: '化验费', amt: -10 }] }, 'chargeDetail[1].amt', 'E0011'],
    ['a negative pay channel', { totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 20 }, { payChannelCode: '05', payChannelValue: -10 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', amt: 10 }] }, 'payChannelDetail[1].payChannelValue', 'E0011'],
    ['an unknown pay channel ZZ', { payChannelDetail: [{ payChannelCode: 'ZZ', payChannelValue: 126.5 }] }, 'payChannelDetail[0].payChannelCode', 'E0010'],
    ['a duplicate sortNo', { totalAmt: 20, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 20 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: 'a', amt: 10 }, { sortNo: 1, chargeCode: 'HY', chargeName: 'b', amt: 10 }] }, 'chargeDetail[1].sortNo', 'E0010'],
    ['a sortNo of 1e20', { totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10 }], chargeDetail: [{ sortNo: 1e20, chargeCode: 'GH', chargeName: 'a', amt: 10 }] }, 'chargeDetail[0].sortNo', 'E0010'],
    ['a sortNo of 0', { totalAmt: 10, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10 }], chargeDetail: [{ sortNo: 0, chargeCode: 'GH', chargeName: 'a', amt: 10 }] }, 'chargeDetail[0].sortNo', 'E0010'],
    ['a 1 MiB otherInfo', { otherInfo: 'x'.repeat(1 << 20) }, 'otherInfo', 'E0010'],
    ['a wrong-typed medicalCareType', { medicalCareType: {} }, 'medicalCareType', 'E0010'],
    ['a money field that is no amount', { fundPay: 'lots' }, 'fundPay', 'E0010'],
    ['a total over the bill bound', { totalAmt: 99999999.99, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 99999999.99 }] }, 'totalAmt', 'E0011'],
    ['a line over the line bound', { totalAmt: 2000000, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 1000000 }, { payChannelCode: '05', payChannelValue: 1000000 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: 'a', amt: 2000000 }] }, 'chargeDetail[0].amt', 'E0011'],
    ['a total that is not the sum of its lines (10.02 vs 10.01)', { totalAmt: 10.02, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 10.02 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: 'a', amt: 10.01 }] }, 'chargeDetail', 'E0011'],
    ['a bad resident ID check digit', { idCardNo: '440101199001011234' }, 'idCardNo', 'E0010'],
    ['a resident ID with a newline', { idCardNo: '44010119900103123\n' }, 'idCardNo', 'E0010'],
    ['a passport with a separator', { cardType: '03', idCardNo: 'E123|4567' }, 'idCardNo', 'E0010'],
  ];
  test.each(cases)('%s is refused naming the field', (_n, o, field, code) => {
    const e = err(() => draft(o));
    expect(e).toBeInstanceOf(DomainError);
    expect(e.field).toBe(field);
    expect(e.code).toBe(code);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
  });

  test('sums are exact in fen (0.1 + 0.2 lines make 0.30)', () => {
    const d = draft({ totalAmt: 0.3, payChannelDetail: [{ payChannelCode: '02', payChannelValue: 0.3 }], chargeDetail: [{ sortNo: 1, chargeCode: 'GH', chargeName: 'a', amt: 0.1 }, { sortNo: 2, chargeCode: 'HY', chargeName: 'b', amt: 0.2 }] });
    expect(d.totalAmt).toBe(30);
  });

  test('the configured pay channel list applies', () => {
    const limits = { payChannelCodes: ['ZZ'], maxLineFen: 1e8, maxBillFen: 1e9 };
    const d = parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ payChannelDetail: [{ payChannelCode: 'ZZ', payChannelValue: 126.5 }] }), limits);
    expect(d.payments[0].channelCode).toBe('ZZ');
  });
});

describe('identity and noise', () => {
  test('resident IDs: check digit, birth date, X', () => {
    expect(validResidentId('440101199001031234')).toBe(true);
    expect(validResidentId('11010519491231002X')).toBe(true);
    expect(validResidentId('440101199001011234')).toBe(false);
    expect(validResidentId('440101199002301234')).toBe(false);
    expect(checkIdCardNo('11010519491231002x', undefined)).toBe('11010519491231002x');
    expect(checkIdCardNo('E12345678', '03')).toBe('E12345678');
  });

  test('noise needs 16+ letters or digits; a UUID passes', () => {
    expect(() => checkNoise('6f1c2a4e-2b7d-4c1e-9a55-0c7f3b1d2e4a')).not.toThrow();
    expect(() => checkNoise('0123456789abcdef')).not.toThrow();
    for (const bad of ['x', 'n1', '----------------------', 'abc def ghi jkl mnop', 'é'.repeat(20), 'a'.repeat(65)]) expect(err(() => checkNoise(bad)).field).toBe('noise');
  });
});

describe('the canonical signed text', () => {
  const facts = (o: Partial<SignedFacts> = {}): SignedFacts => ({
    billKindName: '门诊收费票据', billBatchCode: '44010126', billNo: '0000000001', random: 'abc123', billKindCode: '0401', regionCode: '440100',
    totalAmt: 12650, issuedAt: new Date('2026-12-03T02:00:00Z'), hospitalCode: 'H1', hospitalName: '医院', payer: '张三', idCardNo: '440101199001031234',
    payments: [{ channelCode: '05', amount: 12650 }], busNo: 'B1', payee: '李敏', items: [{ fiscalCode: '01', name: '挂号费', amt: 12650 }], ...o,
  });
  const fieldsOf = (text: string) => text.split('\n').map((l) => l.slice(0, l.indexOf('=')));

  test('a newline in idCardNo cannot add a TotalAmount line', () => {
    const text = canonicalBillText(facts({ idCardNo: '1\nTotalAmount=0.01' }));
    expect(text.split('\n').filter((l) => l.startsWith('TotalAmount='))).toEqual(['TotalAmount=126.50']);
    expect(fieldsOf(text)).toEqual(fieldsOf(canonicalBillText(facts())));
    expect(text).toContain('PayerParty=张三|1\\nTotalAmount=0.01');
  });

  test('a | in payer cannot move the boundary between payer and ID', () => {
    const a = canonicalBillText(facts({ payer: '张|三', idCardNo: 'X' }));
    const b = canonicalBillText(facts({ payer: '张', idCardNo: '三|X' }));
    expect(a).not.toBe(b);
    expect(a).toContain('PayerParty=张\\|三|X');
  });

  test('pay mode separators and backslashes are escaped; plain values are written as they are', () => {
    expect(canonicalBillText(facts({ payments: [{ channelCode: '05;02', amount: 1 }] }))).toContain('PayMode=05\\;02:0.01');
    expect(canonicalBillText(facts({ remark: 'a\\|b' }))).toContain('Remark=a\\\\\\|b');
    expect(canonicalBillText(facts())).toContain('PayerParty=张三|440101199001031234');
  });
});
