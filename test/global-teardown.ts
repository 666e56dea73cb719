/** jest globalTeardown: stops the shared platforms the workers booted (see test/harness.ts). */
import { stopSharedPlatforms } from './harness';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.MEDBILL_SHARED_DIR;
  if (!dir) return;
  const n = await stopSharedPlatforms(dir);
  if (n) console.log(`stopped ${n} shared platform(s)`);
}
