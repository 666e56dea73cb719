/** Prints the path of the Temporal CLI, building and caching it first when needed. */
import { config } from '../config';
import { loadTemporalSetup } from '../temporal/setup';
import { findTemporalCli } from './temporal-dev';

const cfg = config();
try {
  console.log(findTemporalCli(loadTemporalSetup(), { cli: cfg.temporal.cli, cacheDir: cfg.temporal.cacheDir, log: (m) => console.error(m) }));
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
