import { loadArchiveConfig } from './archive';

test('defaults: 30 years, archived at the latest a year after issue, checked daily, the local store', () => {
  expect(loadArchiveConfig({})).toEqual({ afterDays: 365, retentionYears: 30, checkEveryMs: 86_400_000, batch: 200, store: { kind: 'local' } });
});

test('values are validated and named', () => {
  expect(loadArchiveConfig({ MEDBILL_ARCHIVE_AFTER_DAYS: '0', MEDBILL_ARCHIVE_RETENTION_YEARS: '10', MEDBILL_ARCHIVE_CHECK_EVERY: '1h' })).toMatchObject({ afterDays: 0, retentionYears: 10, checkEveryMs: 3_600_000 });
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_RETENTION_YEARS: '5' })).toThrow(/MEDBILL_ARCHIVE_RETENTION_YEARS must be from 10/);
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_RETENTION_YEARS: 'x' })).toThrow(/MEDBILL_ARCHIVE_RETENTION_YEARS/);
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_AFTER_DAYS: '-1' })).toThrow(/MEDBILL_ARCHIVE_AFTER_DAYS/);
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_BATCH: '0' })).toThrow(/MEDBILL_ARCHIVE_BATCH/);
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_CHECK_EVERY: 'soon' })).toThrow(/MEDBILL_ARCHIVE_CHECK_EVERY/);
});

test('the store URL: a folder, an S3 bucket, nothing else', () => {
  expect(loadArchiveConfig({ MEDBILL_ARCHIVE_STORE: 'file:///srv/archive' }).store).toEqual({ kind: 'local', dir: '/srv/archive' });
  expect(loadArchiveConfig({ MEDBILL_ARCHIVE_STORE: 's3://bills/archive?endpoint=http://minio:9000' }).store).toMatchObject({ kind: 's3', bucket: 'bills', prefix: 'archive' });
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_STORE: 'ftp://x/y' })).toThrow(/file:\/\/ or s3:\/\//);
  expect(() => loadArchiveConfig({ MEDBILL_ARCHIVE_STORE: '/srv/archive' })).toThrow(/MEDBILL_ARCHIVE_STORE/);
});
