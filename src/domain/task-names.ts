/**
 * The deterministic name of a job's render task for one scene. Enqueueing it twice (a retried submit) creates
 * one task; adapters may hash it into the form their queue accepts.
 */
export function renderTaskName(jobId: string, scene: string): string {
  return `render-${jobId}-${scene}`;
}
