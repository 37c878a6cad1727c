import { createHash } from 'node:crypto';
import { ConflictError, IdempotencyConflictError } from './errors';
import type { Clock } from './ports/clock';
import type { IdempotencyStore } from './ports/idempotency-store';

/** A stable hash of a parsed request: the same fields and values give the same hash whatever their order. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Makes a resource at most once per idempotency key: the first request with a key creates it; a repeat with the
 * same request gets the same resource back (`replayed`); a repeat with a different request is a conflict (422).
 * A repeat that arrives while the first is still creating the resource waits for it (up to `IN_FLIGHT_WAIT_MS`);
 * if the first request died after reserving the key but before creating the resource, the repeat then creates it
 * under the reserved id. Whichever of them stores it second finds the id taken and answers with the one stored.
 */
export async function idempotent<T>(
  deps: { idempotency: IdempotencyStore; clock: Clock },
  params: {
    scope: string;
    key: string | undefined;
    request: unknown;
    newId: () => string;
    load: (id: string) => Promise<T | null>;
    create: (id: string) => Promise<T>;
  },
): Promise<{ resource: T; replayed: boolean }> {
  if (!params.key) return { resource: await params.create(params.newId()), replayed: false };
  const hash = requestHash(params.request);
  const id = params.newId();
  const reservation = await deps.idempotency.reserve({
    scope: params.scope,
    key: params.key,
    record: { requestHash: hash, resourceId: id },
    now: deps.clock.now(),
  });
  if (reservation.reserved) {
    try {
      return await createOrLoad(params, id);
    } catch (error) {
      await deps.idempotency.release({ scope: params.scope, key: params.key });
      throw error;
    }
  }
  if (reservation.existing.requestHash !== hash) {
    throw new IdempotencyConflictError('this Idempotency-Key was already used with a different request');
  }
  const reservedId = reservation.existing.resourceId;
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  for (;;) {
    const existing = await params.load(reservedId);
    if (existing) return { resource: existing, replayed: true };
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_POLL_MS));
  }
  return createOrLoad(params, reservedId);
}

/** How long a repeat waits for the request that reserved its key to store the resource; past it, that one died. */
export const IN_FLIGHT_WAIT_MS = 15_000;
const IN_FLIGHT_POLL_MS = 50;

/** Creates the resource under `id`, or, if another request stored one under that id meanwhile, answers with it. */
async function createOrLoad<T>(params: { load: (id: string) => Promise<T | null>; create: (id: string) => Promise<T> }, id: string): Promise<{ resource: T; replayed: boolean }> {
  try {
    return { resource: await params.create(id), replayed: false };
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const stored = await params.load(id);
    if (!stored) throw error;
    return { resource: stored, replayed: true };
  }
}
