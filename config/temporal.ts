/** The Temporal service (`cfg.temporal`): the frontend to connect to, or the dev server to run. */
import * as os from 'node:os';
import * as path from 'node:path';
import { bool, optional } from './parse';

export const DEFAULT_TEMPORAL_HOST = '127.0.0.1';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_ADDRESS = `${DEFAULT_TEMPORAL_HOST}:${DEFAULT_TEMPORAL_PORT}`;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;
export const DEFAULT_TEMPORAL_UI_URL = `http://${DEFAULT_TEMPORAL_HOST}:${DEFAULT_TEMPORAL_UI_PORT}`;
export const DEFAULT_EMBEDDED_TEMPORAL = true;
export const DEFAULT_TEMPORAL_UI = true;
export const DEFAULT_CACHE_DIR = path.join(os.homedir(), '.cache', 'medbill');

export interface TemporalConfig {
  /** MEDBILL_TEMPORAL_ADDRESS: host:port of the Temporal frontend. */
  address: string;
  /** MEDBILL_TEMPORAL_NAMESPACE: overrides temporal.yaml's namespace (tests use this). */
  namespace?: string;
  /** MEDBILL_TEMPORAL_TASK_QUEUE: overrides temporal.yaml's task queue. */
  taskQueue?: string;
  /** MEDBILL_TEMPORAL_UI_URL: base URL of the Temporal Web UI, for links from the console. */
  uiUrl: string;
  /** MEDBILL_EMBEDDED_TEMPORAL: `1` lets `npm start` run the Temporal dev server itself. */
  embedded: boolean;
  /** MEDBILL_TEMPORAL_UI: `0` runs the embedded dev server without its Web UI (tests). */
  ui: boolean;
  /** MEDBILL_TEMPORAL_CLI: path of the temporal CLI; default: found on PATH or built into the cache. */
  cli?: string;
  /** MEDBILL_CACHE_DIR: where the built Temporal CLI is cached, outside the repository. */
  cacheDir: string;
  /**
   * mTLS to the Temporal frontend (production: the frontend takes only clients with a certificate
   * its CA signed): MEDBILL_TEMPORAL_TLS_CERT and MEDBILL_TEMPORAL_TLS_KEY (PEM files, both or
   * neither), MEDBILL_TEMPORAL_TLS_CA (the server's CA, PEM; default the system's),
   * MEDBILL_TEMPORAL_TLS_SERVER_NAME (the name in the server's certificate, if not the host).
   */
  tls?: { certFile: string; keyFile: string; caFile?: string; serverName?: string };
}

function loadTls(env: NodeJS.ProcessEnv): TemporalConfig['tls'] {
  const certFile = optional(env.MEDBILL_TEMPORAL_TLS_CERT);
  const keyFile = optional(env.MEDBILL_TEMPORAL_TLS_KEY);
  const caFile = optional(env.MEDBILL_TEMPORAL_TLS_CA);
  const serverName = optional(env.MEDBILL_TEMPORAL_TLS_SERVER_NAME);
  if (!certFile && !keyFile) {
    if (caFile || serverName) throw new Error('MEDBILL_TEMPORAL_TLS_CA / MEDBILL_TEMPORAL_TLS_SERVER_NAME need MEDBILL_TEMPORAL_TLS_CERT and MEDBILL_TEMPORAL_TLS_KEY (mTLS)');
    return undefined;
  }
  if (!certFile || !keyFile) throw new Error('MEDBILL_TEMPORAL_TLS_CERT and MEDBILL_TEMPORAL_TLS_KEY must be set together (the client certificate and its key)');
  return { certFile, keyFile, caFile, serverName };
}

export function loadTemporalConfig(env: NodeJS.ProcessEnv): TemporalConfig {
  return {
    address: env.MEDBILL_TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS,
    namespace: optional(env.MEDBILL_TEMPORAL_NAMESPACE),
    taskQueue: optional(env.MEDBILL_TEMPORAL_TASK_QUEUE),
    uiUrl: env.MEDBILL_TEMPORAL_UI_URL || DEFAULT_TEMPORAL_UI_URL,
    embedded: bool(env.MEDBILL_EMBEDDED_TEMPORAL, DEFAULT_EMBEDDED_TEMPORAL),
    ui: bool(env.MEDBILL_TEMPORAL_UI, DEFAULT_TEMPORAL_UI),
    cli: optional(env.MEDBILL_TEMPORAL_CLI),
    cacheDir: path.resolve(env.MEDBILL_CACHE_DIR || DEFAULT_CACHE_DIR),
    tls: loadTls(env),
  };
}
