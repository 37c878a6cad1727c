import express, { type Express } from 'express';
import { taskPayloadSchema } from '../contracts/task-payload';
import type { ReadinessReport } from '../api/deps';
import { errorHandler } from '../api/middleware/error-handler';
import { healthRouter } from '../api/routes/health';
import type { IdTokenVerifier } from '../auth/id-token-verifier';
import { requireTaskInvoker } from '../auth/require-task-invoker';
import { RetryableTaskError } from '../domain/retryable-task-error';
import type { Logger } from '../logging/logger';
import { handleTask, type TaskHandlerDeps } from './handle-task';
import { requestLogger } from '../api/middleware/request-logger';

export interface RendererAppDeps {
  taskDeps: TaskHandlerDeps;
  /** Accepts only Cloud Tasks' OIDC token from the invoker service account, for this service's audience. */
  verifier: IdTokenVerifier;
  /** The queue's max attempts: on the last one, a failure on our side fails the scene instead of retrying. */
  maxAttempts: number;
  readiness: () => Promise<ReadinessReport>;
  logger: Logger;
  projectId?: string;
}

/**
 * The private renderer service: Cloud Tasks posts one task per request to `/tasks`. A 2xx answer ends the task
 * (rendered, or failed for the scene's own reasons); a 503 makes Cloud Tasks retry with backoff.
 */
export function createRendererApp(deps: RendererAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger({ logger: deps.logger, projectId: deps.projectId }));
  app.use(healthRouter(deps));
  app.post('/tasks', requireTaskInvoker(deps.verifier), express.json({ limit: '64kb' }), (req, res, next) => {
    const parsed = taskPayloadSchema.safeParse(req.body);
    if (!parsed.success) {
      deps.logger.error('malformed task payload', { issues: parsed.error.issues.map((i) => i.message) });
      res.status(400).json({ error: { code: 'invalid_task', message: 'the task payload is not valid', details: parsed.error.issues } });
      return;
    }
    const retryCount = Number(req.get('X-CloudTasks-TaskRetryCount') ?? '0');
    // Cloud Tasks gives up on a delivery at its dispatch deadline and closes the connection: stop rendering then.
    const abandoned = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abandoned.abort(new Error('the task delivery was abandoned'));
    });
    // The request's logger carries the Cloud Tasks delivery's trace: the render's lines join it.
    const logger = (res.locals.logger as Logger | undefined) ?? deps.logger;
    const taskDeps = { ...deps.taskDeps, render: { ...deps.taskDeps.render, logger: logger.child({ component: 'renderer' }) } };
    handleTask(taskDeps, parsed.data, {
      retryCount: Number.isInteger(retryCount) && retryCount >= 0 ? retryCount : 0,
      maxAttempts: deps.maxAttempts,
      signal: abandoned.signal,
    })
      .then(() => res.status(204).end())
      .catch((error: unknown) => {
        if (error instanceof RetryableTaskError) {
          res.status(503).json({ error: { code: 'retry', message: error.message } });
          return;
        }
        next(error);
      });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
