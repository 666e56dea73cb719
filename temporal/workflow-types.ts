/**
 * Workflows as clients name them: by their type name, typed (through a type-only import of
 * workflows/index.ts) as the workflow function, so arguments and results are checked and no client
 * loads workflow code.
 */
import { WithStartWorkflowOperation, type Client, type WorkflowIdConflictPolicy, type WorkflowStartOptions } from '@temporalio/client';
import type * as workflows from '../workflows';

type Workflows = typeof workflows;
/** A workflow type the worker serves: a function exported by workflows/index.ts. */
export type WorkflowName = keyof Workflows;
export type WorkflowOf<N extends WorkflowName> = Workflows[N];

/** The start half of an update-with-start of workflow `name`. */
export function startOperation<N extends WorkflowName>(
  name: N,
  options: WorkflowStartOptions<WorkflowOf<N>> & { workflowIdConflictPolicy: WorkflowIdConflictPolicy },
): WithStartWorkflowOperation<WorkflowOf<N>> {
  return new WithStartWorkflowOperation<WorkflowOf<N>>(name, options);
}

/** Starts workflow `name`. */
export function startWorkflow<N extends WorkflowName>(client: Client, name: N, options: WorkflowStartOptions<WorkflowOf<N>>) {
  return client.workflow.start<WorkflowOf<N>>(name, options);
}
