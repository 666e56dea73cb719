import type { Client } from '@temporalio/client';
import type { Deps } from '../services/deps';

/** What every API handler can reach. */
export interface ApiContext {
  deps: Deps;
  client: Client;
  namespace: string;
  taskQueue: string;
  temporalUiUrl: string;
}
