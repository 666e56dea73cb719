import { loadAuditConfig } from './audit';

test('the operation log is kept 180 days by default, longer when set, never less', () => {
  expect(loadAuditConfig({})).toEqual({ retentionDays: 180, checkEveryMs: 86_400_000, exchangeLog: true });
  expect(loadAuditConfig({ MEDBILL_OPLOG_RETENTION_DAYS: '365', MEDBILL_OPLOG_CHECK_EVERY: '12h' })).toEqual({ retentionDays: 365, checkEveryMs: 43_200_000, exchangeLog: true });
  expect(() => loadAuditConfig({ MEDBILL_OPLOG_RETENTION_DAYS: '90' })).toThrow(/MEDBILL_OPLOG_RETENTION_DAYS must be at least 180/);
  expect(() => loadAuditConfig({ MEDBILL_OPLOG_RETENTION_DAYS: 'x' })).toThrow(/MEDBILL_OPLOG_RETENTION_DAYS/);
});

test('the exchange log is on unless MEDBILL_EXCHANGE_LOG=0 (for the benchmark only)', () => {
  expect(loadAuditConfig({ MEDBILL_EXCHANGE_LOG: '0' }).exchangeLog).toBe(false);
  expect(loadAuditConfig({ MEDBILL_EXCHANGE_LOG: '1' }).exchangeLog).toBe(true);
});
