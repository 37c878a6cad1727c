import { Router } from 'express';
import type { ApiDeps } from '../deps';
import { route } from '../middleware/route';
import { principalOf } from '../principal';
import { ValidationError } from '../../domain/errors';
import type { WebhookTargetPolicy } from '../../webhooks/post-webhook';

/** `GET /v1/webhooks/secret`: the caller's webhook signing secret, to verify `Manim-Render-Signature` with. */
export function webhooksRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get(
    '/v1/webhooks/secret',
    route({}, async ({ res }) => ({ status: 200, json: { secret: await deps.webhookSecrets.secretFor({ principal: principalOf(res) }) } })),
  );
  return router;
}

/** Refuses at submit time a webhook URL the deliverer would refuse anyway (the address check happens at delivery). */
export function checkWebhookUrl(url: string | undefined, policy: WebhookTargetPolicy): void {
  if (url && policy.requireHttps && !url.startsWith('https://')) {
    throw new ValidationError('invalid_webhook_url', 'webhookUrl must use https');
  }
}
