import { onlineBusDateTime, onlineRequest } from './online-issue';
import { parseIssueDraft } from './issue-request';

const NOW = '20261205093015123'; // 2026-12-05 09:30:15.123 China time

test('补开: the business day at 00:00, within a year back, never in the future; absent: now', () => {
  expect(onlineBusDateTime(undefined, NOW)).toBe(NOW);
  expect(onlineBusDateTime('2026-12-05', NOW)).toBe('20261205000000000');
  expect(onlineBusDateTime('2025-12-04', NOW)).toBe('20251204000000000');
  for (const [day, msg] of [
    ['2026-12-06', /不能晚于今天/],
    ['2025-12-03', /至多 366 天前/],
    ['2026-02-30', /有效日期/],
    ['2026-1-5', /有效日期/],
    ['today', /有效日期/],
  ] as const) {
    expect(() => onlineBusDateTime(day, NOW)).toThrow(msg);
  }
});

const bill = (over: Record<string, unknown> = {}) => ({
  key: 'k1', placeCode: 'MZ01', busType: '92', payer: '示范市慈善基金会', patientNo: '',
  items: [{ chargeCode: 'JZ', chargeName: '捐赠款', amt: 100_00 }], payments: [{ payChannelCode: '06', amount: 100_00 }], ...over,
});

test('a non-medical bill needs no patient number; a medical one still does', () => {
  const gift = onlineRequest(bill(), '财务科 王会计', NOW);
  expect(gift.method).toBe('invoiceEBillOutpatient');
  expect(gift.business).not.toHaveProperty('patientNo');
  expect(parseIssueDraft(gift.method, gift.business).patientNo).toBe('');
  const clinic = onlineRequest(bill({ busType: '02' }), '财务科 王会计', NOW);
  expect(() => parseIssueDraft(clinic.method, clinic.business)).toThrow(/^patientNo: /);
});

test('a non-medical business type only through invoiceEBillOutpatient', () => {
  const gift = onlineRequest(bill({ patientNo: 'P1', hospitalNo: 'ZY1' }), '财务科 王会计', NOW);
  expect(() => parseIssueDraft('invEBillHospitalized', gift.business)).toThrow(/^busType: 92（捐赠）是非医疗票据/);
});
