/**
 * npm run rotate-keys [-- --to <keyId>] [--batch <n>]
 *
 * Re-seals every sealed patient value (orm/sealed.ts SEALED_COLUMNS) under the data key id
 * `--to` (default MEDBILL_DATA_KEY_ID), in batches, and retires the key ids no value is under any
 * more. Resumable and idempotent: stopped at any point, run it again. Values of the old key ids
 * stay readable by every process meanwhile (the ids are derived from the master key, or named to
 * the KMS provider), so the platform keeps running.
 *
 * The procedure (README, Operations: key rotation):
 *   1. set MEDBILL_DATA_KEY_ID=<new id> for every API and worker process and restart them
 *      (new values are then written under it);
 *   2. run `MEDBILL_DATA_KEY_ID=<new id> npm run rotate-keys` with the platform's other settings
 *      (MEDBILL_DB_URL, the master key); it exits 0 once every value is under the new id.
 * Exit codes: 0 done, 1 values left under another id (written concurrently by a process still on
 * the old id: restart it, run again), 2 a failure.
 */
import { loadConfig } from '../config';
import { openOrm } from '../orm/db';
import { rotateKeys, sealerFromConfig } from '../orm/sealed';
import { redactDbError } from '../orm/errors';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const base = loadConfig();
  const to = arg('to') ?? base.keys.dataKeyId;
  const batch = arg('batch') ? Number(arg('batch')) : base.keys.sealBatch;
  if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch must be a positive integer');
  const cfg = { ...base, keys: { ...base.keys, dataKeyId: to } };
  const orm = await openOrm(cfg.database.url, { sealer: sealerFromConfig(cfg), sealBatch: batch, pool: 2 });
  try {
    const report = await rotateKeys(orm.em, {
      toKeyId: to,
      batch,
      onProgress: (p) => console.log(`${p.table}.${p.column}: ${p.sealed} re-sealed, ${p.remaining} left`),
    });
    console.log(`values per key id: ${JSON.stringify(report.census)}`);
    if (report.retired.length) console.log(`retired: ${report.retired.join(', ')}`);
    console.log(report.done ? `done: every sealed value is under key ${to}` : `not done: values under other key ids are left (a process still writing under an old id?): run again`);
    return report.done ? 0 : 1;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`rotate-keys failed: ${redactDbError(e)}`);
    process.exit(2);
  },
);
