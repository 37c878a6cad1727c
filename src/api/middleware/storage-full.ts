/** How long a client is told to wait when the service's own storage is full. */
export const STORAGE_FULL_RETRY_AFTER_SECONDS = 30;

/**
 * Whether an error is the service's storage refusing a write for want of space: a file write's ENOSPC, or SQLite's
 * SQLITE_FULL ("database or disk is full"). The request was fine and nothing was half-written (SQLite rolls the
 * statement back), so the answer is a 503 to retry, not a 500.
 */
export function isStorageFull(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  // SQLITE_FULL is 13; node:sqlite may report the extended code, whose low byte is the primary one.
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' && (errcode & 0xff) === 13) return true;
  return typeof message === 'string' && /database or disk is full|No space left on device/.test(message);
}
