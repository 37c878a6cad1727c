/** What an idempotency key was first used for. */
export interface IdempotencyRecord {
  requestHash: string;
  resourceId: string;
}

/**
 * Remembers idempotency keys per scope (a principal and a kind of request) for a day. Implementations: SQLite
 * (embedded) and Firestore. `reserve` is atomic: of two concurrent requests with one key, exactly one reserves it.
 */
export interface IdempotencyStore {
  /** Reserves `key` for `record`, or returns what the key was already reserved for. */
  reserve(params: { scope: string; key: string; record: IdempotencyRecord; now: Date }): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }>;
  /** Whether `key` is reserved (and not yet a day old). */
  has(params: { scope: string; key: string; now: Date }): Promise<boolean>;
  /**
   * Forgets a reservation whose request failed, so a retry can make the resource afresh. With `requestHash`, only
   * while the key is still reserved for that request: a reservation someone else has made since is theirs.
   */
  release(params: { scope: string; key: string; requestHash?: string }): Promise<void>;
}
