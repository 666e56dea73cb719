/**
 * The archive on an S3-compatible object store (MEDBILL_ARCHIVE_STORE=s3://bucket/prefix?endpoint=
 * https://minio.example:9000&region=cn-north-1): one object per part, `<prefix>/<key>/<part>`.
 * Its client, @aws-sdk/client-s3, is not among the platform's dependencies yet: until it is added,
 * choosing this store refuses to start with a message that says so. The interface is the same as the
 * local store's, so nothing else changes when it is.
 */
import type { ArchiveStoreUrl } from '../../config/archive';
import type { ArchiveStore } from './store';

export function createS3ArchiveStore(url: Extract<ArchiveStoreUrl, { kind: 's3' }>): ArchiveStore {
  throw new Error(
    `MEDBILL_ARCHIVE_STORE=${url.url.replace(/\/\/[^@/]*@/, '//***@')}: the S3-compatible archive store needs the package @aws-sdk/client-s3, which is not installed; ` +
      'install it (npm install @aws-sdk/client-s3) and implement adapters/archive/s3-store.ts, or leave MEDBILL_ARCHIVE_STORE empty for the local store',
  );
}
