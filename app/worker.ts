/** The Temporal worker: every workflow of workflows/ and the activities built from Deps. */
import { NativeConnection, Worker, Runtime, DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { redactLogMeta, redactLogText } from '../common/redact';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, temporalTls } from '../temporal/setup';
import type { TemporalConfig } from '../config/temporal';
import type { ProcessContext } from '../temporal/context';
import { createActivities } from '../activities';
import { DomainFailureInterceptor } from '../temporal/domain-errors';

let runtimeInstalled = false;

/**
 * The worker's log lines (activity failures among them) without SQL values, keys or personal
 * data: message and metadata through common/redact.ts, errors as name, code, message and stack.
 */
export function redactingLogFunction(entry: LogEntry): void {
  const meta = redactLogMeta(entry.meta as Record<string, unknown> | undefined);
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  console.error(`${at} [${entry.level}] ${redactLogText(entry.message)}${meta && Object.keys(meta).length ? ` ${JSON.stringify(meta)}` : ''}`);
}

/** The bundle made at build time (scripts/bundle-workflows) when running compiled code, else the sources. */
function workflowCode(): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const bundle = path.join(REPO_ROOT, 'dist', 'workflow-bundle.js');
  if (__filename.endsWith('.js') && fs.existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows') };
}

export async function createWorker(processes: ProcessContext, opts: { address: string; namespace: string; taskQueue: string; tls?: TemporalConfig['tls'] }): Promise<Worker> {
  const deps = processes.deps;
  if (!runtimeInstalled) {
    const level = ({ debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const)[deps.cfg.server.logLevel] as LogLevel;
    Runtime.install({ logger: new DefaultLogger(level === 'INFO' ? 'WARN' : level, redactingLogFunction) });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: opts.address, tls: temporalTls(opts.tls) });
  return Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...workflowCode(),
    activities: createActivities(deps, processes),
    // One place turns a DomainError thrown by any activity into a non-retryable failure with its code and field.
    interceptors: { activity: [() => ({ inbound: new DomainFailureInterceptor() })] },
    maxConcurrentLocalActivityExecutions: 64,
    maxConcurrentActivityTaskExecutions: 32,
    maxConcurrentWorkflowTaskExecutions: 64,
  });
}
