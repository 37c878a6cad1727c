/**
 * The deterministic name of a job's render task for one scene. Enqueueing it twice (a retried submit) creates
 * one task; adapters may hash it into the form their queue accepts.
 */
export function renderTaskName(jobId: string, scene: string): string {
  return `render-${jobId}-${scene}`;
}

/** The one webhook task of a finished job or batch: enqueued as often as anyone notices, delivered once. */
export function webhookTaskName(event: 'render.finished' | 'batch.finished', resourceId: string): string {
  return `webhook-${event === 'render.finished' ? 'render' : 'batch'}-${resourceId}`;
}
