/** Bundles workflows/ once at build time so that the worker starts without webpack. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT } from '../temporal/setup';

(async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} } as never });
  const out = path.join(REPO_ROOT, 'dist', 'workflow-bundle.js');
  fs.writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
