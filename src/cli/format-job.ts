import type { Cost, JobView, SceneView } from '../client';
import { alignRows } from './align-rows';

export const percent = (progress: number) => `${Math.floor(progress * 100)}%`;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What became of a scene: its file, or why it failed (with the line of the user's file, when known). */
export function sceneOutcome(scene: SceneView): string {
  if (scene.error) {
    const where = scene.error.line ? ` at line ${scene.error.line}` : '';
    return `${scene.error.code}${where}: ${scene.error.message.split('\n')[0]}`;
  }
  if (scene.output) {
    const duration = scene.output.durationSeconds === null ? '' : `  ${scene.output.durationSeconds.toFixed(1)} s`;
    return `${scene.output.width}x${scene.output.height}${duration}  ${size(scene.output.bytes)}`;
  }
  if (scene.status !== 'rendering') return '';
  // While it renders, how much of it can be watched already (its live playlist; docs/clients.md).
  const live = scene.live?.segments ? `  ${scene.live.segments} animation${scene.live.segments === 1 ? '' : 's'} live` : '';
  return `${percent(scene.progress)}${live}`;
}

/** How a scene was (or is being) made, when not simply rendered whole: reused, split, or whole after all and why. */
export function sceneMaking(scene: SceneView): string {
  if (scene.cacheHit) return 'reused an identical earlier render';
  if (!scene.split) return '';
  if (scene.split.fallbackReason === undefined) return `split into ${scene.split.parts} parts`;
  return `rendered whole: ${scene.split.fallbackReason}`;
}

/** What rendering used and cost, in a few words; empty for nothing (a cache hit, a scene not rendered yet). */
export function formatCost(cost: Cost): string {
  if (cost.instanceSeconds === 0) return '';
  const cpu = cost.cpuSeconds === null ? '' : `${cost.cpuSeconds.toFixed(1)} CPU s, `;
  const peak = cost.peakMemoryBytes === null ? '' : `, peak ${Math.round(cost.peakMemoryBytes / 1024 / 1024)} MiB`;
  return `${cpu}${cost.wallSeconds.toFixed(1)} s rendering, ${cost.instanceSeconds.toFixed(1)} instance s${peak}, ~$${cost.estimatedUsd.toFixed(5)}`;
}

/** A job for people: a summary line, one line per scene, and what it all cost (with the prices' date). */
export function formatJob(job: JobView): string {
  const head = `job ${job.id}  ${job.status}  ${percent(job.progress)}  ${job.quality}/${job.format}  created ${job.createdAt}`;
  const scenes = alignRows(job.scenes.map((scene) => [`  ${scene.name}`, scene.status, sceneOutcome(scene), sceneMaking(scene), formatCost(scene.cost)]));
  const total = formatCost(job.cost);
  const cost = total ? [`  cost: ${total}${job.cost.pricedAt ? ` (Cloud Run prices of ${job.cost.pricedAt})` : ''}`] : [];
  return [head, ...scenes, ...cost].join('\n');
}

/** A page of jobs as a table. */
export function formatJobTable(jobs: JobView[]): string {
  if (jobs.length === 0) return 'no jobs';
  const rows = jobs.map((job) => [job.id, job.status, percent(job.progress), job.scenes.map((s) => s.name).join(','), job.createdAt]);
  return alignRows([['ID', 'STATUS', 'PROGRESS', 'SCENES', 'CREATED'], ...rows]).join('\n');
}
