/**
 * The `operation-log-check` schedule's run (操作日志、交互日志每日校验): verifies the exchange
 * log's chain (a break opens its to-do) and the operation log's chain, opens a to-do when it is broken (and then archives nothing: the evidence stays in the table), else archives
 * the rows older than the retention. Deterministic code only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

export async function operationLogCheckWorkflow(): Promise<{ ok: boolean; checked: number; brokenAt?: number; archived: number; exchanges: { ok: boolean; checked: number; brokenAt?: number } }> {
  const x = await acts.verifyExchangeLogChain();
  if (!x.ok) await acts.raiseExchangeLogTodo(x);
  const exchanges = { ok: x.ok, checked: x.checked, brokenAt: x.firstBreak?.seq };
  const v = await acts.verifyOperationLogChain();
  if (!v.ok) {
    await acts.raiseOperationLogTodo(v);
    return { ok: false, checked: v.checked, brokenAt: v.firstBreak?.seq, archived: 0, exchanges };
  }
  const a = await acts.archiveOperationLog();
  return { ok: true, checked: v.checked, archived: a.archived, exchanges };
}
