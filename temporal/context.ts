import type { Client } from '@temporalio/client';
import type { Deps } from '../services/deps';

/** What a process client needs: the services' dependencies and the platform's Temporal client. Built once by app/platform.ts. */
export interface ProcessContext {
  deps: Deps;
  client: Client;
  namespace: string;
  taskQueue: string;
  temporalUiUrl: string;
}
