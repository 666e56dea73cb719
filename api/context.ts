import type { ProcessContext } from '../temporal/context';

/** What every API handler can reach: the same context the process clients take. */
export type ApiContext = ProcessContext;
