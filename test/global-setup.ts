/**
 * jest globalSetup: a folder where each jest worker records the shared platform it boots on first
 * use (test/harness.ts); global-teardown.ts stops them. Runs with no such file boot nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export default async function globalSetup(): Promise<void> {
  if (process.env.MEDBILL_SHARED_PLATFORMS === '0') return; // every file boots its own platform
  process.env.MEDBILL_SHARED_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'medbill-shared-'));
}
