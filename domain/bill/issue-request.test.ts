import { canonicalJson, parseIssueDraft, payloadHash, validBusDateTime } from './issue-request';
import { sampleOutpatient } from '../../sim/his/client';
import { DomainError } from '../../common/errors';

const err = (f: () => unknown): DomainError => {
  try {
    f();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
};

describe('parseIssueDraft', () => {
  test('turns a HIS request into fen amounts and keeps visit fields', () => {
    const d = parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ busNo: 'B1' }));
    expect(d.totalAmt).toBe(12650);
    expect(d.payments).toEqual([{ channelCode: '05', amount: 10000 }, { channelCode: '02', amount: 2650 }]);
    expect(d.charges.map((c) => c.amt)).toEqual([1000, 9100, 2550]);
    expect(d.extra.patientCategory).toBe('内科');
  });

  test('names the field at fault', () => {
    const e = err(() => parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ chargeDetail: [{ chargeCode: 'GH', amt: 1 }] })));
    expect(e.field).toBe('chargeDetail[0].chargeName');
    expect(e.code).toBe('E0010');
    const t = err(() => parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ tel: '12345' })));
    expect(t.field).toBe('tel');
    const n = err(() => parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ noticeList: [{ noticeType: '1202', noticeValue: 'x' }] })));
    expect(n.field).toBe('noticeList[0].noticeValue');
    const h = err(() => parseIssueDraft('invEBillHospitalized', sampleOutpatient({ busType: '01' })));
    expect(h.field).toBe('hospitalNo');
  });

  test('rejects a total of zero or less', () => {
    const e = err(() => parseIssueDraft('invoiceEBillOutpatient', sampleOutpatient({ totalAmt: 0 })));
    expect(e.code).toBe('E0011');
  });

  test('busDateTime must be a real time', () => {
    expect(validBusDateTime('20261122093015123')).toBe(true);
    expect(validBusDateTime('20260230093015123')).toBe(false);
    expect(validBusDateTime('2026112209301512')).toBe(false);
  });

  test('the payload hash ignores key order but not content', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}');
    expect(payloadHash({ a: 1, b: 2 })).toBe(payloadHash({ b: 2, a: 1 }));
    expect(payloadHash({ a: 1 })).not.toBe(payloadHash({ a: 2 }));
  });
});
