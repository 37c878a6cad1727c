/**
 * The deterministic name of a job's render task for one scene. Enqueueing it twice (a retried submit) creates
 * one task; adapters may hash it into the form their queue accepts.
 */
export function renderTaskName(jobId: string, scene: string): string {
  return `render-${jobId}-${scene}`;
}

/** The task rendering one animation range of a split scene. */
export function partTaskName(jobId: string, scene: string, part: number): string {
  return `part-${jobId}-${scene}-${part}`;
}

/** The one task joining a split scene's parts: enqueued by whichever part finishes last, and by its retries. */
export function stitchTaskName(jobId: string, scene: string): string {
  return `stitch-${jobId}-${scene}`;
}

/** The task rendering a scene whole after its split fell back. */
export function wholeRenderTaskName(jobId: string, scene: string): string {
  return `whole-${jobId}-${scene}`;
}

/** The one webhook task of a finished job or batch: enqueued as often as anyone notices, delivered once. */
export function webhookTaskName(event: 'render.finished' | 'batch.finished', resourceId: string): string {
  return `webhook-${event === 'render.finished' ? 'render' : 'batch'}-${resourceId}`;
}

/**
 * A scene's render task queued again by the repair of lost work (domain/repair/), generation `n` of it: a name of
 * its own, since the names before it may still be taken (Cloud Tasks keeps a name for a while after its task ran),
 * and deterministic, so two repairs of one generation make one task.
 */
export function repairRenderTaskName(jobId: string, scene: string, generation: number): string {
  return `repair${generation}-${jobId}-${scene}`;
}

/** Every name a scene's whole render may have been queued under, the repairs' included. */
export function renderTaskNamesOf(jobId: string, scene: string, repairs: number): string[] {
  return [
    renderTaskName(jobId, scene),
    wholeRenderTaskName(jobId, scene),
    ...Array.from({ length: repairs }, (_, i) => repairRenderTaskName(jobId, scene, i + 1)),
  ];
}
