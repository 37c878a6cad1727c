/** Thrown by a task handler when the delivery should be retried by the queue (answered 5xx). */
export class RetryableTaskError extends Error {}
