/** The process itself (`cfg.server`): where the API listens, where data lives, what runs here. */
import * as path from 'node:path';
import { REPO_ROOT } from '../common/paths';
import { baseUrl, bool, int, oneOf } from './parse';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA_DIR = path.join(REPO_ROOT, 'data');
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_RUN_API = true;
export const DEFAULT_RUN_WORKER = true;
export const DEFAULT_SEED_DEMO = true;
export const DEFAULT_TRUST_PROXY = false;
export const DEFAULT_PRODUCTION = false;
/** The default public URL: the API on this machine. */
export const defaultPublicUrl = (port: number) => `http://127.0.0.1:${port}`;

export interface ServerConfig {
  /** MEDBILL_HOST: address the API listens on. */
  host: string;
  /** MEDBILL_PORT: port of the API (HIS interface, console, H5 page). */
  port: number;
  /** MEDBILL_PUBLIC_URL: base URL patients reach the H5 page at (printed into QR codes); default http://127.0.0.1:{MEDBILL_PORT}. */
  publicUrl: string;
  /** MEDBILL_DATA_DIR: folder for the embedded database, Temporal's file, layout files, keys. */
  dataDir: string;
  /** MEDBILL_LOG_LEVEL: debug, info, warn or error. */
  logLevel: LogLevel;
  /** MEDBILL_API: `0` runs the worker without the API in the same process. */
  runApi: boolean;
  /** MEDBILL_WORKER: `0` runs the API without a Temporal worker in the same process. */
  runWorker: boolean;
  /** MEDBILL_DEMO: `1` seeds the demo hospital on an empty database. */
  seedDemo: boolean;
  /** MEDBILL_TRUST_PROXY: `1` when a reverse proxy the hospital runs sits in front: X-Forwarded-For/-Proto are then believed (client address, HTTPS). */
  trustProxy: boolean;
  /** MEDBILL_PRODUCTION: `1` is a production start: it refuses to run while a demo password, a demo secret, the demo seed or the simulators are in force (services/production-check.ts). */
  production: boolean;
  /** MEDBILL_CRASH_AT: fault drill; the process kills itself (SIGKILL) once at the named point (see common/crash-points.ts). */
  crashAt: string;
}

export function loadServerConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const port = int('MEDBILL_PORT', env.MEDBILL_PORT, DEFAULT_PORT);
  return {
    host: env.MEDBILL_HOST || DEFAULT_HOST,
    port,
    publicUrl: baseUrl(env.MEDBILL_PUBLIC_URL || defaultPublicUrl(port)),
    dataDir: path.resolve(env.MEDBILL_DATA_DIR || DEFAULT_DATA_DIR),
    logLevel: oneOf('MEDBILL_LOG_LEVEL', env.MEDBILL_LOG_LEVEL, LOG_LEVELS, DEFAULT_LOG_LEVEL),
    runApi: bool(env.MEDBILL_API, DEFAULT_RUN_API),
    runWorker: bool(env.MEDBILL_WORKER, DEFAULT_RUN_WORKER),
    seedDemo: bool(env.MEDBILL_DEMO, DEFAULT_SEED_DEMO),
    trustProxy: bool(env.MEDBILL_TRUST_PROXY, DEFAULT_TRUST_PROXY),
    production: bool(env.MEDBILL_PRODUCTION, DEFAULT_PRODUCTION),
    crashAt: env.MEDBILL_CRASH_AT || '',
  };
}
