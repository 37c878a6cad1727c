import { errorBodySchema } from '../contracts/error-body';
import {
  AuthError,
  ConflictError,
  IdempotencyConflictError,
  NotFoundError,
  QuotaExceededError,
  RenderServiceError,
  UnavailableError,
  ValidationError,
} from './errors';
import { parseRetryAfterMs } from './retry-delay';

/** Reads an error answer into the matching typed error; bodies that are not the service's shape still give one. */
export async function errorFromResponse(res: Response, now: number = Date.now()): Promise<RenderServiceError> {
  const text = await res.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = errorBodySchema.safeParse(parsed);
  const code = body.success ? body.data.error.code : `http_${res.status}`;
  const message = body.success ? body.data.error.message : `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const details = body.success ? body.data.error.details : undefined;
  const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), now);
  const retryAfterSeconds = retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000);
  switch (res.status) {
    case 400:
      return new ValidationError(message, res.status, code, details);
    case 401:
    case 403:
      return new AuthError(message, res.status, code, details);
    case 404:
      return new NotFoundError(message, res.status, code, details);
    case 409:
      return new ConflictError(message, res.status, code, details);
    case 422:
      return code === 'idempotency_conflict'
        ? new IdempotencyConflictError(message, res.status, code, details)
        : new RenderServiceError(message, res.status, code, details);
    case 429:
      return new QuotaExceededError(message, res.status, code, details, retryAfterSeconds);
    case 503:
      return new UnavailableError(message, res.status, code, details, retryAfterSeconds);
    default:
      return new RenderServiceError(message, res.status, code, details);
  }
}
