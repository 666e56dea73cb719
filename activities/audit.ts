/**
 * The audit logs' activities (操作日志, 交互日志): the `operation-log-check` schedule's steps. Thin
 * wrappers over services/operation-log.ts and services/exchange-log.ts.
 */
import { Context, log } from '@temporalio/activity';
import type { Deps } from '../services/deps';
import { SYSTEM_ACTOR } from '../domain/operation-log';
import { archiveOperationLog, raiseChainBreakTodo, useOperationLog, verifyAndRecord, type ArchiveResult, type VerifyResult } from '../services/operation-log';
import { raiseExchangeChainTodo, useExchangeLog, verifyExchangesAndRecord } from '../services/exchange-log';

export function auditActivities(deps: Deps) {
  useOperationLog(deps);
  useExchangeLog(deps);
  const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? 'operation-log-check';
  return {
    /** Verifies the chain from the latest archive anchor (and records the run in the log). */
    async verifyOperationLogChain(): Promise<VerifyResult> {
      const v = await verifyAndRecord(deps.orm.em.fork(), { username: SYSTEM_ACTOR, displayName: '系统（每日校验）' });
      if (!v.ok) log.error(`operation log chain broken at seq ${v.firstBreak?.seq} (${v.firstBreak?.kind})`);
      return v;
    },
    /** Opens the to-do of a broken chain. */
    async raiseOperationLogTodo(v: VerifyResult): Promise<void> {
      await raiseChainBreakTodo(deps.orm.em.fork(), v, { workflowId: workflowId(), now: new Date() });
    },
    /** Verifies the exchange log's chain (交互日志, and records the run in the operation log). */
    async verifyExchangeLogChain(): Promise<VerifyResult> {
      const v = await verifyExchangesAndRecord(deps.orm.em.fork(), { username: SYSTEM_ACTOR, displayName: '系统（每日校验）' });
      if (!v.ok) log.error(`exchange log chain broken at seq ${v.firstBreak?.seq} (${v.firstBreak?.kind})`);
      return v;
    },
    /** Opens the to-do of a broken exchange chain. */
    async raiseExchangeLogTodo(v: VerifyResult): Promise<void> {
      await raiseExchangeChainTodo(deps.orm.em.fork(), v, { workflowId: workflowId(), now: new Date() });
    },
    /** Archives the rows older than the retention (cfg.audit.retentionDays). */
    async archiveOperationLog(): Promise<ArchiveResult> {
      return archiveOperationLog(deps.orm.em.fork(), { now: new Date(), retentionDays: deps.cfg.audit.retentionDays, dataDir: deps.cfg.server.dataDir });
    },
  };
}
