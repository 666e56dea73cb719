/** Applies temporal.yaml (namespace, retention, search attributes) to the server at MEDBILL_TEMPORAL_ADDRESS. */
import { config } from '../config';
import { applyTemporalSetup, loadTemporalSetup, temporalTls } from '../temporal/setup';
import { Connection } from '@temporalio/client';

(async () => {
  const cfg = config();
  const setup = loadTemporalSetup();
  const connection = await Connection.connect({ address: cfg.temporal.address, tls: temporalTls(cfg.temporal.tls) });
  await applyTemporalSetup(connection, setup, cfg.temporal.namespace ?? setup.namespace.name);
  await connection.close();
  console.log(`temporal setup applied to ${cfg.temporal.address} (namespace ${cfg.temporal.namespace ?? setup.namespace.name})`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
