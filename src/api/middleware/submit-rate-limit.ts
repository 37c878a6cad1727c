import type { RequestHandler } from 'express';
import { QuotaExceededError } from '../../domain/errors';
import { principalOf } from '../principal';

/**
 * At most `perMinute` submits per principal per minute, as a token bucket refilled continuously. Counted per
 * process: with several ingress instances the effective limit is that many times higher, which is acceptable
 * for a guard against floods (the active-scenes quota, kept in the job store, is the global one).
 */
export function submitRateLimit(params: { perMinute: number; now?: () => number }): RequestHandler {
  const now = params.now ?? Date.now;
  const capacity = params.perMinute;
  const refillPerMs = params.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (_req, res, next) => {
    const principal = principalOf(res);
    const t = now();
    const bucket = buckets.get(principal) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * refillPerMs);
    bucket.at = t;
    if (bucket.tokens < 1) {
      const waitSeconds = Math.ceil((1 - bucket.tokens) / refillPerMs / 1000);
      buckets.set(principal, bucket);
      return next(new QuotaExceededError(`more than ${params.perMinute} submits a minute`, waitSeconds));
    }
    bucket.tokens -= 1;
    buckets.set(principal, bucket);
    // Forget idle principals so the map does not grow without bound.
    if (buckets.size > 10_000) for (const [key, b] of buckets) if (t - b.at > 60_000) buckets.delete(key);
    next();
  };
}
