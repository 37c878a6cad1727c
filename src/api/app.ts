import express, { type Express } from 'express';
import { NotFoundError } from '../domain/errors';
import type { ApiDeps } from './deps';
import { errorHandler } from './middleware/error-handler';
import { requestLogger } from './middleware/request-logger';
import { buildOpenApiDocument } from './openapi';
import { authenticate } from './middleware/authenticate';
import { healthRouter } from './routes/health';
import { batchesRouter } from './routes/batches';
import { renderEventsRouter } from './routes/render-events';
import { rendersRouter } from './routes/renders';
import { projectFilesRouter } from './routes/project-files';
import { webhooksRouter } from './routes/webhooks';
import { sceneFilesRouter } from './routes/scene-files';
import { liveStreamRouter } from './routes/live-stream';
import { webhookTasksRouter } from './routes/webhook-tasks';
import { repairTasksRouter } from './routes/repair-tasks';
import { playgroundRouter } from './routes/playground';

/** Builds the public API from its dependencies. Listening and shutdown are the server's business, not this. */
export function createApiApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLogger({ logger: deps.logger, projectId: deps.projectId }));
  app.use(healthRouter(deps));
  // The playground page loads without credentials (it holds nothing); each API call it makes is authenticated.
  if (deps.playground !== false) app.use(playgroundRouter());
  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // Cloud Tasks' webhook deliveries (gcp mode) carry their own OIDC token, not a caller's credentials.
  if (deps.webhookTasks) app.use(webhookTasksRouter(deps.webhookTasks));
  if (deps.repairTasks) app.use(repairTasksRouter(deps.repairTasks));
  // JSON-escaped code can take up to six bytes per source byte, base64 four per three; leave room for the rest.
  // Callers are known before any body is read; a file upload's body is bytes, whatever its content type says.
  app.use(authenticate({ auth: deps.auth, apiKeys: deps.apiKeys }));
  app.use(projectFilesRouter(deps));
  const inlineFiles = Math.ceil((deps.projectFiles.limits.maxInlineBytes * 4) / 3);
  app.use(express.json({ limit: deps.limits.maxCodeBytes * 6 + inlineFiles + 64 * 1024, strict: true }));
  app.use(rendersRouter(deps));
  app.use(sceneFilesRouter(deps));
  app.use(liveStreamRouter(deps));
  app.use(renderEventsRouter(deps));
  app.use(batchesRouter(deps));
  app.use(webhooksRouter(deps));
  app.use((req, _res, next) => next(new NotFoundError(`no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.logger));
  return app;
}
