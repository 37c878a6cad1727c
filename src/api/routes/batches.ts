import { Router, type Request } from 'express';
import { z } from 'zod';
import { createBatchRequestSchema } from '../../contracts/batch';
import type { BatchRecord } from '../../domain/batch';
import { loadBatchView } from '../../domain/load-batch-view';
import { createBatch } from '../../domain/create-batch';
import { NotFoundError } from '../../domain/errors';
import type { ApiDeps } from '../deps';
import { idempotencyKeyOf } from '../middleware/idempotency-key';
import { route } from '../middleware/route';
import { submitRateLimit } from '../middleware/submit-rate-limit';
import { principalOf } from '../principal';
import { checkWebhookUrl } from './webhooks';

/**
 * Cloud Scheduler cannot vary a header per run, but it sends the job's name and the run's scheduled time: together
 * they name the run, so a run delivered twice creates one batch while each new run makes its own.
 */
function schedulerRunKey(req: Request): string | undefined {
  const job = req.get('x-cloudscheduler-jobname');
  const time = req.get('x-cloudscheduler-scheduletime');
  return job && time ? `scheduler:${job}@${time}`.slice(0, 255) : undefined;
}

const batchIdParams = z.strictObject({ id: z.string().regex(/^[a-z0-9]{1,64}$/, 'not a batch id') });

/** Submit a batch (inline items or a Cloud Storage prefix) and read its progress. */
export function batchesRouter(deps: ApiDeps): Router {
  const router = Router();

  const viewOf = (batch: BatchRecord) => loadBatchView(deps.jobStore, batch);

  router.post(
    '/v1/batches',
    submitRateLimit({ perMinute: deps.submitsPerMinute }),
    route({ body: createBatchRequestSchema }, async ({ body, req, res }) => {
      checkWebhookUrl(body.webhookUrl, deps.webhookPolicy);
      const idempotencyKey = idempotencyKeyOf(req) ?? schedulerRunKey(req);
      const { batch, replayed } = await createBatch(deps, { owner: principalOf(res), request: body, idempotencyKey });
      return {
        status: replayed ? 200 : 202,
        json: await viewOf(batch),
        headers: { Location: `/v1/batches/${batch.id}`, ...(replayed && { 'Idempotent-Replayed': 'true' }) },
      };
    }),
  );

  router.get(
    '/v1/batches/:id',
    route({ params: batchIdParams }, async ({ params, res }) => {
      const batch = await deps.batches.getBatch({ id: params.id });
      if (!batch || batch.owner !== principalOf(res)) throw new NotFoundError(`no batch ${params.id}`);
      return { status: 200, json: await viewOf(batch) };
    }),
  );

  return router;
}
