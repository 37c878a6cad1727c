import type { RequestHandler } from 'express';
import type { Logger } from '../../logging/logger';
import { traceLogFields } from '../../logging/trace-log-fields';

declare global {
  namespace Express {
    interface Locals {
      /** This request's logger: every line it writes carries the request's trace (see `requestLogger`). */
      logger?: Logger;
    }
  }
}

/**
 * Gives each request its own child logger on `res.locals.logger`. With `projectId` (gcp mode) the child carries
 * the request's trace from its `traceparent` / `X-Cloud-Trace-Context` header, so Cloud Logging groups every line
 * a request (or a Cloud Tasks delivery, and the render it runs) writes under Cloud Run's own request log entry.
 * Cloud Run already logs each request's method, status and latency, so this writes no access log of its own.
 */
export function requestLogger(params: { logger: Logger; projectId?: string }): RequestHandler {
  return (req, res, next) => {
    const fields = params.projectId
      ? traceLogFields({
          projectId: params.projectId,
          traceparent: req.get('traceparent'),
          cloudTraceContext: req.get('x-cloud-trace-context'),
        })
      : {};
    res.locals.logger = Object.keys(fields).length > 0 ? params.logger.child(fields) : params.logger;
    next();
  };
}
