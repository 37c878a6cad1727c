/** Cloud Tasks' retry settings, as the embedded queue applies them. */
export interface RetryPolicy {
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Exponential backoff: min, 2·min, 4·min … capped at max, after the `attempts`-th failed attempt (1-based). */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  const exponential = policy.minBackoffMs * 2 ** Math.max(0, attempts - 1);
  return Math.min(policy.maxBackoffMs, exponential);
}
