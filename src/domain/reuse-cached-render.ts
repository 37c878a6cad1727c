import type { OutputFormat } from '../contracts/quality';
import { logKey, outputKey } from './blob-keys';
import type { SceneRecord } from './job';
import type { BlobStore } from './ports/blob-store';
import type { JobStore } from './ports/job-store';
import type { ResultCache } from './ports/result-cache';

export interface RenderCacheDeps {
  resultCache: ResultCache;
  jobStore: JobStore;
  blobStore: BlobStore;
  /** The Manim build and seed renders are made with; part of every render key. */
  renderer: string;
}

/**
 * A scene that an identical earlier render of the same principal already produced: its file and log are copied
 * under the new job (so deleting either job never breaks the other) and the scene is born succeeded. Null when
 * there is no such render any more (deleted, expired, or it did not succeed).
 */
export async function reuseCachedRender(
  deps: RenderCacheDeps,
  params: { owner: string; key: string; jobId: string; scene: string; format: OutputFormat; now: Date },
): Promise<SceneRecord | null> {
  const found = await findIdenticalRender(deps, { owner: params.owner, key: params.key });
  if (!found || !isReusable(found.scene, params.key)) return null;
  return copyEarlierRender(deps, { earlier: found.scene, ...params });
}

/**
 * The scene the cache names for (owner, key), as it is now in the job store: undefined when the entry is gone, or
 * names a job that was deleted, expired, or is not the owner's.
 */
export async function findIdenticalRender(
  deps: Pick<RenderCacheDeps, 'resultCache' | 'jobStore'>,
  params: { owner: string; key: string },
): Promise<{ jobId: string; scene: SceneRecord } | undefined> {
  const entry = await deps.resultCache.lookup(params);
  if (!entry) return undefined;
  const job = await deps.jobStore.getJob({ id: entry.jobId });
  const scene = job?.owner === params.owner ? job.scenes.find((s) => s.name === entry.scene) : undefined;
  return scene && { jobId: entry.jobId, scene };
}

/** A scene whose output can stand for a render of `key`: it succeeded, rendering exactly that. */
export function isReusable(scene: SceneRecord, key: string): boolean {
  return scene.status === 'succeeded' && Boolean(scene.output) && scene.renderKey === key;
}

/** Copies a succeeded scene's file and log under another job's scene and describes the copy as a cache hit. */
export async function copyEarlierRender(
  deps: Pick<RenderCacheDeps, 'blobStore'>,
  params: { earlier: SceneRecord; key: string; jobId: string; scene: string; format: OutputFormat; now: Date },
): Promise<SceneRecord> {
  const { earlier } = params;
  if (!earlier.output) throw new Error('the earlier render has no output');
  const blobKey = outputKey(params.jobId, params.scene, params.format);
  await deps.blobStore.copy({ fromKey: earlier.output.blobKey, toKey: blobKey });
  const log = earlier.logKey ? logKey(params.jobId, params.scene) : undefined;
  if (earlier.logKey && log) await deps.blobStore.copy({ fromKey: earlier.logKey, toKey: log });
  const now = params.now.toISOString();
  return {
    name: params.scene,
    status: 'succeeded',
    progress: 1,
    attempts: 0,
    renderKey: params.key,
    cacheHit: true,
    output: { ...earlier.output, blobKey },
    ...(log && { logKey: log }),
    startedAt: now,
    finishedAt: now,
    updatedAt: now,
  };
}
