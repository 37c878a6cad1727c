import type { BatchItem, CreateBatchRequest } from '../contracts/batch';
import { createRenderRequestSchema } from '../contracts/render-request';
import type { BatchRecord } from './batch';
import { createRenderJob, type CreateRenderJobDeps } from './create-render-job';
import { mayReadBatchSource, type BatchSourcePolicy } from './batch-source-policy';
import { AppError, ForbiddenError, QuotaExceededError, ValidationError } from './errors';
import { idempotent } from './idempotent';
import type { BatchStore } from './ports/batch-store';
import type { SceneSource } from './ports/scene-source';

export interface CreateBatchDeps extends CreateRenderJobDeps {
  batches: BatchStore;
  /** Absent where there is no Cloud Storage (local mode): a `source` is then refused. */
  sceneSource?: SceneSource;
  /** The prefixes each principal may name as a source; nobody's by default. */
  batchSources: BatchSourcePolicy;
}

const MAX_ITEMS = 500;

/**
 * Fans a batch out into one render job per item (each with a task per scene) and records the batch. An item the
 * service rejects (a syntax error, no scene) is recorded with its error; the other items still render. With an
 * idempotency key (a scheduler sets one per scheduled time), a repeated run returns the first batch.
 */
export async function createBatch(
  deps: CreateBatchDeps,
  params: { owner: string; request: CreateBatchRequest; idempotencyKey?: string },
): Promise<{ batch: BatchRecord; replayed: boolean }> {
  const { resource, replayed } = await idempotent(deps, {
    scope: `batch:${params.owner}`,
    key: params.idempotencyKey,
    request: params.request,
    newId: () => deps.ids.newId(),
    load: (id) => deps.batches.getBatch({ id }),
    create: (id) => createNewBatch(deps, { ...params, id }),
  });
  // Items finished at birth (every scene from the cache) are told now that their batch is stored; the rest are
  // told by their renders. Deterministic webhook task names make a repeat a no-op.
  if (deps.notify) for (const item of resource.items) if (item.jobId) await deps.notify({ jobId: item.jobId });
  return { batch: resource, replayed };
}

async function createNewBatch(deps: CreateBatchDeps, params: { owner: string; request: CreateBatchRequest; id: string }): Promise<BatchRecord> {
  const { request } = params;
  const sources = await itemsOf(deps, request, params.owner);
  const items: BatchRecord['items'] = [];
  for (const [index, { item, source }] of sources.entries()) {
    const render = createRenderRequestSchema.parse({
      ...item,
      quality: item.quality ?? request.defaults?.quality,
      format: item.format ?? request.defaults?.format,
      timeoutSeconds: item.timeoutSeconds ?? request.defaults?.timeoutSeconds,
    });
    try {
      const { job } = await createRenderJob(deps, { owner: params.owner, request: render, batchId: params.id });
      items.push({ index, ...(source && { source }), jobId: job.id });
    } catch (error) {
      if (!(error instanceof ValidationError || error instanceof QuotaExceededError)) throw error;
      items.push({ index, ...(source && { source }), error: { code: (error as AppError).code, message: error.message } });
    }
  }
  const batch: BatchRecord = {
    id: params.id,
    owner: params.owner,
    ...(request.name && { name: request.name }),
    ...(request.webhookUrl && { webhookUrl: request.webhookUrl }),
    items,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.batches.createBatch({ batch });
  return batch;
}

async function itemsOf(deps: CreateBatchDeps, request: CreateBatchRequest, owner: string): Promise<Array<{ item: BatchItem; source?: string }>> {
  if (request.items) return request.items.map((item) => ({ item }));
  const prefix = request.source!.gcsPrefix;
  if (!deps.sceneSource) {
    throw new ValidationError('source_unavailable', 'a Cloud Storage source needs gcp mode; send the files as items instead');
  }
  if (!mayReadBatchSource(deps.batchSources, { owner, prefix })) {
    throw new ForbiddenError(`you may not read ${prefix}: an operator allows each principal its sources (BATCH_SOURCES)`, { prefix });
  }
  const files = await deps.sceneSource.listSceneFiles({ prefix, maxFiles: MAX_ITEMS, maxBytes: deps.limits.maxCodeBytes });
  if (files.length === 0) throw new ValidationError('empty_source', `no .py files under ${prefix}`);
  return files.map((file) => ({ item: { code: file.code }, source: file.name }));
}
