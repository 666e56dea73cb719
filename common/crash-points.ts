/**
 * Fault drills: with MEDBILL_CRASH_AT=<point> the process kills itself with SIGKILL the first time
 * it reaches that point (a marker file in the data folder keeps it from firing again after the
 * restart). Operators use it to rehearse a crash at the worst moment; the tests use it to prove that
 * nothing is lost or done twice. Points:
 * - `after-reversal`: the red bill of a partial refund is committed, the reissue not yet started.
 * - `after-upload`: the fiscal platform accepted an upload batch, its results are not yet recorded.
 * - `after-refund-accepted`: a payment channel accepted a refund, nothing of it is recorded yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
/** The settings it reads (cfg.server in config/server.ts: MEDBILL_CRASH_AT, MEDBILL_DATA_DIR). */
type ServerSettings = { crashAt: string; dataDir: string };

export type CrashPoint = 'after-reversal' | 'after-upload' | 'after-refund-accepted';

export function crashPoint(server: ServerSettings, point: CrashPoint): void {
  if (server.crashAt !== point) return;
  const marker = path.join(server.dataDir, `crashed-at-${point}`);
  try {
    fs.writeFileSync(marker, new Date().toISOString(), { flag: 'wx' });
  } catch {
    return; // fired once already
  }
  process.stderr.write(`MEDBILL_CRASH_AT=${point}: killing the process (fault drill)\n`);
  process.kill(process.pid, 'SIGKILL');
}
