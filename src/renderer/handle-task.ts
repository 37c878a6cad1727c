import { TASK_PAYLOAD_VERSION, type TaskPayload } from '../contracts/task-payload';
import { runRenderTask, type RunRenderTaskDeps } from '../domain/run-render-task';

export interface TaskDelivery {
  retryCount: number;
  maxAttempts: number;
  signal: AbortSignal;
}

/**
 * Routes one delivered task to its use case. The same function serves the embedded queue in-process and the
 * renderer's HTTP endpoint behind Cloud Tasks.
 */
export async function handleTask(deps: RunRenderTaskDeps, payload: TaskPayload, delivery: TaskDelivery): Promise<void> {
  if (payload.version !== TASK_PAYLOAD_VERSION) throw new Error(`unsupported task payload version ${payload.version}`);
  switch (payload.type) {
    case 'render-scene':
      return runRenderTask(deps, { task: payload, ...delivery });
  }
}
