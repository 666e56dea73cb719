import { parseIssueDraft, payloadHash } from './issue-request';
import { billContent, contentHash, firstDifference } from './request-content';
import { sampleOutpatient } from '../../sim/his/client';

const M = 'invoiceEBillOutpatient';
const content = (o: Record<string, unknown>, method = M) => billContent(parseIssueDraft(method, o));
const reversed = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).reverse());

/** The first request and a retry rebuilt by a new HIS: same bill, other bytes. */
function pair() {
  const first = sampleOutpatient({ busNo: 'MZ-RETRY-1', busDateTime: '20261203101500123', consultationDate: '20261203' });
  const rebuilt = reversed({
    ...first,
    busDateTime: '20261204083000999',
    consultationDate: '20261204',
    totalAmt: '126.50',
    remark: undefined,
    unknownField: 'ignored',
    payChannelDetail: [
      { payChannelValue: '100.00', payChannelCode: '05' },
      { payChannelValue: 26.5, payChannelCode: '02' },
    ],
    chargeDetail: (first.chargeDetail as Array<Record<string, unknown>>).map((c) => reversed({ ...c, sortNo: String(c.sortNo), std: Number(c.std).toFixed(2), number: String(c.number), amt: Number(c.amt).toFixed(2) })),
    listDetail: (first.listDetail as Array<Record<string, unknown>>).map((l) => reversed({ ...l, listDetailNo: Number(l.listDetailNo), std: Number(l.std).toFixed(2), amt: Number(l.amt).toFixed(2) })),
    age: 36,
  });
  return { first, rebuilt };
}

describe('billContent', () => {
  test('a rebuilt retry (new busDateTime, consultationDate, field order, numbers for strings) has the same content and hash', () => {
    const { first, rebuilt } = pair();
    expect(JSON.stringify(Object.keys(rebuilt))).not.toBe(JSON.stringify(Object.keys(first)));
    expect(payloadHash(rebuilt)).not.toBe(payloadHash(first)); // the raw-payload hash refused this retry (E0012)
    const a = content(first);
    const b = content(rebuilt);
    expect(firstDifference(a, b)).toBeUndefined();
    expect(contentHash(b)).toBe(contentHash(a));
    expect(contentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('36.3 and "36.30" agree, as amounts and as other numbers', () => {
    const one = (v: unknown, std: unknown) =>
      content(sampleOutpatient({
        busNo: 'B', totalAmt: v, payChannelDetail: [{ payChannelCode: '02', payChannelValue: v }],
        chargeDetail: [{ chargeCode: 'GH', chargeName: '挂号费', std, number: 1, amt: v }], listDetail: undefined, fundPay: v,
      }));
    expect(contentHash(one(36.3, 36.3))).toBe(contentHash(one('36.30', '36.30')));
    expect(contentHash(one(36.3, 36.3))).not.toBe(contentHash(one(36.31, 36.31)));
  });

  test('notice contacts are not content; codes keep their leading zeros', () => {
    const base = sampleOutpatient({ busNo: 'B' });
    expect(contentHash(content({ ...base, tel: '13900139000', email: 'x@example.com', openID: 'o1', noticeList: [{ noticeType: '1201', noticeValue: '13900139000' }] })))
      .toBe(contentHash(content(base)));
    expect(firstDifference(content(base), content({ ...base, cardNo: '0001' }))).toBe('cardNo');
    expect(firstDifference(content({ ...base, cardNo: '1' }), content({ ...base, cardNo: 1 }))).toBeUndefined();
    expect(firstDifference(content({ ...base, cardNo: '01' }), content({ ...base, cardNo: 1 }))).toBe('cardNo');
  });

  const changes: Array<[string, (o: Record<string, unknown>) => Record<string, unknown>, string]> = [
    ['the payer', (o) => ({ ...o, payer: '李四' }), 'payer'],
    ['the billing point', (o) => ({ ...o, placeCode: 'ZY01' }), 'placeCode'],
    ['the business type', (o) => ({ ...o, busType: '03' }), 'busType'],
    ['the patient', (o) => ({ ...o, patientNo: 'P0002' }), 'patientNo'],
    ['an id card', (o) => ({ ...o, idCardNo: undefined }), 'idCardNo'],
    ['the total (with its lines)', (o) => ({
      ...o, totalAmt: 127.5, payChannelDetail: [{ payChannelCode: '05', payChannelValue: 101 }, { payChannelCode: '02', payChannelValue: 26.5 }],
      chargeDetail: [{ chargeCode: 'GH', chargeName: '挂号费', amt: 127.5 }],
    }), 'totalAmt'],
    ['a charge amount moved between lines', (o) => {
      const cd = (o.chargeDetail as Array<Record<string, unknown>>).map((c) => ({ ...c }));
      cd[1].amt = 90;
      cd[2].amt = 26.5;
      return { ...o, chargeDetail: cd };
    }, 'chargeDetail[1].amt'],
    ['a charge line name', (o) => ({ ...o, chargeDetail: (o.chargeDetail as Array<Record<string, unknown>>).map((c, i) => (i === 2 ? { ...c, chargeName: '中成药费' } : c)) }), 'chargeDetail[2].chargeName'],
    ['a pay channel', (o) => ({ ...o, payChannelDetail: [{ payChannelCode: '01', payChannelValue: 100 }, { payChannelCode: '02', payChannelValue: 26.5 }] }), 'payChannelDetail[0].payChannelCode'],
    ['pay channel amounts', (o) => ({ ...o, payChannelDetail: [{ payChannelCode: '05', payChannelValue: 26.5 }, { payChannelCode: '02', payChannelValue: 100 }] }), 'payChannelDetail[0].payChannelValue'],
    ['one more pay channel', (o) => ({ ...o, payChannelDetail: [{ payChannelCode: '05', payChannelValue: 100 }, { payChannelCode: '02', payChannelValue: 26 }, { payChannelCode: '01', payChannelValue: 0.5 }] }), 'payChannelDetail[1].payChannelValue'],
    ['a list line', (o) => ({ ...o, listDetail: (o.listDetail as Array<Record<string, unknown>>).map((l, i) => (i === 2 ? { ...l, specification: '0.5g*12粒' } : l)) }), 'listDetail[2].specification'],
    ['a list line dropped', (o) => ({ ...o, listDetail: (o.listDetail as unknown[]).slice(0, 2) }), 'listDetail[2]'],
    ['no list', (o) => ({ ...o, listDetail: undefined }), 'listDetail'],
    ['the checker', (o) => ({ ...o, checker: '赵六' }), 'checker'],
    ['an insurance split', (o) => ({ ...o, fundPay: 50 }), 'fundPay'],
  ];
  test.each(changes)('a change of %s is a different content, named by its request path', (_name, change, field) => {
    const first = sampleOutpatient({ busNo: 'B' });
    const a = content(first);
    const b = content(change(first));
    expect(contentHash(b)).not.toBe(contentHash(a));
    expect(firstDifference(a, b)).toBe(field);
  });

  test('the first difference is the first in the bill\'s order, whatever the request order', () => {
    const first = sampleOutpatient({ busNo: 'B' });
    const b = content(reversed({ ...first, fundPay: 1, checker: '赵六', payer: '李四', placeCode: 'ZY01' }));
    expect(firstDifference(content(first), b)).toBe('placeCode');
  });

  test('the method is content: the same request as another bill kind differs', () => {
    const first = sampleOutpatient({ busNo: 'B', checkUpNo: 'TJ1' });
    expect(firstDifference(content(first), content(first, 'invEBillCheckUp'))).toBe('method');
  });
});
