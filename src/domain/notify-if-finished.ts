import { TASK_PAYLOAD_VERSION } from '../contracts/task-payload';
import { isTerminal } from './job';
import { loadBatchView } from './load-batch-view';
import type { BatchStore } from './ports/batch-store';
import type { JobStore } from './ports/job-store';
import type { TaskQueue, TaskSpec } from './ports/task-queue';
import { webhookTaskName } from './task-names';

export interface NotifyDeps {
  jobStore: JobStore;
  batches: BatchStore;
  taskQueue: TaskQueue;
}

const WEBHOOK_DEADLINE_SECONDS = 60;

/**
 * Once a job is terminal, queues its `render.finished` webhook, and once every job of its batch is, the batch's
 * `batch.finished`. Safe to call any number of times: the tasks have deterministic names.
 */
export async function notifyIfFinished(deps: NotifyDeps, params: { jobId: string }): Promise<void> {
  const job = await deps.jobStore.getJob({ id: params.jobId });
  if (!job || !job.scenes.every((s) => isTerminal(s.status))) return;
  const tasks: TaskSpec[] = [];
  if (job.webhookUrl) {
    tasks.push({
      name: webhookTaskName('render.finished', job.id),
      payload: { type: 'deliver-webhook' as const, version: TASK_PAYLOAD_VERSION, event: 'render.finished' as const, resourceId: job.id },
      dispatchDeadlineSeconds: WEBHOOK_DEADLINE_SECONDS,
    });
  }
  if (job.batchId) {
    const batch = await deps.batches.getBatch({ id: job.batchId });
    if (batch?.webhookUrl) {
      // Every item terminal (a rejected or deleted item counts as failed) makes the batch's own status terminal.
      if (isTerminal((await loadBatchView(deps.jobStore, batch)).status)) {
        tasks.push({
          name: webhookTaskName('batch.finished', batch.id),
          payload: { type: 'deliver-webhook' as const, version: TASK_PAYLOAD_VERSION, event: 'batch.finished' as const, resourceId: batch.id },
          dispatchDeadlineSeconds: WEBHOOK_DEADLINE_SECONDS,
        });
      }
    }
  }
  if (tasks.length > 0) await deps.taskQueue.enqueue({ tasks });
}
