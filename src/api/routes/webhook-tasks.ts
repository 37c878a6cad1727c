import express, { Router } from 'express';
import { deliverWebhookTaskSchema, TASK_PAYLOAD_VERSION } from '../../contracts/task-payload';
import type { IdTokenVerifier } from '../../auth/id-token-verifier';
import { requireTaskInvoker } from '../../auth/require-task-invoker';
import { deliverWebhook, type DeliverWebhookDeps } from '../../webhooks/deliver-webhook';

/** What the ingress needs to deliver webhooks for Cloud Tasks (gcp mode). */
export interface WebhookTaskDeps {
  /** Accepts only Cloud Tasks' OIDC token of the invoker service account, for the ingress's audience. */
  verifier: IdTokenVerifier;
  webhooks: DeliverWebhookDeps;
}

/**
 * `POST /tasks/webhooks`: Cloud Tasks' webhook queue delivers here, to the ingress, not to the renderer, whose
 * instances serve one request each: a webhook target that takes its time then holds an ingress request (of many
 * at once, for at most the delivery's timeout), never a render. A 2xx ends the task; a failure is retried.
 */
export function webhookTasksRouter(deps: WebhookTaskDeps): Router {
  const router = Router();
  router.post('/tasks/webhooks', requireTaskInvoker(deps.verifier), express.json({ limit: '16kb' }), (req, res, next) => {
    const parsed = deliverWebhookTaskSchema.safeParse(req.body);
    if (!parsed.success || parsed.data.version !== TASK_PAYLOAD_VERSION) {
      res.status(400).json({ error: { code: 'invalid_task', message: 'the task payload is not a webhook delivery', details: parsed.error?.issues } });
      return;
    }
    deliverWebhook(deps.webhooks, parsed.data)
      .then(() => res.status(204).end())
      .catch(next);
  });
  return router;
}
