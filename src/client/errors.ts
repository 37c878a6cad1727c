import type { JobView } from '../contracts/job';

/**
 * Any failed call: the service answered with an error (`status`, and the server's stable `code`, `message` and
 * `details`), or could not be reached (`status` 0, code `network_error`).
 */
export class RenderServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 400: the request or the scene code was rejected (e.g. `invalid_request`, `syntax_error` with `details.line`). */
export class ValidationError extends RenderServiceError {}

/** 401 (no valid credentials) or 403 (valid credentials of a caller that may not do this). */
export class AuthError extends RenderServiceError {}

/** 404: no such job, batch or scene, or it belongs to another caller. */
export class NotFoundError extends RenderServiceError {}

/** 409: not available in the current state (e.g. the video of a scene that has not finished). */
export class ConflictError extends RenderServiceError {}

/** 422 `idempotency_conflict`: the `Idempotency-Key` was already used with a different body. */
export class IdempotencyConflictError extends RenderServiceError {}

/** 429: over a quota; `retryAfterSeconds` is when to try again. */
export class QuotaExceededError extends RenderServiceError {
  constructor(message: string, status: number, code: string, details: unknown, readonly retryAfterSeconds: number | undefined) {
    super(message, status, code, details);
  }
}

/** 503: the service cannot take work right now; thrown once the client's retries are spent. */
export class UnavailableError extends RenderServiceError {
  constructor(message: string, status: number, code: string, details: unknown, readonly retryAfterSeconds: number | undefined) {
    super(message, status, code, details);
  }
}

/** `wait` gave up after its `timeoutMs`; the job is still running. `lastJob` is the last state seen. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastJob: JobView | undefined,
  ) {
    super(`render job ${jobId} did not finish within ${timeoutMs} ms`);
    this.name = 'WaitTimeoutError';
  }
}
