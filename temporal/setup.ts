/**
 * temporal.yaml is the one place that declares namespace, retention, search attributes and
 * dynamic config. This module reads it and applies it to any Temporal server (dev or cluster).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../common/paths';
import { Connection, Client, type TLSConfig } from '@temporalio/client';
import type { TemporalConfig } from '../config/temporal';
import { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';

export interface TemporalSetup {
  namespace: { name: string; description: string; retention: string };
  taskQueue: string;
  searchAttributes: Record<string, 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList'>;
  dynamicConfig: Record<string, unknown>;
  devServer: { version: string; port: number; uiPort: number; dataFile: string; sqlitePragmas?: Record<string, string> };
}

export { REPO_ROOT };

export function loadTemporalSetup(file = path.join(REPO_ROOT, 'temporal.yaml')): TemporalSetup {
  const y = parse(fs.readFileSync(file, 'utf8')) as TemporalSetup;
  if (!y?.namespace?.name || !y.taskQueue || !y.searchAttributes) throw new Error(`${file}: namespace.name, taskQueue and searchAttributes are required`);
  return y;
}

/** "30d", "12h", "90m" -> seconds */
export function durationSeconds(s: string): number {
  const m = /^(\d+)([dhms])$/.exec(s.trim());
  if (!m) throw new Error(`temporal.yaml: duration "${s}" must look like 30d, 12h, 90m or 45s`);
  return Number(m[1]) * { d: 86400, h: 3600, m: 60, s: 1 }[m[2] as 'd' | 'h' | 'm' | 's'];
}

const SA_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Creates the namespace (or updates its retention) and registers missing search attributes. */
export async function applyTemporalSetup(connection: Connection, setup: TemporalSetup, namespace = setup.namespace.name): Promise<void> {
  const retention = msToTs(durationSeconds(setup.namespace.retention) * 1000);
  const ws = connection.workflowService;
  try {
    const ns = await ws.describeNamespace({ namespace });
    const current = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    if (current !== Number(retention?.seconds ?? 0)) {
      await ws.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: retention } });
    }
  } catch (e) {
    if ((e as { code?: number }).code !== 5) throw e; // 5 = NOT_FOUND
    await ws.registerNamespace({ namespace, description: setup.namespace.description, workflowExecutionRetentionPeriod: retention });
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const [name, type] of Object.entries(setup.searchAttributes)) {
    if (!SA_TYPES[type]) throw new Error(`temporal.yaml: search attribute ${name} has unknown type ${type}`);
    if (!existing.customAttributes?.[name]) missing[name] = SA_TYPES[type];
  }
  if (Object.keys(missing).length) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  // A new namespace takes a moment to be usable everywhere; wait until it answers a list call.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ws.listWorkflowExecutions({ namespace, pageSize: 1, query: `BusNo = 'x'` });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * The client side of mTLS to the Temporal frontend (cfg.temporal.tls): the certificate pair and
 * the server's CA read from their files; undefined without TLS (the embedded dev server).
 */
export function temporalTls(tls: TemporalConfig['tls']): TLSConfig | undefined {
  if (!tls) return undefined;
  return {
    clientCertPair: { crt: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) },
    serverRootCACertificate: tls.caFile ? fs.readFileSync(tls.caFile) : undefined,
    serverNameOverride: tls.serverName,
  };
}

export async function connectClient(address: string, namespace: string, tls?: TemporalConfig['tls']): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address, tls: temporalTls(tls) });
  return { connection, client: new Client({ connection, namespace }) };
}
