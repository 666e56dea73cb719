import { planUploadBatch, toUploadBill, uploadBatchNo, type UploadRow } from './upload-batch';

const row = (over: Partial<UploadRow> = {}): UploadRow => ({
  id: 1,
  billBatchCode: '44040126',
  billNo: '0000000001',
  random: 'ab12cd',
  billKindCode: '0401',
  totalAmt: 12345,
  issuedAt: new Date('2026-11-22T01:02:03.004Z'),
  payer: '张三',
  isScarlet: false,
  state: 'normal',
  signedData: 'text',
  signature: 'a'.repeat(128),
  ...over,
});

describe('planUploadBatch', () => {
  it('takes bills in id order up to the limit', () => {
    const plan = planUploadBatch([{ id: 5, isScarlet: false }, { id: 2, isScarlet: false }, { id: 9, isScarlet: false }], 2);
    expect(plan.billIds).toEqual([2, 5]);
    expect(plan.held).toEqual([]);
  });

  it('puts an original before its red bill, in the same batch', () => {
    const plan = planUploadBatch(
      [
        { id: 8, isScarlet: true, relatedBillId: 3, relatedUploadState: 'pending' },
        { id: 3, isScarlet: false },
      ],
      10,
    );
    expect(plan.billIds).toEqual([3, 8]);
  });

  it('sends a red bill whose original is already uploaded', () => {
    expect(planUploadBatch([{ id: 8, isScarlet: true, relatedBillId: 3, relatedUploadState: 'uploaded' }], 10).billIds).toEqual([8]);
  });

  it('holds back a red bill whose original was rejected or did not fit in the batch', () => {
    const rejected = planUploadBatch([{ id: 8, isScarlet: true, relatedBillId: 3, relatedUploadState: 'rejected' }, { id: 9, isScarlet: false }], 10);
    expect(rejected).toEqual({ billIds: [9], held: [8] });
    // The original is pending but the limit stops before the red bill's turn: the red bill simply waits.
    const cut = planUploadBatch([{ id: 3, isScarlet: false }, { id: 4, isScarlet: false }, { id: 8, isScarlet: true, relatedBillId: 3, relatedUploadState: 'pending' }], 2);
    expect(cut.billIds).toEqual([3, 4]);
  });

  it('never takes a red bill whose pending original is outside the batch', () => {
    const plan = planUploadBatch([{ id: 8, isScarlet: true, relatedBillId: 3, relatedUploadState: 'pending' }], 10);
    expect(plan).toEqual({ billIds: [], held: [8] });
  });
});

describe('toUploadBill', () => {
  it('renders money as yuan text and the instant as ISO', () => {
    const b = toUploadBill(row());
    expect(b).toMatchObject({ totalAmt: '123.45', issuedAt: '2026-11-22T01:02:03.004Z', state: 'normal', isScarlet: false });
    expect(b.relatedBillNo).toBeUndefined();
  });

  it('points a red bill to its original, with negative amounts', () => {
    const b = toUploadBill(row({ id: 2, billNo: '0000000002', isScarlet: true, totalAmt: -12345, relatedBillBatchCode: '44040126', relatedBillNo: '0000000001' }));
    expect(b).toMatchObject({ totalAmt: '-123.45', isScarlet: true, relatedBillBatchCode: '44040126', relatedBillNo: '0000000001' });
  });
});

describe('uploadBatchNo', () => {
  const bills = [toUploadBill(row()), toUploadBill(row({ id: 2, billNo: '0000000002' }))];

  it('is the same for the same content (a retry is the same batch)', () => {
    expect(uploadBatchNo('H44000001', bills)).toBe(uploadBatchNo('H44000001', bills.map((b) => ({ ...b }))));
    expect(uploadBatchNo('H44000001', bills)).toMatch(/^H44000001-[0-9A-F]{20}$/);
  });

  it('changes when a bill changes (reversed since, other signature) or the set changes', () => {
    const base = uploadBatchNo('H44000001', bills);
    expect(uploadBatchNo('H44000001', [bills[0], { ...bills[1], state: 'reversed' }])).not.toBe(base);
    expect(uploadBatchNo('H44000001', [bills[0], { ...bills[1], signature: 'b'.repeat(128) }])).not.toBe(base);
    expect(uploadBatchNo('H44000001', [bills[0]])).not.toBe(base);
    expect(uploadBatchNo('H44000002', bills)).not.toBe(base);
  });
});
