import { Router } from 'express';
import { z } from 'zod';
import { listJobsQuerySchema } from '../../contracts/job';
import { createRenderRequestSchema } from '../../contracts/render-request';
import { cancelRenderJob } from '../../domain/cancel-render-job';
import { createRenderJob } from '../../domain/create-render-job';
import { deleteRenderJob } from '../../domain/delete-render-job';
import { getOwnedJob } from '../../domain/get-owned-job';
import type { ApiDeps } from '../deps';
import { toJobView } from '../job-view';
import { route } from '../middleware/route';
import { idempotencyKeyOf } from '../middleware/idempotency-key';
import { submitRateLimit } from '../middleware/submit-rate-limit';
import { checkWebhookUrl } from './webhooks';
import { principalOf } from '../principal';

export const jobIdParams = z.strictObject({ id: z.string().regex(/^[a-z0-9]{1,64}$/, 'not a job id') });

/** Submit, read, list, cancel and delete render jobs. */
export function rendersRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post(
    '/v1/renders',
    submitRateLimit({ perMinute: deps.submitsPerMinute }),
    route({ body: createRenderRequestSchema }, async ({ body, req, res }) => {
      const idempotencyKey = idempotencyKeyOf(req);
      checkWebhookUrl(body.webhookUrl, deps.webhookPolicy);
      const { job, replayed } = await createRenderJob(deps, { owner: principalOf(res), request: body, idempotencyKey });
      return {
        status: replayed ? 200 : 202,
        json: toJobView(job),
        headers: { Location: `/v1/renders/${job.id}`, ...(replayed && { 'Idempotent-Replayed': 'true' }) },
      };
    }),
  );

  router.get(
    '/v1/renders',
    route({ query: listJobsQuerySchema }, async ({ query, res }) => {
      const page = await deps.jobStore.listJobs({ owner: principalOf(res), ...query });
      return {
        status: 200,
        json: { jobs: page.jobs.map(toJobView), ...(page.nextPageToken && { nextPageToken: page.nextPageToken }) },
      };
    }),
  );

  router.get(
    '/v1/renders/:id',
    route({ params: jobIdParams }, async ({ params, res }) => {
      const job = await getOwnedJob(deps.jobStore, { id: params.id, owner: principalOf(res) });
      return { status: 200, json: toJobView(job) };
    }),
  );

  router.post(
    '/v1/renders/:id/cancel',
    route({ params: jobIdParams }, async ({ params, res }) => {
      const job = await cancelRenderJob(deps, { id: params.id, owner: principalOf(res) });
      return { status: 200, json: toJobView(job) };
    }),
  );

  router.delete(
    '/v1/renders/:id',
    route({ params: jobIdParams }, async ({ params, res }) => {
      await deleteRenderJob(deps, { id: params.id, owner: principalOf(res) });
      res.status(204).end();
    }),
  );

  return router;
}
