/**
 * The errors the domain raises. Each has a stable `code`; the API maps them to HTTP statuses in one place
 * (src/api/middleware/error-handler.ts).
 */
export abstract class AppError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or the scene code cannot be rendered as submitted. */
export class ValidationError extends AppError {
  constructor(
    readonly code: string,
    message: string,
    details?: unknown,
  ) {
    super(message, details);
  }
}

export class NotFoundError extends AppError {
  readonly code = 'not_found';
}

/** The request conflicts with the resource's current state (e.g. a video of a scene that has not finished). */
export class ConflictError extends AppError {
  readonly code = 'conflict';
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'payload_too_large';
}

/** The service cannot take this work right now; the caller may retry. */
export class UnavailableError extends AppError {
  readonly code = 'unavailable';
}

/** No usable credentials (401). */
export class UnauthenticatedError extends AppError {
  readonly code = 'unauthenticated';
}

/** Valid credentials of a caller that may not do this (403). */
export class ForbiddenError extends AppError {
  readonly code = 'forbidden';
}

/** The caller is over a quota (429); `retryAfterSeconds` goes out as Retry-After. */
export class QuotaExceededError extends AppError {
  readonly code = 'quota_exceeded';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: unknown,
  ) {
    super(message, details);
  }
}

/** An idempotency key reused with a different request (422). */
export class IdempotencyConflictError extends AppError {
  readonly code = 'idempotency_conflict';
}
