/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): "full jitter" exponential backoff, a random
 * time between 0 and `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`, so clients that failed together do not
 * retry together.
 */
export function backoffDelayMs(params: { attempt: number; baseDelayMs: number; maxDelayMs: number; random?: () => number }): number {
  const ceiling = Math.min(params.maxDelayMs, params.baseDelayMs * 2 ** (params.attempt - 1));
  return Math.round((params.random ?? Math.random)() * ceiling);
}

/** A `Retry-After` header (delay seconds or an HTTP date) in milliseconds from `now`, or undefined if absent or unreadable. */
export function parseRetryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its weekday and month; anything else (`-5`, which Date.parse reads as a year) is unreadable.
  const date = /[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
