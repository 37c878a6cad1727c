import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../domain/ports/id-generator';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 36];
  return out;
}

/**
 * Ids that sort by creation time (milliseconds, then a per-millisecond counter) and end in 12 random
 * characters so they cannot be guessed: `lz3k9q2x10000a8f3kq0z7m1p`. Lowercase letters and digits only.
 */
export function timeOrderedIds(now: () => number = Date.now): IdGenerator {
  let lastMs = 0;
  let counter = 0;
  return {
    newId() {
      const ms = Math.max(now(), lastMs);
      counter = ms === lastMs ? counter + 1 : 0;
      lastMs = ms;
      return ms.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0') + randomSuffix(12);
    },
  };
}
