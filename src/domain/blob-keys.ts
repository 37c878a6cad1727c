import type { OutputFormat } from '../contracts/quality';

/** Every file of a job lives under this prefix, so deleting a job is one prefix delete. */
export function jobPrefix(jobId: string): string {
  return `jobs/${jobId}/`;
}

export function outputKey(jobId: string, scene: string, format: OutputFormat): string {
  return `jobs/${jobId}/${scene}/${scene}.${format}`;
}

export function logKey(jobId: string, scene: string): string {
  return `jobs/${jobId}/${scene}/render.log`;
}

export function sceneFilesPrefix(jobId: string, scene: string): string {
  return `jobs/${jobId}/${scene}/`;
}

/** Where the parts of a split scene are kept until they are joined. */
export function partsPrefix(jobId: string, scene: string): string {
  return `jobs/${jobId}/${scene}/parts/`;
}

/** One delivery's render of a part: keys are per delivery, so a losing duplicate never overwrites the winner. */
export function partKeys(
  jobId: string,
  scene: string,
  part: number,
  format: OutputFormat,
  delivery: string,
): { prefix: string; movie: string; log: string } {
  const prefix = `${partsPrefix(jobId, scene)}${part}-${delivery}.`;
  return { prefix, movie: `${prefix}${format}`, log: `${prefix}log` };
}

/** One delivery's join of a split scene; the file keeps the scene's name, which downloads are named after. */
export function joinedOutputKey(jobId: string, scene: string, format: OutputFormat, delivery: string): string {
  return `jobs/${jobId}/${scene}/joined-${delivery}/${scene}.${format}`;
}

/** Where a scene's live segments are kept: one per animation, by its index in the scene, whoever rendered it. */
export function liveSegmentKey(jobId: string, scene: string, index: number): string {
  return `jobs/${jobId}/${scene}/live/${index}.ts`;
}
