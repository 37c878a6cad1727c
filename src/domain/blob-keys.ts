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
