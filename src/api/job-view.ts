import type { JobView, SceneView } from '../contracts/job';
import type { JobRecord, SceneRecord } from '../domain/job';
import { summariseJobProgress, summariseJobStatus } from '../domain/job-status';
import { livePlaylist } from '../domain/live/live-playlist';
import { jobCost, sceneCost } from '../domain/costs/scene-cost';

/** The API path a scene's file is downloaded from (served directly, or redirected to a signed URL). */
export function videoPath(jobId: string, scene: string): string {
  return `/v1/renders/${encodeURIComponent(jobId)}/scenes/${encodeURIComponent(scene)}/video`;
}

/** The API path of a scene's live HLS playlist (domain/live/). */
export function livePath(jobId: string, scene: string): string {
  return `/v1/renders/${encodeURIComponent(jobId)}/scenes/${encodeURIComponent(scene)}/live.m3u8`;
}

/** What the view says of a scene's live stream: for mp4 scenes still rendering, or that streamed. */
function liveView(jobId: string, format: JobRecord['format'], scene: SceneRecord): SceneView['live'] {
  if (format !== 'mp4') return undefined;
  const playlist = livePlaylist(scene);
  if (playlist.ended && playlist.segments.length === 0) return undefined;
  return { playlistUrl: livePath(jobId, scene.name), segments: playlist.segments.length, ended: playlist.ended };
}

function sceneView(jobId: string, format: JobRecord['format'], scene: SceneRecord): SceneView {
  const live = liveView(jobId, format, scene);
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
    ...(live && { live }),
    ...(scene.error && { error: scene.error }),
    cost: sceneCost(scene),
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
    scenes: job.scenes.map((scene) => sceneView(job.id, job.format, scene)),
    cost: jobCost(job),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
