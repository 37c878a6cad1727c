import { TASK_PAYLOAD_VERSION, type TaskPayload } from '../contracts/task-payload';
import { runCanaryTask, type RunCanaryDeps } from '../domain/canary/run-canary-task';
import { runRenderTask } from '../domain/run-render-task';
import type { RunRenderTaskDeps } from '../domain/render-task-deps';
import { runPartTask } from '../domain/split/run-part-task';
import { runStitchTask } from '../domain/split/run-stitch-task';
import { deliverWebhook, type DeliverWebhookDeps } from '../webhooks/deliver-webhook';

export interface TaskDelivery {
  retryCount: number;
  maxAttempts: number;
  signal: AbortSignal;
}

/** What the task handlers need: the render use case's deps and the webhook deliverer's. */
export interface TaskHandlerDeps {
  render: RunRenderTaskDeps;
  webhooks: DeliverWebhookDeps;
  canary: RunCanaryDeps;
}

/**
 * Routes one delivered task to its use case. The same function serves the embedded queue in-process and the
 * renderer's HTTP endpoint behind Cloud Tasks.
 */
export async function handleTask(deps: TaskHandlerDeps, payload: TaskPayload, delivery: TaskDelivery): Promise<void> {
  if (payload.version !== TASK_PAYLOAD_VERSION) throw new Error(`unsupported task payload version ${payload.version}`);
  switch (payload.type) {
    case 'render-scene':
      return runRenderTask(deps.render, { task: payload, ...delivery });
    case 'render-part':
      return runPartTask(deps.render, { task: payload, ...delivery });
    case 'stitch-scene':
      return runStitchTask(deps.render, { task: payload, ...delivery });
    case 'deliver-webhook':
      return deliverWebhook(deps.webhooks, payload);
    case 'canary-render':
      return runCanaryTask(deps.canary, { task: payload, signal: delivery.signal });
  }
}
