import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import type { ErrorBody } from '../../contracts/error-body';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  IdempotencyConflictError,
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
} from '../../domain/errors';
import type { Logger } from '../../logging/logger';
import { isStorageFull, STORAGE_FULL_RETRY_AFTER_SECONDS } from './storage-full';

const STATUS_BY_ERROR: Array<[new (...args: never[]) => AppError, number]> = [
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [IdempotencyConflictError, 422],
  [QuotaExceededError, 429],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnavailableError, 503],
];

/** Errors raised by Express's body parser, recognised by their `type`. */
interface BodyParserError {
  type?: string;
  status?: number;
}

function body(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/**
 * The one place errors become HTTP answers: `{error: {code, message, details}}`. Unknown errors are logged and
 * answered with a generic 500 that says nothing about the service's insides.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ZodError) {
      const details = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message, code: issue.code }));
      res.status(400).json(body('invalid_request', 'the request is not valid', details));
      return;
    }
    if (error instanceof AppError) {
      const status = STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1] ?? 500;
      if (error instanceof QuotaExceededError) res.set('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof UnauthenticatedError) res.set('WWW-Authenticate', 'Bearer');
      res.status(status).json(body(error.code, error.message, error.details));
      return;
    }
    const parserError = error as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json(body('invalid_json', 'the request body is not valid JSON'));
      return;
    }
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json(body('payload_too_large', 'the request body is too large'));
      return;
    }
    if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
      res.status(415).json(body('unsupported_encoding', 'the request body must be UTF-8 JSON'));
      return;
    }
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json(body('bad_request', 'the request could not be read'));
      return;
    }
    if (isStorageFull(error)) {
      logger.error('storage full', { method: req.method, path: req.path, error: String(error) });
      res.set('Retry-After', String(STORAGE_FULL_RETRY_AFTER_SECONDS));
      res.status(503).json(body('storage_full', "the service's storage is full; try again later"));
      return;
    }
    logger.error('unhandled error', { method: req.method, path: req.path, error: (error as Error)?.stack ?? String(error) });
    res.status(500).json(body('internal', 'internal error'));
  };
}
