/**
 * What the bill's face prints from an issuance request's visit, insurance and settlement fields:
 * the request parsed as the HIS interface parses it, its `extra` mapped by faceFields.
 */
import { parseIssueDraft } from '../domain/bill/issue-request';
import { sampleOutpatient } from '../sim/his/client';
import { faceFields } from './delivery';

const inpatient = (o: Record<string, unknown> = {}) =>
  parseIssueDraft(
    'invEBillHospitalized',
    sampleOutpatient({
      busType: '01',
      placeCode: 'ZY01',
      patientNo: 'P0001',
      hospitalNo: 'ZY2026001',
      visitNo: '1',
      sex: '1',
      medicalCareType: '城镇职工基本医疗保险',
      medicalInsuranceID: '440100123456789',
      inHospitalDate: '20260301',
      outHospitalDate: '2026-03-06',
      hospitalDays: 5,
      fundPay: 80,
      otherfundPay: '0',
      accountPay: '20.5',
      ownPay: '6.00',
      selfPayAmt: 10,
      selfCashPay: '26.00',
      selfConceitedAmt: 0,
      ...o,
    }),
  ).extra;

describe('faceFields', () => {
  it('takes 住院号 from hospitalNo, the stay, insurance, sex and the split as sent (amounts with two decimals)', () => {
    const f = faceFields(inpatient());
    expect(f).toMatchObject({
      hospitalNo: 'ZY2026001',
      sex: '男',
      medicalCareType: '城镇职工基本医疗保险',
      medicalInsuranceID: '440100123456789',
      hospitalDays: '5',
      institutionType: '综合医院',
    });
    expect(f.inHospitalDate?.toISOString()).toBe('2026-02-28T16:00:00.000Z'); // 2026-03-01 in China
    expect(f.outHospitalDate?.toISOString()).toBe('2026-03-05T16:00:00.000Z');
    expect(f.settlement).toEqual({ fundPay: '80.00', otherfundPay: '0.00', accountPay: '20.50', ownPay: '6.00', selfPayAmt: '10.00', selfCashPay: '26.00', selfConceitedAmt: '0.00' });
  });

  it('leaves out what was not sent; sex is printed as sent when it is not a code', () => {
    const f = faceFields(
      inpatient({ sex: '女', medicalInsuranceID: undefined, inHospitalDate: undefined, outHospitalDate: '', hospitalDays: undefined, fundPay: undefined, otherfundPay: undefined, accountPay: undefined, ownPay: undefined, selfPayAmt: undefined, selfCashPay: undefined, selfConceitedAmt: undefined }),
    );
    expect(f.sex).toBe('女');
    for (const k of ['medicalInsuranceID', 'inHospitalDate', 'outHospitalDate', 'hospitalDays', 'settlement'] as const) expect(f[k]).toBeUndefined();
    expect(faceFields({})).toEqual(Object.fromEntries(Object.keys(f).map((k) => [k, undefined])));
  });
});
