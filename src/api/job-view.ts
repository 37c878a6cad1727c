import type { JobView, SceneView } from '../contracts/job';
import type { JobRecord, SceneRecord } from '../domain/job';
import { summariseJobProgress, summariseJobStatus } from '../domain/job-status';

/** The API path a scene's file is downloaded from (served directly, or redirected to a signed URL). */
export function videoPath(jobId: string, scene: string): string {
  return `/v1/renders/${encodeURIComponent(jobId)}/scenes/${encodeURIComponent(scene)}/video`;
}

function sceneView(jobId: string, scene: SceneRecord): SceneView {
  return {
    name: scene.name,
    status: scene.status,
    progress: scene.status === 'succeeded' ? 1 : scene.progress,
    attempts: scene.attempts,
    ...(scene.cacheHit && { cacheHit: true }),
    ...(scene.planFailure !== undefined && { planFailure: scene.planFailure }),
    ...(scene.notices?.length && { notices: scene.notices }),
    ...(scene.split && {
      split: { parts: scene.split.parts.length, ...(scene.split.fallback !== undefined && { fallbackReason: scene.split.fallback }) },
    }),
    ...(scene.output && {
      output: {
        url: videoPath(jobId, scene.name),
        contentType: scene.output.contentType,
        bytes: scene.output.bytes,
        durationSeconds: scene.output.durationSeconds,
        width: scene.output.width,
        height: scene.output.height,
        ...(scene.output.audioCodec && { audioCodec: scene.output.audioCodec }),
      },
    }),
    ...(scene.error && { error: scene.error }),
    ...(scene.startedAt && { startedAt: scene.startedAt }),
    ...(scene.finishedAt && { finishedAt: scene.finishedAt }),
  };
}

/** A stored job as the API shows it: no code, no owner, no internal keys. */
export function toJobView(job: JobRecord): JobView {
  return {
    id: job.id,
    status: summariseJobStatus(job.scenes),
    progress: summariseJobProgress(job.scenes),
    quality: job.quality,
    format: job.format,
    timeoutSeconds: job.timeoutSeconds,
    metadata: job.metadata,
    ...(job.files?.length && { files: job.files }),
    scenes: job.scenes.map((scene) => sceneView(job.id, scene)),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
